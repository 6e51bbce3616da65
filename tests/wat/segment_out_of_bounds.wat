;; An active data segment past the end of memory: instantiation must fail (it is left to V8).
(module
  (memory 1)
  (data (i32.const 65535) "ab")
)
