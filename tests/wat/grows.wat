;; A memory the program grows (engine tests of the virtual memory size, module_rewrite.h): one
;; page with 42 at address 0, no maximum; exports to size, grow, read and write it.
(module
  (memory 1)
  (data (i32.const 0) "\2a")
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
)
