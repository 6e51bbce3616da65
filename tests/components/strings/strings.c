// The "strings" test component (world test:strings/strings, see strings.wit and ../README.md).
// Compiled three times with -DSTRING_ENCODING=1 (utf8), 2 (utf16) or 3 (latin1+utf16); the
// component's canon lift/lower options carry the same encoding (`jco embed --string-encoding`).
//
// A string in guest memory is (ptr, length):
//   utf8          bytes, length in bytes
//   utf16         16-bit code units (2-byte aligned), length in code units
//   latin1+utf16  length bit 31 clear: Latin-1 bytes, length in bytes;
//                 length bit 31 set ("UTF16_TAG"): UTF-16 code units, length & ~tag code units
// The functions decode strings into Unicode scalar values, work on those, and encode results in
// the guest's encoding (for latin1+utf16: Latin-1 when every scalar value is below U+0100).
// Empty strings and lists are never freed: jco passes the dangling pointer 1 for them.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef STRING_ENCODING
#error "define STRING_ENCODING: 1 utf8, 2 utf16, 3 latin1+utf16"
#endif

#define EXPORT(name) __attribute__((export_name(name)))
#define UTF16_TAG 0x80000000u

typedef struct { void *ptr; uint32_t len; } str_t;  // len: bytes, code units or tagged (see above)
typedef struct { str_t *ptr; uint32_t len; } list_str_t;

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) __builtin_trap();
  return p;
}

EXPORT("cabi_realloc")
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (align > 16) __builtin_trap();
  void *p = realloc(ptr, new_size ? new_size : 1);
  if (!p) __builtin_trap();
  return p;
}

// ---- decoding to scalar values ----
typedef struct { uint32_t *cp; size_t n; } scalars_t;

__attribute__((unused)) static void decode_utf16(const uint16_t *u, size_t n, scalars_t *out) {
  out->cp = xmalloc(n * 4);
  out->n = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = u[i];
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && u[i + 1] >= 0xDC00 && u[i + 1] < 0xE000) {
      c = 0x10000 + ((c - 0xD800) << 10) + (u[i + 1] - 0xDC00);
      i++;
    }
    out->cp[out->n++] = c;
  }
}

static scalars_t decode(str_t s) {
  scalars_t r;
#if STRING_ENCODING == 1
  const uint8_t *b = s.ptr;
  r.cp = xmalloc(s.len * 4);
  r.n = 0;
  for (size_t i = 0; i < s.len;) {
    uint32_t c = b[i];
    size_t extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    c &= extra == 0 ? 0x7F : extra == 1 ? 0x1F : extra == 2 ? 0x0F : 0x07;
    for (size_t k = 1; k <= extra && i + k < s.len; k++) c = (c << 6) | (b[i + k] & 0x3F);
    r.cp[r.n++] = c;
    i += 1 + extra;
  }
#elif STRING_ENCODING == 2
  decode_utf16(s.ptr, s.len, &r);
#else
  if (s.len & UTF16_TAG) {
    decode_utf16(s.ptr, s.len & ~UTF16_TAG, &r);
  } else {
    const uint8_t *b = s.ptr;
    r.cp = xmalloc(s.len * 4);
    r.n = s.len;
    for (size_t i = 0; i < s.len; i++) r.cp[i] = b[i];
  }
#endif
  return r;
}

// ---- encoding from scalar values ----
__attribute__((unused)) static size_t put_utf16(uint16_t *u, uint32_t c) {
  if (c < 0x10000) { u[0] = (uint16_t)c; return 1; }
  c -= 0x10000;
  u[0] = (uint16_t)(0xD800 + (c >> 10));
  u[1] = (uint16_t)(0xDC00 + (c & 0x3FF));
  return 2;
}

static str_t encode(const uint32_t *cp, size_t n) {
  str_t r;
#if STRING_ENCODING == 1
  uint8_t *b = xmalloc(n * 4);
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t c = cp[i];
    if (c < 0x80) {
      b[len++] = (uint8_t)c;
    } else if (c < 0x800) {
      b[len++] = (uint8_t)(0xC0 | (c >> 6));
      b[len++] = (uint8_t)(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      b[len++] = (uint8_t)(0xE0 | (c >> 12));
      b[len++] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
      b[len++] = (uint8_t)(0x80 | (c & 0x3F));
    } else {
      b[len++] = (uint8_t)(0xF0 | (c >> 18));
      b[len++] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
      b[len++] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
      b[len++] = (uint8_t)(0x80 | (c & 0x3F));
    }
  }
  r.ptr = b;
  r.len = (uint32_t)len;
#else
#if STRING_ENCODING == 3
  int latin1 = 1;
  for (size_t i = 0; i < n; i++) latin1 &= cp[i] < 0x100;
  if (latin1) {
    uint8_t *b = xmalloc(n);
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)cp[i];
    r.ptr = b;
    r.len = (uint32_t)n;
    return r;
  }
#endif
  uint16_t *u = xmalloc(n * 4);
  size_t len = 0;
  for (size_t i = 0; i < n; i++) len += put_utf16(u + len, cp[i]);
  r.ptr = u;
  r.len = (uint32_t)len;
#if STRING_ENCODING == 3
  r.len |= UTF16_TAG;
#endif
#endif
  return r;
}

static str_t encode_ascii(const char *s) {
  uint32_t cp[16];
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++) cp[i] = (uint8_t)s[i];
  return encode(cp, n);
}

static void free_str(str_t s) {
  if (s.len & ~UTF16_TAG) free(s.ptr);
}

// ---- exports; string results go through a static return area, freed by post-return ----
static union { str_t s; list_str_t l; } ret_area;

EXPORT("echo") str_t *echo(void *ptr, uint32_t len) {
  ret_area.s = (str_t){ptr, len};
  return &ret_area.s;
}
EXPORT("cabi_post_echo") void post_echo(str_t *r) { free_str(*r); }

EXPORT("reverse") str_t *reverse(void *ptr, uint32_t len) {
  scalars_t s = decode((str_t){ptr, len});
  for (size_t i = 0, j = s.n; i + 1 < j; i++, j--) {
    uint32_t t = s.cp[i];
    s.cp[i] = s.cp[j - 1];
    s.cp[j - 1] = t;
  }
  ret_area.s = encode(s.cp, s.n);
  free(s.cp);
  free_str((str_t){ptr, len});
  return &ret_area.s;
}
EXPORT("cabi_post_reverse") void post_reverse(str_t *r) { free_str(*r); }

EXPORT("concat") str_t *concat(void *a_ptr, uint32_t a_len, void *b_ptr, uint32_t b_len) {
  scalars_t a = decode((str_t){a_ptr, a_len}), b = decode((str_t){b_ptr, b_len});
  uint32_t *all = xmalloc((a.n + b.n) * 4);
  memcpy(all, a.cp, a.n * 4);
  memcpy(all + a.n, b.cp, b.n * 4);
  ret_area.s = encode(all, a.n + b.n);
  free(all);
  free(a.cp);
  free(b.cp);
  free_str((str_t){a_ptr, a_len});
  free_str((str_t){b_ptr, b_len});
  return &ret_area.s;
}
EXPORT("cabi_post_concat") void post_concat(str_t *r) { free_str(*r); }

EXPORT("code-units") uint32_t code_units(void *ptr, uint32_t len) {
  free_str((str_t){ptr, len});
  return len & ~UTF16_TAG;  // the tag bit is only ever set with latin1+utf16
}

EXPORT("encoding-of") str_t *encoding_of(void *ptr, uint32_t len) {
  free_str((str_t){ptr, len});
#if STRING_ENCODING == 1
  ret_area.s = encode_ascii("utf8");
#elif STRING_ENCODING == 2
  ret_area.s = encode_ascii("utf16");
#else
  ret_area.s = encode_ascii(len & UTF16_TAG ? "utf16" : "latin1");
#endif
  return &ret_area.s;
}
EXPORT("cabi_post_encoding-of") void post_encoding_of(str_t *r) { free_str(*r); }

EXPORT("echo-list") list_str_t *echo_list(str_t *ptr, uint32_t len) {
  ret_area.l = (list_str_t){ptr, len};
  return &ret_area.l;
}
EXPORT("cabi_post_echo-list") void post_echo_list(list_str_t *r) {
  for (uint32_t i = 0; i < r->len; i++) free_str(r->ptr[i]);
  if (r->len) free(r->ptr);
}

__attribute__((import_module("test:strings/host"), import_name("host-echo")))
extern void host_echo(void *ptr, uint32_t len, str_t *ret);

EXPORT("via-host") str_t *via_host(void *ptr, uint32_t len) {
  host_echo(ptr, len, &ret_area.s);
  free_str((str_t){ptr, len});
  return &ret_area.s;
}
EXPORT("cabi_post_via-host") void post_via_host(str_t *r) { free_str(*r); }
