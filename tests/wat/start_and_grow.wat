;; A start function with an effect (it stores 42 at address 0, which `peek` reads), and a memory
;; with no maximum that `grow` tries to enlarge: the engine's memory limit caps it.
(module
  (memory (export "memory") 1)
  (func $init (i32.store (i32.const 0) (i32.const 42)))
  (start $init)
  (func (export "peek") (result i32) (i32.load (i32.const 0)))
  (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages)))
)
