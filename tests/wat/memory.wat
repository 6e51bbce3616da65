;; Linear memory shared with the host: the host writes bytes, wasm sums them; wasm writes, the host reads.
(module
  (memory (export "memory") 1 4)
  (func (export "sum") (param $ptr i32) (param $len i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "fill") (param $ptr i32) (param $len i32) (param $byte i32)
    (memory.fill (local.get $ptr) (local.get $byte) (local.get $len)))
  (func (export "pages") (result i32) (memory.size))
)
