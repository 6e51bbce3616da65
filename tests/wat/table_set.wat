;; Code that changes a table (table.set): its instances cannot be reset (module_state.h).
(module
  (table 2 funcref)
  (func $f)
  (elem declare func $f)
  (func (export "set") (table.set 0 (i32.const 0) (ref.func $f)))
)
