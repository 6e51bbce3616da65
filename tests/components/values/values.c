// The "values" test component (world test:values/values, see values.wit and ../README.md).
//
// No bindings generator: the canonical-ABI glue is written by hand. C's struct layout on wasm32
// matches the canonical ABI's memory layout for every type used here (same sizes and alignments), so
// values in linear memory are read and written through plain structs. Core names follow
// wit-component's legacy convention: export "NAME", post-return "cabi_post_NAME", import module
// "test:values/host", plus "memory" and "cabi_realloc".
//
// Ownership: every pointer the host passes in (strings, lists, spilled params) was allocated by the
// host through cabi_realloc and now belongs to this module (except for empty strings and lists,
// which are never freed: jco passes the dangling pointer 1 for them without allocating, and
// wit-bindgen's glue skips them too); results are returned through a static
// return area and freed by the post-return function. What a host import returns was allocated by the
// host through cabi_realloc too and is freed here.
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define IMPORT(name) __attribute__((import_module("test:values/host"), import_name(name)))

// ---- canonical-ABI memory layouts ----
typedef struct { char *ptr; size_t len; } str_t;                   // string: size 8, align 4
typedef struct { uint8_t *ptr; size_t len; } list_u8_t;
typedef struct { uint32_t *ptr; size_t len; } list_u32_t;
typedef struct { str_t *ptr; size_t len; } list_str_t;
typedef struct { str_t k; str_t v; } pair_t;                       // tuple<string, string>
typedef struct { pair_t *ptr; size_t len; } list_pair_t;
typedef struct { uint8_t a; str_t b; list_pair_t c; double d; } rec_t;   // size 32, align 8
typedef struct { uint32_t a; str_t b; bool c; } tup_t;             // size 16, align 4
enum { VAR_EMPTY, VAR_NUM, VAR_STR, VAR_PAIR };
typedef struct {
  uint8_t tag;
  union { uint32_t num; str_t str; struct { uint64_t a; float b; } pair; } val;   // at offset 8
} var_t;                                                           // size 24, align 8
typedef struct { uint8_t is_some; str_t val; } opt_str_t;          // size 12, align 4
typedef struct { uint8_t is_err; union { uint32_t ok; str_t err; } val; } res_u32_str_t;
typedef struct { uint8_t is_err; union { int32_t ok; str_t err; } val; } res_s32_str_t;
typedef struct { uint32_t count; uint64_t sum; uint32_t min, max; double mean; } stats_t;  // 32, 8

_Static_assert(sizeof(rec_t) == 32 && offsetof(rec_t, c) == 12 && offsetof(rec_t, d) == 24, "rec");
_Static_assert(sizeof(tup_t) == 16 && offsetof(tup_t, c) == 12, "tuple");
_Static_assert(sizeof(var_t) == 24 && offsetof(var_t, val) == 8, "variant");
_Static_assert(sizeof(opt_str_t) == 12 && sizeof(res_u32_str_t) == 12, "option/result");
_Static_assert(sizeof(stats_t) == 32 && offsetof(stats_t, sum) == 8 && offsetof(stats_t, mean) == 24,
               "stats");

// ---- allocation ----
EXPORT("cabi_realloc")
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (align > 16) abort();  // malloc aligns to 16
  void *p = realloc(ptr, new_size ? new_size : 1);
  if (!p) abort();
  return p;
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}
static str_t str_copy(const char *s, size_t n) {
  str_t r = {xmalloc(n), n};
  memcpy(r.ptr, s, n);
  return r;
}
static str_t str_lit(const char *s) { return str_copy(s, strlen(s)); }

static void free_str(str_t s) { if (s.len) free(s.ptr); }
static void free_list_str(list_str_t l) {
  for (size_t i = 0; i < l.len; i++) free_str(l.ptr[i]);
  if (l.len) free(l.ptr);
}
static void free_rec(rec_t *r) {
  free_str(r->b);
  for (size_t i = 0; i < r->c.len; i++) {
    free_str(r->c.ptr[i].k);
    free_str(r->c.ptr[i].v);
  }
  if (r->c.len) free(r->c.ptr);
}
static void free_var(var_t *v) {
  if (v->tag == VAR_STR) free_str(v->val.str);
}

// One static return area, big enough for every result type (as wit-bindgen does). The host reads the
// result, then calls the post-return function, before the next export call.
static union {
  str_t s; list_u8_t lu8; list_str_t ls; rec_t rec; tup_t tup; var_t var; opt_str_t opt;
  res_u32_str_t res; res_s32_str_t res_s32; stats_t stats;
} ret_area;

// ---- flat-form helpers ----
static rec_t rec_from_flat(int32_t a, char *b_ptr, size_t b_len, pair_t *c_ptr, size_t c_len,
                           double d) {
  rec_t r = {(uint8_t)a, {b_ptr, b_len}, {c_ptr, c_len}, d};
  return r;
}
// variant var flattens to (i32 tag, i64 payload0, i32 payload1): payload0 joins u32 / string ptr /
// u64; payload1 joins string len / f32 bits.
static var_t var_from_flat(int32_t tag, int64_t p0, int32_t p1) {
  var_t v;
  memset(&v, 0, sizeof v);
  v.tag = (uint8_t)tag;
  switch (tag) {
    case VAR_EMPTY: break;
    case VAR_NUM: v.val.num = (uint32_t)p0; break;
    case VAR_STR: v.val.str.ptr = (char *)(uintptr_t)(uint32_t)p0; v.val.str.len = (uint32_t)p1; break;
    case VAR_PAIR: {
      v.val.pair.a = (uint64_t)p0;
      uint32_t bits = (uint32_t)p1;
      memcpy(&v.val.pair.b, &bits, 4);
      break;
    }
    default: abort();
  }
  return v;
}
static void var_to_flat(const var_t *v, int32_t *tag, int64_t *p0, int32_t *p1) {
  *tag = v->tag;
  *p0 = 0;
  *p1 = 0;
  switch (v->tag) {
    case VAR_EMPTY: break;
    case VAR_NUM: *p0 = v->val.num; break;
    case VAR_STR: *p0 = (uint32_t)(uintptr_t)v->val.str.ptr; *p1 = (int32_t)v->val.str.len; break;
    case VAR_PAIR: {
      uint32_t bits;
      memcpy(&bits, &v->val.pair.b, 4);
      *p0 = (int64_t)v->val.pair.a;
      *p1 = (int32_t)bits;
      break;
    }
    default: abort();
  }
}

// ---- scalar echoes (no post-return needed; wit-component accepts exports without one) ----
EXPORT("echo-bool") int32_t echo_bool(int32_t x) { return x != 0; }
EXPORT("echo-s8") int32_t echo_s8(int32_t x) { return (int8_t)x; }
EXPORT("echo-u8") int32_t echo_u8(int32_t x) { return (uint8_t)x; }
EXPORT("echo-s16") int32_t echo_s16(int32_t x) { return (int16_t)x; }
EXPORT("echo-u16") int32_t echo_u16(int32_t x) { return (uint16_t)x; }
EXPORT("echo-s32") int32_t echo_s32(int32_t x) { return x; }
EXPORT("echo-u32") int32_t echo_u32(int32_t x) { return x; }
EXPORT("echo-s64") int64_t echo_s64(int64_t x) { return x; }
EXPORT("echo-u64") int64_t echo_u64(int64_t x) { return x; }
EXPORT("echo-f32") float echo_f32(float x) { return x; }
EXPORT("echo-f64") double echo_f64(double x) { return x; }
EXPORT("echo-char") int32_t echo_char(int32_t x) { return x; }
EXPORT("echo-enum") int32_t echo_enum(int32_t x) { return (uint8_t)x; }
EXPORT("echo-flags-small") int32_t echo_flags_small(int32_t x) { return x & 0x7; }
EXPORT("echo-flags-medium") int32_t echo_flags_medium(int32_t x) { return x & 0xfff; }
EXPORT("echo-flags-large") int32_t echo_flags_large(int32_t x) { return x; }

// ---- echoes through memory ----
EXPORT("echo-string") str_t *echo_string(char *ptr, size_t len) {
  ret_area.s = (str_t){ptr, len};
  return &ret_area.s;
}
EXPORT("cabi_post_echo-string") void post_echo_string(str_t *r) { free_str(*r); }

EXPORT("echo-list-u8") list_u8_t *echo_list_u8(uint8_t *ptr, size_t len) {
  ret_area.lu8 = (list_u8_t){ptr, len};
  return &ret_area.lu8;
}
EXPORT("cabi_post_echo-list-u8") void post_echo_list_u8(list_u8_t *r) { if (r->len) free(r->ptr); }

EXPORT("echo-list-string") list_str_t *echo_list_string(str_t *ptr, size_t len) {
  ret_area.ls = (list_str_t){ptr, len};
  return &ret_area.ls;
}
EXPORT("cabi_post_echo-list-string") void post_echo_list_string(list_str_t *r) { free_list_str(*r); }

EXPORT("echo-record")
rec_t *echo_record(int32_t a, char *b_ptr, size_t b_len, pair_t *c_ptr, size_t c_len, double d) {
  ret_area.rec = rec_from_flat(a, b_ptr, b_len, c_ptr, c_len, d);
  return &ret_area.rec;
}
EXPORT("cabi_post_echo-record") void post_echo_record(rec_t *r) { free_rec(r); }

EXPORT("echo-tuple") tup_t *echo_tuple(int32_t a, char *b_ptr, size_t b_len, int32_t c) {
  ret_area.tup = (tup_t){(uint32_t)a, {b_ptr, b_len}, c != 0};
  return &ret_area.tup;
}
EXPORT("cabi_post_echo-tuple") void post_echo_tuple(tup_t *r) { free_str(r->b); }

EXPORT("echo-variant") var_t *echo_variant(int32_t tag, int64_t p0, int32_t p1) {
  ret_area.var = var_from_flat(tag, p0, p1);
  return &ret_area.var;
}
EXPORT("cabi_post_echo-variant") void post_echo_variant(var_t *r) { free_var(r); }

EXPORT("echo-option") opt_str_t *echo_option(int32_t is_some, char *ptr, size_t len) {
  ret_area.opt = (opt_str_t){(uint8_t)is_some, {is_some ? ptr : NULL, is_some ? len : 0}};
  return &ret_area.opt;
}
EXPORT("cabi_post_echo-option") void post_echo_option(opt_str_t *r) {
  if (r->is_some) free_str(r->val);
}

// result<u32, string> flattens to (i32 tag, i32 ok-or-ptr, i32 len)
EXPORT("echo-result") res_u32_str_t *echo_result(int32_t is_err, int32_t p0, int32_t p1) {
  ret_area.res.is_err = (uint8_t)is_err;
  if (is_err) ret_area.res.val.err = (str_t){(char *)(uintptr_t)(uint32_t)p0, (uint32_t)p1};
  else ret_area.res.val.ok = (uint32_t)p0;
  return &ret_area.res;
}
EXPORT("cabi_post_echo-result") void post_echo_result(res_u32_str_t *r) {
  if (r->is_err) free_str(r->val.err);
}

// ---- computed results ----
EXPORT("add-s64") int64_t add_s64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
EXPORT("mul-f64") double mul_f64(double a, double b) { return a * b; }
// The next Unicode scalar value, skipping the surrogate range and wrapping at the end.
EXPORT("next-char") int32_t next_char(int32_t c) {
  uint32_t n = (uint32_t)c + 1;
  if (n == 0xD800) n = 0xE000;
  if (n > 0x10FFFF) n = 0;
  return (int32_t)n;
}

// Number of Unicode scalar values in a UTF-8 string.
EXPORT("string-length") int32_t string_length(char *ptr, size_t len) {
  uint32_t n = 0;
  for (size_t i = 0; i < len; i++)
    if (((uint8_t)ptr[i] & 0xC0) != 0x80) n++;
  free_str((str_t){ptr, len});
  return (int32_t)n;
}

// Reverses the scalar values (not the bytes) of a UTF-8 string.
EXPORT("reverse-string") str_t *reverse_string(char *ptr, size_t len) {
  char *out = xmalloc(len);
  size_t i = 0;
  while (i < len) {
    size_t n = 1;
    while (i + n < len && ((uint8_t)ptr[i + n] & 0xC0) == 0x80) n++;
    memcpy(out + len - i - n, ptr + i, n);
    i += n;
  }
  free_str((str_t){ptr, len});
  ret_area.s = (str_t){out, len};
  return &ret_area.s;
}
EXPORT("cabi_post_reverse-string") void post_reverse_string(str_t *r) { free_str(*r); }

EXPORT("sum-list-u8") int32_t sum_list_u8(uint8_t *ptr, size_t len) {
  uint32_t s = 0;
  for (size_t i = 0; i < len; i++) s += ptr[i];
  if (len) free(ptr);
  return (int32_t)s;
}

EXPORT("join-strings")
str_t *join_strings(str_t *ptr, size_t len, char *sep_ptr, size_t sep_len) {
  size_t total = 0;
  for (size_t i = 0; i < len; i++) total += ptr[i].len + (i ? sep_len : 0);
  char *out = xmalloc(total), *o = out;
  for (size_t i = 0; i < len; i++) {
    if (i) { memcpy(o, sep_ptr, sep_len); o += sep_len; }
    memcpy(o, ptr[i].ptr, ptr[i].len);
    o += ptr[i].len;
  }
  free_list_str((list_str_t){ptr, len});
  free_str((str_t){sep_ptr, sep_len});
  ret_area.s = (str_t){out, total};
  return &ret_area.s;
}
EXPORT("cabi_post_join-strings") void post_join_strings(str_t *r) { free_str(*r); }

EXPORT("checked-div") res_s32_str_t *checked_div(int32_t a, int32_t b) {
  if (b == 0) {
    ret_area.res_s32 = (res_s32_str_t){1, {.err = str_lit("division by zero")}};
  } else if (a == INT32_MIN && b == -1) {
    ret_area.res_s32 = (res_s32_str_t){1, {.err = str_lit("overflow")}};
  } else {
    ret_area.res_s32 = (res_s32_str_t){0, {.ok = a / b}};
  }
  return &ret_area.res_s32;
}
EXPORT("cabi_post_checked-div") void post_checked_div(res_s32_str_t *r) {
  if (r->is_err) free_str(r->val.err);
}

EXPORT("color-name") str_t *color_name(int32_t c) {
  static const char *names[] = {"red", "green", "blue", "cyan", "magenta"};
  if ((uint32_t)c >= 5) abort();
  ret_area.s = str_lit(names[c]);
  return &ret_area.s;
}
EXPORT("cabi_post_color-name") void post_color_name(str_t *r) { free_str(*r); }

EXPORT("flags-count") int32_t flags_count(int32_t f) { return __builtin_popcount((uint32_t)f); }

// Appends text to a buffer (no stdio: wasi-libc's printf family would import WASI).
typedef struct { char *p; size_t n; } buf_t;
static void put(buf_t *b, const char *s, size_t n) { memcpy(b->p + b->n, s, n); b->n += n; }
static void put_u64(buf_t *b, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) b->p[b->n++] = tmp[--n];
}

// "a=<a> b=<b> c=[k1:v1,k2:v2] d=<d truncated toward zero to an integer>"
EXPORT("describe-record")
str_t *describe_record(int32_t a, char *b_ptr, size_t b_len, pair_t *c_ptr, size_t c_len, double d) {
  rec_t r = rec_from_flat(a, b_ptr, b_len, c_ptr, c_len, d);
  size_t cap = 64 + r.b.len;
  for (size_t i = 0; i < r.c.len; i++) cap += r.c.ptr[i].k.len + r.c.ptr[i].v.len + 2;
  buf_t b = {xmalloc(cap), 0};
  put(&b, "a=", 2);
  put_u64(&b, r.a);
  put(&b, " b=", 3);
  put(&b, r.b.ptr, r.b.len);
  put(&b, " c=[", 4);
  for (size_t i = 0; i < r.c.len; i++) {
    if (i) put(&b, ",", 1);
    put(&b, r.c.ptr[i].k.ptr, r.c.ptr[i].k.len);
    put(&b, ":", 1);
    put(&b, r.c.ptr[i].v.ptr, r.c.ptr[i].v.len);
  }
  put(&b, "] d=", 4);
  if (r.d < 0) put(&b, "-", 1);
  put_u64(&b, (uint64_t)(r.d < 0 ? -r.d : r.d));  // |d| < 2^64 assumed
  free_rec(&r);
  ret_area.s = (str_t){b.p, b.n};
  return &ret_area.s;
}
EXPORT("cabi_post_describe-record") void post_describe_record(str_t *r) { free_str(*r); }

// { a, b, c: [("k0","v0"), ..., ("k<n-1>","v<n-1>")], d }
EXPORT("make-record") rec_t *make_record(int32_t a, char *b_ptr, size_t b_len, int32_t n, double d) {
  pair_t *pairs = xmalloc((uint32_t)n * sizeof(pair_t));
  for (uint32_t i = 0; i < (uint32_t)n; i++) {
    char tmp[24];
    buf_t b = {tmp, 0};
    put(&b, "k", 1);
    put_u64(&b, i);
    pairs[i].k = str_copy(tmp, b.n);
    tmp[0] = 'v';
    pairs[i].v = str_copy(tmp, b.n);
  }
  ret_area.rec = rec_from_flat(a, b_ptr, b_len, pairs, (uint32_t)n, d);
  return &ret_area.rec;
}
EXPORT("cabi_post_make-record") void post_make_record(rec_t *r) { free_rec(r); }

// count, sum, min, max (0 and 0 for an empty list), mean (0 for an empty list).
EXPORT("make-stats") stats_t *make_stats(uint32_t *ptr, size_t len) {
  stats_t s = {(uint32_t)len, 0, len ? UINT32_MAX : 0, 0, 0.0};
  for (size_t i = 0; i < len; i++) {
    s.sum += ptr[i];
    if (ptr[i] < s.min) s.min = ptr[i];
    if (ptr[i] > s.max) s.max = ptr[i];
  }
  if (len) s.mean = (double)s.sum / (double)len;
  if (len) free(ptr);
  ret_area.stats = s;
  return &ret_area.stats;
}

// 20 u32 params > MAX_FLAT_PARAMS: one pointer to a tuple of them, allocated by the host.
EXPORT("sum20") int64_t sum20(uint32_t *params) {
  uint64_t s = 0;
  for (int i = 0; i < 20; i++) s += params[i];
  free(params);
  return (int64_t)s;
}

// 9 strings = 18 flat params: one pointer to a tuple of 9 (ptr, len) pairs.
EXPORT("concat9") str_t *concat9(str_t *params) {
  size_t total = 0;
  for (int i = 0; i < 9; i++) total += params[i].len;
  char *out = xmalloc(total), *o = out;
  for (int i = 0; i < 9; i++) {
    memcpy(o, params[i].ptr, params[i].len);
    o += params[i].len;
    free_str(params[i]);
  }
  free(params);
  ret_area.s = (str_t){out, total};
  return &ret_area.s;
}
EXPORT("cabi_post_concat9") void post_concat9(str_t *r) { free_str(*r); }

// ---- imports (lowered): results that do not fit one core value come back through a pointer the
// guest passes last; the host allocates what they point to with cabi_realloc. ----
IMPORT("host-echo-string") void host_echo_string(char *ptr, size_t len, str_t *ret);
IMPORT("host-echo-record")
void host_echo_record(int32_t a, char *b_ptr, size_t b_len, pair_t *c_ptr, size_t c_len, double d,
                      rec_t *ret);
IMPORT("host-echo-list-string") void host_echo_list_string(str_t *ptr, size_t len, list_str_t *ret);
IMPORT("host-echo-variant") void host_echo_variant(int32_t tag, int64_t p0, int32_t p1, var_t *ret);
IMPORT("host-echo-option") void host_echo_option(int32_t is_some, char *ptr, size_t len, opt_str_t *ret);
IMPORT("host-echo-result") void host_echo_result(int32_t is_err, int32_t p0, int32_t p1, res_u32_str_t *ret);
IMPORT("host-sum20") int64_t host_sum20(const uint32_t *params);

EXPORT("via-host-string") str_t *via_host_string(char *ptr, size_t len) {
  host_echo_string(ptr, len, &ret_area.s);
  free_str((str_t){ptr, len});
  return &ret_area.s;
}
EXPORT("cabi_post_via-host-string") void post_via_host_string(str_t *r) { free_str(*r); }

EXPORT("via-host-record")
rec_t *via_host_record(int32_t a, char *b_ptr, size_t b_len, pair_t *c_ptr, size_t c_len, double d) {
  rec_t in = rec_from_flat(a, b_ptr, b_len, c_ptr, c_len, d);
  host_echo_record(a, b_ptr, b_len, c_ptr, c_len, d, &ret_area.rec);
  free_rec(&in);
  return &ret_area.rec;
}
EXPORT("cabi_post_via-host-record") void post_via_host_record(rec_t *r) { free_rec(r); }

EXPORT("via-host-list-string") list_str_t *via_host_list_string(str_t *ptr, size_t len) {
  host_echo_list_string(ptr, len, &ret_area.ls);
  free_list_str((list_str_t){ptr, len});
  return &ret_area.ls;
}
EXPORT("cabi_post_via-host-list-string") void post_via_host_list_string(list_str_t *r) {
  free_list_str(*r);
}

EXPORT("via-host-variant") var_t *via_host_variant(int32_t tag, int64_t p0, int32_t p1) {
  var_t in = var_from_flat(tag, p0, p1);
  int32_t t;
  int64_t q0;
  int32_t q1;
  var_to_flat(&in, &t, &q0, &q1);  // round trip through the flat form on purpose
  host_echo_variant(t, q0, q1, &ret_area.var);
  free_var(&in);
  return &ret_area.var;
}
EXPORT("cabi_post_via-host-variant") void post_via_host_variant(var_t *r) { free_var(r); }

EXPORT("via-host-option") opt_str_t *via_host_option(int32_t is_some, char *ptr, size_t len) {
  host_echo_option(is_some, is_some ? ptr : NULL, is_some ? len : 0, &ret_area.opt);
  if (is_some) free_str((str_t){ptr, len});
  return &ret_area.opt;
}
EXPORT("cabi_post_via-host-option") void post_via_host_option(opt_str_t *r) {
  if (r->is_some) free_str(r->val);
}

EXPORT("via-host-result") res_u32_str_t *via_host_result(int32_t is_err, int32_t p0, int32_t p1) {
  host_echo_result(is_err, p0, is_err ? p1 : 0, &ret_area.res);
  if (is_err) free_str((str_t){(char *)(uintptr_t)(uint32_t)p0, (uint32_t)p1});
  return &ret_area.res;
}
EXPORT("cabi_post_via-host-result") void post_via_host_result(res_u32_str_t *r) {
  if (r->is_err) free_str(r->val.err);
}

EXPORT("via-host-sum20") int64_t via_host_sum20(uint32_t *params) {
  uint32_t local[20];
  memcpy(local, params, sizeof local);
  free(params);
  return host_sum20(local);
}
