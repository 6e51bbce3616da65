;; Data segments that become an initial memory image (module_rewrite.h point 5): two overlapping
;; active segments (the later one wins), an empty one, and a passive one that memory.init copies;
;; memory.init of a (dropped) active segment traps unless it copies nothing.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "abcd")
  (data (i32.const 18) "XY")
  (data $p "pass")
  (data (i32.const 100) "")
  (func (export "peek8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "poke8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "init_passive") (memory.init $p (i32.const 200) (i32.const 0) (i32.const 4)))
  (func (export "init_active") (param i32) (memory.init 0 (i32.const 300) (i32.const 0) (local.get 0)))
)
