;; Valid (issue 15, item 15): a core module type whose import is typed by a function type aliased
;; from the enclosing component. Was refused as "malformed".
(component $C
  (core type $FT (func (param i32) (result i32)))
  (core type $MT (module
    (alias outer $C $FT (type $ft))
    (import "a" "b" (func (type $ft)))
    (export "c" (func (type $ft)))))
  (import "m" (core module (type $MT)))
)
