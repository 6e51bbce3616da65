// witserve guest SDK for C: the canonical-ABI glue of world witserve:handler/handler (see
// witserve.h and wit/handler.wit). No bindings generator; core names follow wit-component's
// convention: "handle", "cabi_post_handle", "cabi_realloc", imports from module
// "witserve:handler/host@0.1.0".
//
// handle(request) -> response: the request record flattens to 8 i32 (method, path, headers, body as
// pointer + length), so it arrives as parameters; the response (status u16 @0, headers @4, body @12;
// size 20, align 4) does not fit one core value and is returned through a static area that
// cabi_post_handle frees. Memory layouts of string and list (pointer, length), tuple<string,
// string> and the response are those of the C structs below on wasm32.
//
// Ownership: what the host passes in was allocated through cabi_realloc and belongs to this module;
// it is freed when witserve_handle returns. cabi_realloc allocates one byte more than asked and sets
// it to NUL, so every string the host lowers is a C string without copying; zero-size requests get
// a static, aligned, zeroed block (never freed). Empty strings and lists are never freed, whatever
// their pointer (jco passes the dangling pointer 1 without calling cabi_realloc).
#include "witserve.h"

#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))
#define HOST_IMPORT(name) __attribute__((import_module("witserve:handler/host@0.1.0"), import_name(name)))

struct witserve_response {
  uint16_t status;
  witserve_header *headers;
  size_t header_count, header_cap;
  uint8_t *body;
  size_t body_len, body_cap;
};

// The canonical-ABI layout of record response { status: u16, headers: list<tuple<string, string>>,
// body: list<u8> }.
typedef struct {
  uint16_t status;
  const witserve_header *headers;
  size_t header_count;
  const uint8_t *body;
  size_t body_len;
} response_abi;
_Static_assert(sizeof(witserve_str) == 8 && sizeof(witserve_header) == 16, "string, tuple");
_Static_assert(sizeof(response_abi) == 20 && offsetof(response_abi, headers) == 4 &&
               offsetof(response_abi, body) == 12, "response");

static _Alignas(16) char empty[16];   // zero-size allocations; also "" for empty strings
static witserve_response current;     // the response of the call in progress
static response_abi ret_area;         // read by the host, then freed by cabi_post_handle

// ---- allocation ----

EXPORT("cabi_realloc")
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (align > 16 || new_size == SIZE_MAX) __builtin_trap();  // malloc aligns to 16
  if (old == empty) old = NULL;
  if (new_size == 0) {
    free(old);
    return empty;
  }
  char *p = realloc(old, new_size + 1);
  if (!p) __builtin_trap();
  p[new_size] = 0;
  return p;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return p;
  size_t n = *cap ? *cap : 4;
  while (n < need) n *= 2;
  p = realloc(p, n * elem);
  if (!p) __builtin_trap();
  *cap = n;
  return p;
}

static char *copy_cstr(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) __builtin_trap();
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

static void free_str(witserve_str s) {
  if (s.len) free((void *)s.ptr);
}

static witserve_str str_in(const char *ptr, size_t len) {
  return (witserve_str){len ? ptr : empty, len};
}

// ---- the export ----

EXPORT("handle")
response_abi *witserve_export_handle(const char *method, size_t method_len, const char *path,
                                     size_t path_len, witserve_header *headers, size_t header_count,
                                     const uint8_t *body, size_t body_len) {
  for (size_t i = 0; i < header_count; i++) {
    headers[i].name = str_in(headers[i].name.ptr, headers[i].name.len);
    headers[i].value = str_in(headers[i].value.ptr, headers[i].value.len);
  }
  witserve_request req = {
      str_in(method, method_len), str_in(path, path_len),
      header_count ? headers : (witserve_header *)empty, header_count,
      body_len ? body : (const uint8_t *)empty, body_len,
  };
  current = (witserve_response){.status = 200};
  witserve_handle(&req, &current);

  free_str(req.method);
  free_str(req.path);
  for (size_t i = 0; i < header_count; i++) {
    free_str(headers[i].name);
    free_str(headers[i].value);
  }
  if (header_count) free(headers);
  if (body_len) free((void *)body);

  ret_area = (response_abi){current.status, current.headers, current.header_count, current.body,
                            current.body_len};
  return &ret_area;
}

EXPORT("cabi_post_handle")
void witserve_post_handle(response_abi *r) {
  for (size_t i = 0; i < r->header_count; i++) {
    free((void *)r->headers[i].name.ptr);
    free((void *)r->headers[i].value.ptr);
  }
  free((void *)r->headers);
  free((void *)r->body);
  current = (witserve_response){0};
}

// ---- request ----

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// Whether `s` equals prefix followed by name, ASCII case-insensitively.
static int name_is(witserve_str s, const char *prefix, const char *name) {
  size_t pl = strlen(prefix);
  if (s.len != pl + strlen(name)) return 0;
  for (size_t i = 0; i < s.len; i++)
    if (lower((unsigned char)s.ptr[i]) != lower((unsigned char)(i < pl ? prefix[i] : name[i - pl])))
      return 0;
  return 1;
}

static const char *find_header(const witserve_request *req, const char *prefix, const char *name) {
  for (size_t i = 0; i < req->header_count; i++)
    if (name_is(req->headers[i].name, prefix, name)) return req->headers[i].value.ptr;
  return NULL;
}

const char *witserve_find_header(const witserve_request *req, const char *name) {
  return find_header(req, "", name);
}

const char *witserve_param(const witserve_request *req, const char *name) {
  return find_header(req, "x-witserve-param-", name);
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *witserve_query(const witserve_request *req, const char *name) {
  const char *q = memchr(req->path.ptr, '?', req->path.len);
  if (!q) return NULL;
  const char *end = req->path.ptr + req->path.len;
  size_t name_len = strlen(name);
  for (const char *p = q + 1; p < end;) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(stop - p));
    const char *key_end = eq ? eq : stop;
    if ((size_t)(key_end - p) == name_len && memcmp(p, name, name_len) == 0) {
      const char *v = eq ? eq + 1 : stop;
      char *out = malloc((size_t)(stop - v) + 1), *o = out;
      if (!out) return NULL;
      for (; v < stop; v++) {
        int hi, lo;
        if (*v == '+') {
          *o++ = ' ';
        } else if (*v == '%' && stop - v >= 3 && (hi = hex_digit(v[1])) >= 0 && (lo = hex_digit(v[2])) >= 0) {
          *o++ = (char)(hi * 16 + lo);
          v += 2;
        } else {
          *o++ = *v;
        }
      }
      *o = 0;
      return out;
    }
    p = stop + 1;
  }
  return NULL;
}

// ---- response ----

void witserve_set_status(witserve_response *res, uint16_t status) { res->status = status; }

void witserve_add_header(witserve_response *res, const char *name, const char *value) {
  res->headers = grow(res->headers, &res->header_cap, res->header_count + 1, sizeof(witserve_header));
  size_t nl = strlen(name), vl = strlen(value);
  res->headers[res->header_count++] =
      (witserve_header){{copy_cstr(name, nl), nl}, {copy_cstr(value, vl), vl}};
}

void witserve_append_body(witserve_response *res, const void *data, size_t len) {
  if (!len) return;
  res->body = grow(res->body, &res->body_cap, res->body_len + len, 1);
  memcpy(res->body + res->body_len, data, len);
  res->body_len += len;
}

void witserve_append_text(witserve_response *res, const char *text) {
  witserve_append_body(res, text, strlen(text));
}

void witserve_set_body_bytes(witserve_response *res, const void *data, size_t len) {
  res->body_len = 0;
  witserve_append_body(res, data, len);
}

void witserve_set_body(witserve_response *res, const char *text) {
  witserve_set_body_bytes(res, text, strlen(text));
}

void witserve_text(witserve_response *res, uint16_t status, const char *text) {
  witserve_set_status(res, status);
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_set_body(res, text);
}

void witserve_json(witserve_response *res, uint16_t status, const char *json) {
  witserve_set_status(res, status);
  witserve_add_header(res, "content-type", "application/json");
  witserve_set_body(res, json);
}

char *witserve_json_string(const char *text) {
  size_t len = strlen(text);
  char *out = malloc(len * 6 + 3), *o = out;  // \u00XX is the longest escape
  if (!out) return NULL;
  *o++ = '"';
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    switch (*p) {
      case '"': *o++ = '\\', *o++ = '"'; break;
      case '\\': *o++ = '\\', *o++ = '\\'; break;
      case '\n': *o++ = '\\', *o++ = 'n'; break;
      case '\r': *o++ = '\\', *o++ = 'r'; break;
      case '\t': *o++ = '\\', *o++ = 't'; break;
      default:
        if (*p < 0x20) {
          static const char hex[] = "0123456789abcdef";
          *o++ = '\\', *o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[*p >> 4], *o++ = hex[*p & 15];
        } else {
          *o++ = (char)*p;
        }
    }
  }
  *o++ = '"';
  *o = 0;
  return out;
}

// ---- host ----

HOST_IMPORT("log") extern void host_log(int32_t level, const char *ptr, size_t len);
// option<string> comes back through `ret`: tag u8 @0, string @4 (size 12, align 4).
HOST_IMPORT("get-config") extern void host_get_config(const char *ptr, size_t len, void *ret);

void witserve_log(witserve_level level, const char *message) {
  host_log((int32_t)level, message, strlen(message));
}

char *witserve_get_config(const char *key) {
  struct { uint8_t is_some; const char *ptr; size_t len; } ret;
  _Static_assert(sizeof ret == 12 && offsetof(__typeof__(ret), ptr) == 4, "option<string>");
  host_get_config(key, strlen(key), &ret);
  if (!ret.is_some) return NULL;
  // A non-empty string was allocated by cabi_realloc: already NUL-terminated, and ours to hand out.
  return ret.len ? (char *)ret.ptr : copy_cstr("", 0);
}

// ---- helpers ----

const char *witserve_u64(uint64_t value, char buf[WITSERVE_U64_SIZE]) {
  char *p = buf + WITSERVE_U64_SIZE - 1;
  *p = 0;
  do *--p = (char)('0' + value % 10); while (value /= 10);
  return p;
}
