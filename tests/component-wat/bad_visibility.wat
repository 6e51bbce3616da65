;; Invalid (issue 15, item 14): an exported function whose result is a record that was never
;; exported, so a client could not name it ("func not valid to be used as export").
(component
  (core module $m (func (export "f") (result i32) unreachable))
  (core instance $i (instantiate $m))
  (type $Rec (record (field "x" u32)))
  (export $Rec' "rec" (type $Rec))
  (func $f (result $Rec) (canon lift (core func $i "f")))
  (export "f" (func $f))
)
