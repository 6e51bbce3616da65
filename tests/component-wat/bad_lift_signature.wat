;; Invalid: canon lift of a core function whose signature is not the flattened func type.
(component
  (core module $m (func (export "f") (param i32) (result i32) local.get 0))
  (core instance $i (instantiate $m))
  (alias core export $i "f" (core func $f))
  (func $g (result u32) (canon lift (core func $f)))
  (export "g" (func $g)))
