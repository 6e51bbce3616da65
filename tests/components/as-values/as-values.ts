// The "as-values" test component (world test:as-values/as-values, see as-values.wit and
// ../README.md). AssemblyScript, built by asc with `--runtime minimal` (the TLSF allocator, so
// heap.free really frees; the GC is never invoked and no managed objects are made here) and
// `--use abort=...` pointing at the trapping `abort` below (the default imports env.abort). No
// bindings generator: the canonical-ABI glue is written by hand on raw linear memory.
//
// Export names: AssemblyScript exports a function under its identifier, so the exports here are
// camelCase and the transform kebab-exports.mjs renames them to the WIT names wit-component expects
// (countBytes -> count-bytes, cabi_post_reverseBytes -> cabi_post_reverse-bytes).
//
// Ownership: every string and list the host passes in was allocated by the host through
// cabi_realloc and is freed here, except empty ones: jco passes the dangling pointer 1 for them
// without calling cabi_realloc. Results that do not fit one core value go through a static return
// area; what they point to is freed by the post-return function.

// The runtime's abort (assertions, out-of-memory): trap instead of importing env.abort.
function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  unreachable();
}

// string / list<u8> result: (ptr, len) at RET_AREA. Big and aligned enough for every result here.
const RET_AREA: usize = memory.data(8, 8);

// ---- allocation ----

// heap.alloc (TLSF) aligns to 16, enough for every canonical-ABI alignment (at most 8).
export function cabi_realloc(ptr: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (align > 16) unreachable();
  if (newSize == 0) {
    if (oldSize != 0) heap.free(ptr);
    return align;  // dangling, like wit-bindgen's
  }
  return oldSize == 0 ? heap.alloc(newSize) : heap.realloc(ptr, newSize);
}

function freeBuffer(ptr: usize, len: usize): void {
  if (len != 0) heap.free(ptr);
}

function returnBuffer(ptr: usize, len: usize): usize {
  store<u32>(RET_AREA, <u32>ptr);
  store<u32>(RET_AREA, <u32>len, 4);
  return RET_AREA;
}

function freeReturnedBuffer(ret: usize): void {
  freeBuffer(<usize>load<u32>(ret), <usize>load<u32>(ret, 4));
}

// ---- the exports ----

export function add(a: i32, b: i32): i32 {
  return a + b;
}

export function fib(n: u32): u64 {
  let a: u64 = 0, b: u64 = 1;
  for (let i: u32 = 0; i < n; i++) {
    const t = a + b;
    a = b;
    b = t;
  }
  return a;
}

// string (ptr, len) -> string through RET_AREA. Works on UTF-8 bytes: only a-z change, so multi-byte
// sequences pass through untouched.
export function shout(ptr: usize, len: usize): usize {
  const out = heap.alloc(len + 1);
  for (let i: usize = 0; i < len; i++) {
    let c = load<u8>(ptr + i);
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    store<u8>(out + i, c);
  }
  store<u8>(out + len, 0x21);  // '!'
  freeBuffer(ptr, len);
  return returnBuffer(out, len + 1);
}
export function cabi_post_shout(ret: usize): void {
  freeReturnedBuffer(ret);
}

export function countBytes(ptr: usize, len: usize): u32 {
  freeBuffer(ptr, len);
  return <u32>len;
}

export function sumBytes(ptr: usize, len: usize): u32 {
  let sum: u32 = 0;
  for (let i: usize = 0; i < len; i++) sum += load<u8>(ptr + i);
  freeBuffer(ptr, len);
  return sum;
}

// Reverses in place and hands the host's own buffer back (an empty list stays the dangling pointer).
export function reverseBytes(ptr: usize, len: usize): usize {
  for (let i: usize = 0, j = len; i + 1 < j; i++) {
    j--;
    const t = load<u8>(ptr + i);
    store<u8>(ptr + i, load<u8>(ptr + j));
    store<u8>(ptr + j, t);
  }
  return returnBuffer(ptr, len);
}
export function cabi_post_reverseBytes(ret: usize): void {
  freeReturnedBuffer(ret);
}

export function hypot(x: f64, y: f64): f64 {
  return Math.hypot(x, y);
}
