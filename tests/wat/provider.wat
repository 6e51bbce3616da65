;; Exports a memory, a table, a mutable global and a function for another instance to import,
;; the way the component model links core instances.
(module
  (memory (export "memory") 1)
  (global (export "counter") (mut i32) (i32.const 40))
  (table (export "table") 2 funcref)
  (func $forty_two (result i32) (i32.const 42))
  (elem (i32.const 1) $forty_two)
  (func (export "bump") (result i32)
    (global.set 0 (i32.add (global.get 0) (i32.const 1)))
    (global.get 0))
  (data (i32.const 16) "hello")
)
