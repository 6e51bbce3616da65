;; handmade.wasm: a component written entirely by hand in component WAT, assembled by `jco parse`.
;; No wit-component shims, no memory: one core module, one core instance, canon lift, export.
;; Its WIT world is the same as minimal's (export run: func() -> u32), but it returns 7, and it also
;; exports add: func(a: u32, b: u32) -> u32 (wrapping).
(component
  (core module $m
    (func (export "run") (result i32) i32.const 7)
    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1))))
  (core instance $i (instantiate $m))
  (func $run (result u32) (canon lift (core func $i "run")))
  (func $add (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
  (export "run" (func $run))
  (export "add" (func $add)))
