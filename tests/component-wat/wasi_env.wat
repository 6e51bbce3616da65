;; For `witserve call` with WASI (issue 15, item 17): returns what wasi:cli/environment gives it,
;; which is only what `--env` grants.
(component
  (import "wasi:cli/environment@0.2.0" (instance $env
    (export "get-environment" (func (result (list (tuple string string)))))))
  (core module $Mem
    (memory (export "mem") 1)
    (global $top (mut i32) (i32.const 1024))
    ;; A bump allocator.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (i32.and (i32.add (global.get $top) (i32.sub (local.get 2) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get 2))))
      (global.set $top (i32.add (local.get $p) (local.get 3)))
      (local.get $p)))
  (core instance $mem (instantiate $Mem))
  (alias core export $mem "mem" (core memory $memory))
  (alias core export $mem "realloc" (core func $realloc))
  (alias export $env "get-environment" (func $get))
  (core func $get' (canon lower (func $get) (memory $memory) (realloc $realloc)))
  (core module $M
    (import "" "get" (func $get (param i32)))
    ;; The host writes (ptr, len) of the list at 16; that is also the lifted result.
    (func (export "env") (result i32) (call $get (i32.const 16)) (i32.const 16)))
  (core instance $m (instantiate $M (with "" (instance (export "get" (func $get'))))))
  (func (export "env") (result (list (tuple string string)))
    (canon lift (core func $m "env") (memory $memory)))
)
