;; For the CLI's argument handling: WAVE arguments that start with '[' or '-' reach the function
;; verbatim (`witserve call cli_args.wasm len '[1, 2, 3]'`, `witserve call cli_args.wasm id -inf`).
(component
  (core module $m
    (memory (export "mem") 1)
    (global $top (mut i32) (i32.const 1024))
    ;; A bump allocator: enough for one call.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $top) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $top (i32.add (local.get $p) (local.get 3)))
      (local.get $p))
    (func (export "len") (param i32 i32) (result i32) (local.get 1))
    (func (export "id") (param f64) (result f64) (local.get 0)))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "realloc" (core func $realloc))
  (alias core export $i "len" (core func $len))
  (alias core export $i "id" (core func $id))
  (func (export "len") (param "l" (list u32)) (result u32)
    (canon lift (core func $len) (memory $mem) (realloc $realloc)))
  (func (export "id") (param "x" f64) (result f64) (canon lift (core func $id)))
)
