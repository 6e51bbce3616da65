;; An instance to capture and reset (engine tests): a memory of 5 pages (larger than the backend
;; resets by copying, so its pages are remapped) with a data segment (42 at address
;; 0), a mutable global (7), and a start function that draws a value from the host into a global
;; and counts its runs at address 8. Exports read and write all of it, grow the memory, trap and loop.
(module
  (import "host" "draw" (func $draw (result i32)))
  (memory (export "memory") 5 10)
  (data (i32.const 0) "\2a")
  (global $g (mut i32) (i32.const 7))
  (global $drawn (mut i32) (i32.const 0))
  (global $wide (mut i64) (i64.const -5))
  (func $init
    (global.set $drawn (call $draw))
    (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1))))
  (start $init)
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "get_g") (result i32) (global.get $g))
  (func (export "set_g") (param i32) (global.set $g (local.get 0)))
  (func (export "get_wide") (result i64) (global.get $wide))
  (func (export "set_wide") (param i64) (global.set $wide (local.get 0)))
  (func (export "drawn") (result i32) (global.get $drawn))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "trap") unreachable)
  (func (export "spin") (loop (br 0)))
)
