;; Example handler written directly as a core module: the canonical-ABI glue of world
;; witserve:handler/handler by hand, no SDK. Answers every request with a static response.
;;
;; handle(req) takes the request record flattened to 8 i32 (method, path, headers, body as pointer
;; + length) and ignores it; it returns a pointer to the response record in memory:
;; status u16 @0, headers list @4 (pointer, length), body list @12; a header is tuple<string,
;; string> = (name pointer, name length, value pointer, value length). All little-endian i32.
;; The host lowers the request through cabi_realloc, a bump allocator from 1024 up;
;; cabi_post_handle frees everything at once by resetting it.
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))

  ;; 0x100: record response { status: 200, headers: (0x120, 2), body: (0x200, 14) }
  (data (i32.const 0x100) "\c8\00\00\00" "\20\01\00\00" "\02\00\00\00" "\00\02\00\00" "\0e\00\00\00")
  ;; 0x120: the header list: (0x180, 12) = (0x190, 25), (0x1b0, 18) = (0x1d0, 9)
  (data (i32.const 0x120) "\80\01\00\00" "\0c\00\00\00" "\90\01\00\00" "\19\00\00\00"
                          "\b0\01\00\00" "\12\00\00\00" "\d0\01\00\00" "\09\00\00\00")
  (data (i32.const 0x180) "content-type")
  (data (i32.const 0x190) "text/plain; charset=utf-8")
  (data (i32.const 0x1b0) "x-witserve-example")
  (data (i32.const 0x1d0) "hello-wat")
  (data (i32.const 0x200) "Hello, world!\n")

  (func (export "handle")
        (param $method i32) (param $method_len i32) (param $path i32) (param $path_len i32)
        (param $headers i32) (param $header_count i32) (param $body i32) (param $body_len i32)
        (result i32)
    (i32.const 0x100))

  (func (export "cabi_post_handle") (param $response i32)
    (global.set $heap (i32.const 1024)))

  (func (export "cabi_realloc")
        (param $old i32) (param $old_size i32) (param $align i32) (param $new_size i32)
        (result i32)
    (local $ptr i32) (local $end i32)
    ;; ptr = heap rounded up to align; end = ptr + new_size
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                             (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $ptr) (local.get $new_size)))
    (if (i32.lt_u (local.get $end) (local.get $ptr)) (then unreachable))
    ;; grow the memory by the missing pages
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end)
                                                               (i32.shl (memory.size) (i32.const 16)))
                                                      (i32.const 0xffff))
                                             (i32.const 16)))
                    (i32.const -1))
          (then unreachable))))
    ;; realloc: keep the old contents
    (if (local.get $old)
      (then (memory.copy (local.get $ptr) (local.get $old)
                         (select (local.get $old_size) (local.get $new_size)
                                 (i32.lt_u (local.get $old_size) (local.get $new_size))))))
    (global.set $heap (local.get $end))
    (local.get $ptr))
)
