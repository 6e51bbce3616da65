;; Valid (issue 15, item 15): an instance type and a function type exported as types. Was refused
;; with "type index 0 is not a value or resource type".
(component
  (type (export "x") (instance (export "f" (func (result u32)))))
  (type (export "g") (func (param "a" u32)))
)
