;; Imports everything provider.wat exports and uses each piece.
(module
  (import "provider" "memory" (memory 1))
  (import "provider" "counter" (global $counter (mut i32)))
  (import "provider" "table" (table 2 funcref))
  (import "provider" "bump" (func $bump (result i32)))
  (type $v2i (func (result i32)))
  (func (export "first_byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "read_counter") (result i32) (global.get $counter))
  (func (export "call_table") (param i32) (result i32) (call_indirect (type $v2i) (local.get 0)))
  (func (export "bump_twice") (result i32) (drop (call $bump)) (call $bump))
)
