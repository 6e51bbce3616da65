;; Code that drops a passive data segment: a dropped segment cannot come back, so no reset.
(module
  (memory 1)
  (data "abc")
  (func (export "init") (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 3)) (data.drop 0))
)
