;; Resource handle tables (issue 15, items 16 and 20): LIFO index reuse as the spec's table, many
;; handles at O(1) each, `take(h, h)` with (borrow $R) (own $R) trapping, ownership per instance of
;; a component instantiated twice, and re-entrance into a component instance trapping.
(component
  ;; Defines resource r; its functions work on its own handle table.
  (component $Def
    (type $R (resource (rep i32)))
    (core func $new (canon resource.new $R))
    (core func $drop (canon resource.drop $R))
    (core module $M
      (import "" "new" (func $new (param i32) (result i32)))
      (import "" "drop" (func $drop (param i32)))
      ;; new x3 (1, 2, 3), drop 1, 2, 3: the next new reuses 3, the last index freed.
      (func (export "lifo") (result i32)
        (drop (call $new (i32.const 10)))
        (drop (call $new (i32.const 11)))
        (drop (call $new (i32.const 12)))
        (call $drop (i32.const 1))
        (call $drop (i32.const 2))
        (call $drop (i32.const 3))
        (call $new (i32.const 13)))
      ;; n new handles; returns the last index.
      (func (export "many") (param $n i32) (result i32) (local $h i32)
        (loop $l
          (local.set $h (call $new (local.get $n)))
          (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
        (local.get $h))
      (func (export "make") (result i32) (call $new (i32.const 7)))
      (func (export "rep-of") (param i32) (result i32) (local.get 0))
      (func (export "take") (param i32 i32)))
    (core instance $m (instantiate $M (with "" (instance (export "new" (func $new)) (export "drop" (func $drop))))))
    (export $r "r" (type $R))
    (func (export "lifo") (result u32) (canon lift (core func $m "lifo")))
    (func (export "many") (param "n" u32) (result u32) (canon lift (core func $m "many")))
    (func (export "make") (result (own $r)) (canon lift (core func $m "make")))
    (func (export "rep-of") (param "b" (borrow $r)) (result u32) (canon lift (core func $m "rep-of")))
    (func (export "take") (param "b" (borrow $r)) (param "o" (own $r)) (canon lift (core func $m "take"))))

  ;; Passes one handle both as a borrow and as an own in the same call: must trap.
  (component $User
    (import "def" (instance $d
      (export "r" (type $r (sub resource)))
      (export "make" (func (result (own $r))))
      (export "take" (func (param "b" (borrow $r)) (param "o" (own $r))))))
    (alias export $d "make" (func $make))
    (alias export $d "take" (func $take))
    (core func $make' (canon lower (func $make)))
    (core func $take' (canon lower (func $take)))
    (core module $N
      (import "" "make" (func $make (result i32)))
      (import "" "take" (func $take (param i32 i32)))
      (func (export "take-twice") (local $h i32)
        (local.set $h (call $make))
        (call $take (local.get $h) (local.get $h))))
    (core instance $n (instantiate $N (with "" (instance (export "make" (func $make')) (export "take" (func $take'))))))
    (func (export "take-twice") (canon lift (core func $n "take-twice"))))

  (instance $def1 (instantiate $Def))
  (instance $def2 (instantiate $Def))
  (instance $user (instantiate $User (with "def" (instance $def1))))
  (export "lifo" (func $def1 "lifo"))
  (export "many" (func $def1 "many"))
  (export "make1" (func $def1 "make"))
  (export "rep1" (func $def1 "rep-of"))
  (export "make2" (func $def2 "make"))
  (export "rep2" (func $def2 "rep-of"))
  (export "take-twice" (func $user "take-twice"))

  ;; parent -> child -> parent: `run` (this component) calls the child's `g`, which calls `f`,
  ;; lifted from this component again.
  (core module $P1 (func (export "f") (result i32) (i32.const 1)))
  (core instance $p1 (instantiate $P1))
  (func $f (result u32) (canon lift (core func $p1 "f")))
  (component $Child
    (import "f" (func $f (result u32)))
    (core func $f' (canon lower (func $f)))
    (core module $C
      (import "" "f" (func $f (result i32)))
      (func (export "g") (result i32) (call $f)))
    (core instance $c (instantiate $C (with "" (instance (export "f" (func $f'))))))
    (func (export "g") (result u32) (canon lift (core func $c "g"))))
  (instance $child (instantiate $Child (with "f" (func $f))))
  (core func $g' (canon lower (func $child "g")))
  (core module $P2
    (import "" "g" (func $g (result i32)))
    (func (export "run") (result i32) (call $g)))
  (core instance $p2 (instantiate $P2 (with "" (instance (export "g" (func $g'))))))
  (func (export "reenter") (result u32) (canon lift (core func $p2 "run")))
)
