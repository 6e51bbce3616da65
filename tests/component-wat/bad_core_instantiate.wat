;; Invalid: a core module is instantiated with an instance missing one of its imports.
(component
  (core module $a (func (export "x")))
  (core module $b (import "a" "y" (func)))
  (core instance $ia (instantiate $a))
  (core instance $ib (instantiate $b (with "a" (instance $ia)))))
