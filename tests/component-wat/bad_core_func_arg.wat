;; Invalid (issue 15, item 14): a core module whose `f` is `func()` passed where the child's import
;; requires `func() -> i32`. Was accepted, and calling `run` returned 0.
(component
  (component $Child
    (import "m" (core module $M (export "f" (func (result i32)))))
    (core instance $i (instantiate $M))
    (func (export "run") (result u32) (canon lift (core func $i "f"))))
  (core module $Bad (func (export "f")))
  (instance $c (instantiate $Child (with "m" (core module $Bad))))
  (export "run" (func $c "run"))
)
