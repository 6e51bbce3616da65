;; Borrow rules: a borrowed handle lent to a call must be dropped before the call returns.
;; `keep` returns without dropping its borrow (the host must trap); `drop-it` drops it properly.
(component
  (import "host" (instance $host (export "thing" (type (sub resource)))))
  (alias export $host "thing" (type $thing))
  (core func $drop (canon resource.drop $thing))
  (core instance $env (export "drop" (func $drop)))
  (core module $m
    (import "env" "drop" (func $drop (param i32)))
    (func (export "keep") (param i32) (result i32) local.get 0)
    (func (export "drop-it") (param i32) (result i32) (call $drop (local.get 0)) i32.const 1))
  (core instance $i (instantiate $m (with "env" (instance $env))))
  (alias core export $i "keep" (core func $keep))
  (alias core export $i "drop-it" (core func $drop-it))
  (type $borrow (borrow $thing))
  (func (export "keep") (param "t" $borrow) (result u32) (canon lift (core func $keep)))
  (func (export "drop-it") (param "t" $borrow) (result u32) (canon lift (core func $drop-it)))
)
