;; Invalid (issue 15, item 14): a core module whose `f` is a global passed where the child's import
;; requires `func() -> i32`. Was accepted, then failed at instantiation with "internal error: core
;; export has an unexpected kind".
(component
  (component $Child
    (import "m" (core module $M (export "f" (func (result i32)))))
    (core instance $i (instantiate $M))
    (func (export "run") (result u32) (canon lift (core func $i "f"))))
  (core module $Bad (global (export "f") i32 (i32.const 0)))
  (instance $c (instantiate $Child (with "m" (core module $Bad))))
  (export "run" (func $c "run"))
)
