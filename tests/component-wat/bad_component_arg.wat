;; Invalid: a nested component is instantiated with a function of the wrong type.
(component
  (core module $m (func (export "f") (result i32) i32.const 1))
  (core instance $i (instantiate $m))
  (alias core export $i "f" (core func $f))
  (func $g (result u32) (canon lift (core func $f)))
  (component $inner
    (import "h" (func (result string))))
  (instance (instantiate $inner (with "h" (func $g)))))
