;; Invalid: a lifted function takes a string but names no memory or realloc.
(component
  (core module $m (func (export "f") (param i32 i32)))
  (core instance $i (instantiate $m))
  (alias core export $i "f" (core func $f))
  (func $g (param "s" string) (canon lift (core func $f)))
  (export "g" (func $g)))
