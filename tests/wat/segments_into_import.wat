;; An active data segment writing into an imported memory.
(module
  (import "env" "memory" (memory 1))
  (data (i32.const 16) "xyz")
  (global (mut f64) (f64.const 1.5))
  (global f32 (f32.const 2))
  (func (export "f") (result f64) (global.get 0))
)
