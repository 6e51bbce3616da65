;; Core module of types-only.wasm (world test:minimal/types-only): wat2wasm, jco embed, jco new.
;; record point flattens to (i32 x, i32 y); enum axis to i32. No memory is needed.
(module
  (func (export "run") (result i32)
    i32.const 42)
  (func $abs (param i32) (result i32)
    (select
      (i32.sub (i32.const 0) (local.get 0))
      (local.get 0)
      (i32.lt_s (local.get 0) (i32.const 0))))
  (func (export "manhattan") (param $x i32) (param $y i32) (result i32)
    (i32.add (call $abs (local.get $x)) (call $abs (local.get $y))))
  (func (export "coordinate") (param $x i32) (param $y i32) (param $axis i32) (result i32)
    (select (local.get $y) (local.get $x) (local.get $axis))))
