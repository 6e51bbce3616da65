// Test handler for key-value and configuration (world kv-handler in kv/kv.wit): calls
// wasi:keyvalue 0.2.0-draft and 0.2.0-draft2, fermyon:spin/key-value@2.0.0, wasi:config/store in
// three versions and fermyon:spin/variables@2.0.0 through hand-written canonical-ABI glue (no
// bindings generator here), and spin:key-value@3.0.0 and spin:variables@3.0.0 (async functions,
// lowered synchronously; not get-keys, which returns a stream). Query values are URL-decoded; `s` is the store label (default
// "default"). VER is draft, draft2, spin2 or spin3 (no /keys). A first path segment other than these is skipped
// (a route prefix: /granted/draft2/get).
//
//   /VER/get?k=K          200 the value, or 404 "none"
//   /VER/set?k=K&v=V      "ok" (without v: the request body is the value)
//   /VER/delete?k=K       "ok"
//   /VER/exists?k=K       "true" / "false"
//   /VER/keys             the keys (every page of list-keys / get-keys), sorted, one per line
//   /draft|draft2/incr?k=K&d=N   the counter after adding N (default 1)
//   /draft|draft2/get-many?k=A,B     one line per key: "K=V" or "K (none)"
//   /draft|draft2/set-many?k=A,B&v=1,2   "ok"
//   /draft|draft2/delete-many?k=A,B  "ok"
//   /draft2/cas-incr?k=K  adds 1 to the decimal counter at K with cas.new/current/swap, retrying
//                         after cas-failed with the cas it returns: "N retries R"
//   /config/VER/get?k=K   VER draft, rc1 or 2024: 200 the value, or 404 "none"
//   /config/VER/all       "K=V" lines in the order given
//   /var?k=K              Spin variable (2.0.0): 200 the value; /var3?k=K the same through 3.0.0
// A key-value or variables error answers 500 (other, and Spin's variable errors) or 403
// (access-denied, no-such-store) with "error: CASE[: TEXT]".
#include <stdlib.h>
#include <string.h>

#include "witserve.h"

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define KV1 "wasi:keyvalue/store@0.2.0-draft"
#define KV1A "wasi:keyvalue/atomics@0.2.0-draft"
#define KV1B "wasi:keyvalue/batch@0.2.0-draft"
#define KV2 "wasi:keyvalue/store@0.2.0-draft2"
#define KV2A "wasi:keyvalue/atomics@0.2.0-draft2"
#define KV2B "wasi:keyvalue/batch@0.2.0-draft2"
#define SPIN "fermyon:spin/key-value@2.0.0"
#define SPINVAR "fermyon:spin/variables@2.0.0"
#define SPINKV3 "spin:key-value/key-value@3.0.0"

// ---- imports (core signatures of the canonical ABI on wasm32) ----

IMPORT(KV1, "open") void kv1_open(const char *, size_t, void *ret);
IMPORT(KV1, "[method]bucket.get") void kv1_get(int32_t, const char *, size_t, void *ret);
IMPORT(KV1, "[method]bucket.set") void kv1_set(int32_t, const char *, size_t, const void *, size_t, void *ret);
IMPORT(KV1, "[method]bucket.delete") void kv1_delete(int32_t, const char *, size_t, void *ret);
IMPORT(KV1, "[method]bucket.exists") void kv1_exists(int32_t, const char *, size_t, void *ret);
IMPORT(KV1, "[method]bucket.list-keys") void kv1_list_keys(int32_t, int32_t, int64_t, void *ret);
IMPORT(KV1, "[resource-drop]bucket") void kv1_drop(int32_t);
IMPORT(KV1A, "increment") void kv1_increment(int32_t, const char *, size_t, int64_t, void *ret);
IMPORT(KV1B, "get-many") void kv1_get_many(int32_t, const void *, size_t, void *ret);
IMPORT(KV1B, "set-many") void kv1_set_many(int32_t, const void *, size_t, void *ret);
IMPORT(KV1B, "delete-many") void kv1_delete_many(int32_t, const void *, size_t, void *ret);

IMPORT(KV2, "open") void kv2_open(const char *, size_t, void *ret);
IMPORT(KV2, "[method]bucket.get") void kv2_get(int32_t, const char *, size_t, void *ret);
IMPORT(KV2, "[method]bucket.set") void kv2_set(int32_t, const char *, size_t, const void *, size_t, void *ret);
IMPORT(KV2, "[method]bucket.delete") void kv2_delete(int32_t, const char *, size_t, void *ret);
IMPORT(KV2, "[method]bucket.exists") void kv2_exists(int32_t, const char *, size_t, void *ret);
IMPORT(KV2, "[method]bucket.list-keys") void kv2_list_keys(int32_t, int32_t, const char *, size_t, void *ret);
IMPORT(KV2, "[resource-drop]bucket") void kv2_drop(int32_t);
IMPORT(KV2A, "increment") void kv2_increment(int32_t, const char *, size_t, int64_t, void *ret);
IMPORT(KV2A, "[static]cas.new") void kv2_cas_new(int32_t, const char *, size_t, void *ret);
IMPORT(KV2A, "[method]cas.current") void kv2_cas_current(int32_t, void *ret);
IMPORT(KV2A, "swap") void kv2_swap(int32_t, const void *, size_t, void *ret);
IMPORT(KV2A, "[resource-drop]cas") void kv2_cas_drop(int32_t);
IMPORT(KV2B, "get-many") void kv2_get_many(int32_t, const void *, size_t, void *ret);
IMPORT(KV2B, "set-many") void kv2_set_many(int32_t, const void *, size_t, void *ret);
IMPORT(KV2B, "delete-many") void kv2_delete_many(int32_t, const void *, size_t, void *ret);

IMPORT(SPIN, "[static]store.open") void spin_open(const char *, size_t, void *ret);
IMPORT(SPIN, "[method]store.get") void spin_get(int32_t, const char *, size_t, void *ret);
IMPORT(SPIN, "[method]store.set") void spin_set(int32_t, const char *, size_t, const void *, size_t, void *ret);
IMPORT(SPIN, "[method]store.delete") void spin_delete(int32_t, const char *, size_t, void *ret);
IMPORT(SPIN, "[method]store.exists") void spin_exists(int32_t, const char *, size_t, void *ret);
IMPORT(SPIN, "[method]store.get-keys") void spin_get_keys(int32_t, void *ret);
IMPORT(SPIN, "[resource-drop]store") void spin_drop(int32_t);
IMPORT(SPINVAR, "get") void spin_var_get(const char *, size_t, void *ret);
IMPORT(SPINKV3, "[static]store.open") void spin3_open(const char *, size_t, void *ret);
IMPORT(SPINKV3, "[method]store.get") void spin3_get(int32_t, const char *, size_t, void *ret);
IMPORT(SPINKV3, "[method]store.set") void spin3_set(int32_t, const char *, size_t, const void *, size_t, void *ret);
IMPORT(SPINKV3, "[method]store.delete") void spin3_delete(int32_t, const char *, size_t, void *ret);
IMPORT(SPINKV3, "[method]store.exists") void spin3_exists(int32_t, const char *, size_t, void *ret);
IMPORT("spin:variables/variables@3.0.0", "get") void spin3_var_get(const char *, size_t, void *ret);

IMPORT("wasi:config/store@0.2.0-draft", "get") void cfg1_get(const char *, size_t, void *ret);
IMPORT("wasi:config/store@0.2.0-draft", "get-all") void cfg1_all(void *ret);
IMPORT("wasi:config/store@0.2.0-rc.1", "get") void cfg2_get(const char *, size_t, void *ret);
IMPORT("wasi:config/store@0.2.0-rc.1", "get-all") void cfg2_all(void *ret);
IMPORT("wasi:config/store@0.2.0-draft-2024-09-27", "get") void cfg3_get(const char *, size_t, void *ret);
IMPORT("wasi:config/store@0.2.0-draft-2024-09-27", "get-all") void cfg3_all(void *ret);

// ---- memory helpers ----

static _Alignas(8) uint8_t ret[40];  // return areas of the imports
static uint8_t u8at(const void *p, size_t off) { return ((const uint8_t *)p)[off]; }
static uint32_t u32at(const void *p, size_t off) {
  uint32_t v;
  memcpy(&v, (const uint8_t *)p + off, 4);
  return v;
}
static int64_t i64at(const void *p, size_t off) {
  int64_t v;
  memcpy(&v, (const uint8_t *)p + off, 8);
  return v;
}
typedef struct {
  const char *ptr;
  size_t len;
} str;  // string or list<u8> in memory: pointer, length
static str strat(const void *p, size_t off) { return (str){(const char *)(uintptr_t)u32at(p, off), u32at(p, off + 4)}; }

static const char *i64_text(int64_t v, char buf[24]) {
  char tmp[WITSERVE_U64_SIZE];
  if (v >= 0) return witserve_u64((uint64_t)v, buf);
  const char *d = witserve_u64((uint64_t)0 - (uint64_t)v, tmp);
  buf[0] = '-';
  strcpy(buf + 1, d);
  return buf;
}

// The URL-decoded value of query parameter `name`, malloc'd, or NULL.
static char *query(const char *path, const char *name) {
  size_t len = strlen(name);
  for (const char *p = strchr(path, '?'); p; p = strchr(p + 1, '&')) {
    if (strncmp(p + 1, name, len) || p[1 + len] != '=') continue;
    const char *v = p + 2 + len;
    char *out = malloc(strlen(v) + 1), *o = out;
    for (; *v && *v != '&'; v++) {
      int hi, lo;
      if (*v == '%' && v[1] && v[2] && (hi = (v[1] | 32) - (v[1] <= '9' ? '0' : 'a' - 10)) >= 0 && hi < 16 &&
          (lo = (v[2] | 32) - (v[2] <= '9' ? '0' : 'a' - 10)) >= 0 && lo < 16) {
        *o++ = (char)(hi * 16 + lo);
        v += 2;
      } else {
        *o++ = *v == '+' ? ' ' : *v;
      }
    }
    *o = 0;
    return out;
  }
  return NULL;
}

// Splits "a,b,c" into n strings (pointer, length) in place.
static str *split(char *text, size_t *n) {
  size_t count = 1;
  for (char *c = text; *c; c++) count += *c == ',';
  str *out = malloc(count * sizeof(str));
  *n = 0;
  for (char *start = text;;) {
    char *comma = strchr(start, ',');
    size_t l = comma ? (size_t)(comma - start) : strlen(start);
    out[(*n)++] = (str){start, l};
    if (!comma) break;
    start = comma + 1;
  }
  return out;
}

static void text(witserve_response *res, uint16_t status, const char *body) {
  witserve_set_status(res, status);
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_set_body(res, body);
}

// err(error) at `off`: answers with its case; `cases` are the variant's case names, `payload`
// whether each has a string.
static void fail_variant(witserve_response *res, const void *p, size_t off, const char *const *cases,
                         const int *payload, int forbidden_below) {
  uint8_t c = u8at(p, off);
  witserve_set_status(res, c < forbidden_below ? 403 : 500);
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_set_body(res, "error: ");
  witserve_append_text(res, cases[c]);
  if (payload[c]) {
    str s = strat(p, off + 4);
    witserve_append_text(res, ": ");
    witserve_append_body(res, s.ptr, s.len);
  }
}
static const char *const kv_cases[] = {"no-such-store", "access-denied", "other"};
static const int kv_payload[] = {0, 0, 1};
static const char *const spin_cases[] = {"store-table-full", "no-such-store", "access-denied", "other"};
static const int spin_payload[] = {0, 0, 0, 1};
static const char *const var_cases[] = {"invalid-name", "undefined", "provider", "other"};
static const int var_payload[] = {1, 1, 1, 1};
static const char *const cfg_cases[] = {"upstream", "io"};
static const int cfg_payload[] = {1, 1};

enum version { DRAFT, DRAFT2, SPIN2, SPIN3 };
static enum version ver;
static void kv_fail(witserve_response *res, const void *p, size_t off) {
  if (ver >= SPIN2) fail_variant(res, p, off, spin_cases, spin_payload, 3);
  else fail_variant(res, p, off, kv_cases, kv_payload, 2);
}

// ---- key-value ----

static int open_store(const char *label, witserve_response *res, int32_t *handle) {
  size_t n = strlen(label);
  if (ver == DRAFT) kv1_open(label, n, ret);
  else if (ver == DRAFT2) kv2_open(label, n, ret);
  else if (ver == SPIN2) spin_open(label, n, ret);
  else spin3_open(label, n, ret);
  if (u8at(ret, 0)) {
    kv_fail(res, ret, 4);
    return 0;
  }
  *handle = (int32_t)u32at(ret, 4);
  return 1;
}

static int cmp(const void *a, const void *b) {
  const str *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->ptr, y->ptr, n);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void keys(int32_t b, witserve_response *res) {
  str *all = NULL;
  size_t n = 0, cap = 0;
  int has_cursor = 0;
  int64_t cursor1 = 0;
  str cursor2 = {0, 0};
  do {
    size_t base;
    if (ver == SPIN2) {
      spin_get_keys(b, ret);
      base = 4;
    } else if (ver == DRAFT) {
      kv1_list_keys(b, has_cursor, cursor1, ret);
      base = 8;
    } else {
      kv2_list_keys(b, has_cursor, cursor2.ptr, cursor2.len, ret);
      base = 4;
    }
    if (u8at(ret, 0)) {
      kv_fail(res, ret, base);
      return;
    }
    str list = strat(ret, base);
    for (size_t i = 0; i < list.len; i++) {
      if (n == cap) all = realloc(all, (cap = cap ? cap * 2 : 16) * sizeof(str));
      all[n++] = strat(list.ptr, i * 8);
    }
    if (ver == SPIN2) break;
    has_cursor = u8at(ret, base + 8);
    if (ver == DRAFT) cursor1 = i64at(ret, 24);
    else cursor2 = strat(ret, 16);
  } while (has_cursor);
  if (n) qsort(all, n, sizeof(str), cmp);
  text(res, 200, "");
  for (size_t i = 0; i < n; i++) {
    witserve_append_body(res, all[i].ptr, all[i].len);
    witserve_append_text(res, "\n");
  }
}

static void batch(const char *op, int32_t b, char *keys_text, char *values_text, witserve_response *res) {
  size_t n = 0, nv = 0;
  str *ks = split(keys_text, &n);
  if (!strcmp(op, "get-many")) {
    if (ver == DRAFT) kv1_get_many(b, ks, n, ret);
    else kv2_get_many(b, ks, n, ret);
    if (u8at(ret, 0)) return kv_fail(res, ret, 4);
    str list = strat(ret, 4);
    text(res, 200, "");
    for (size_t i = 0; i < list.len; i++) {
      const char *e = list.ptr + i * 20;
      int some = ver == DRAFT ? u8at(e, 0) : u8at(e, 8);
      str k = ver == DRAFT ? (some ? strat(e, 4) : ks[i]) : strat(e, 0);
      witserve_append_body(res, k.ptr, k.len);
      if (!some) {
        witserve_append_text(res, " (none)\n");
        continue;
      }
      str v = ver == DRAFT ? strat(e, 12) : strat(e, 12);
      witserve_append_text(res, "=");
      witserve_append_body(res, v.ptr, v.len);
      witserve_append_text(res, "\n");
    }
    return;
  }
  if (!strcmp(op, "set-many")) {
    str *vs = split(values_text ? values_text : (char[]){0}, &nv);
    str *pairs = malloc(2 * n * sizeof(str));
    for (size_t i = 0; i < n; i++) pairs[2 * i] = ks[i], pairs[2 * i + 1] = i < nv ? vs[i] : (str){"", 0};
    if (ver == DRAFT) kv1_set_many(b, pairs, n, ret);
    else kv2_set_many(b, pairs, n, ret);
  } else {
    if (ver == DRAFT) kv1_delete_many(b, ks, n, ret);
    else kv2_delete_many(b, ks, n, ret);
  }
  if (u8at(ret, 0)) return kv_fail(res, ret, 4);
  text(res, 200, "ok");
}

static int64_t parse_i64(const char *s, size_t n) {
  int64_t v = 0, sign = 1;
  size_t i = 0;
  if (n && s[0] == '-') sign = -1, i = 1;
  for (; i < n; i++) v = v * 10 + (s[i] - '0');
  return v * sign;
}

// Adds 1 to the counter at `key` by compare-and-swap, retrying until a swap succeeds.
static void cas_incr(int32_t b, const char *key, witserve_response *res) {
  kv2_cas_new(b, key, strlen(key), ret);
  if (u8at(ret, 0)) return kv_fail(res, ret, 4);
  int32_t cas = (int32_t)u32at(ret, 4);
  char buf[24], rbuf[24];
  for (int64_t retries = 0;; retries++) {
    kv2_cas_current(cas, ret);
    if (u8at(ret, 0)) return kv_fail(res, ret, 4);
    int64_t n = u8at(ret, 4) ? parse_i64(strat(ret, 8).ptr, strat(ret, 8).len) : 0;
    const char *next = i64_text(n + 1, buf);
    kv2_swap(cas, next, strlen(next), ret);  // consumes cas
    if (!u8at(ret, 0)) {
      text(res, 200, next);
      witserve_append_text(res, " retries ");
      witserve_append_text(res, i64_text(retries, rbuf));
      return;
    }
    if (u8at(ret, 4) == 0) return kv_fail(res, ret, 8);  // store-error(error)
    cas = (int32_t)u32at(ret, 8);                        // cas-failed(cas): try again from it
  }
}

static void key_value(const char *op, const witserve_request *req, witserve_response *res) {
  char *label = query(req->path.ptr, "s");
  char *key = query(req->path.ptr, "k");
  char *value = query(req->path.ptr, "v");
  int32_t b;
  if (!open_store(label ? label : "default", res, &b)) return;
  if (!strcmp(op, "open")) return text(res, 200, "ok");
  if (!strcmp(op, "keys") && ver != SPIN3) return keys(b, res);
  if (!strcmp(op, "get-many") || !strcmp(op, "set-many") || !strcmp(op, "delete-many"))
    return batch(op, b, key ? key : (char[]){0}, value, res);
  if (!key) return text(res, 400, "no k\n");
  size_t kl = strlen(key);
  if (!strcmp(op, "get") || !strcmp(op, "exists") || !strcmp(op, "delete")) {
    int get = op[0] == 'g', exists = op[0] == 'e';
    if (ver == DRAFT) (get ? kv1_get : exists ? kv1_exists : kv1_delete)(b, key, kl, ret);
    else if (ver == DRAFT2) (get ? kv2_get : exists ? kv2_exists : kv2_delete)(b, key, kl, ret);
    else if (ver == SPIN2) (get ? spin_get : exists ? spin_exists : spin_delete)(b, key, kl, ret);
    else (get ? spin3_get : exists ? spin3_exists : spin3_delete)(b, key, kl, ret);
    if (u8at(ret, 0)) return kv_fail(res, ret, 4);
    if (exists) return text(res, 200, u8at(ret, 4) ? "true" : "false");
    if (!get) return text(res, 200, "ok");
    if (!u8at(ret, 4)) return text(res, 404, "none");
    str v = strat(ret, 8);
    text(res, 200, "");
    return witserve_append_body(res, v.ptr, v.len);
  }
  if (!strcmp(op, "set")) {
    const void *data = value ? value : (const void *)req->body;
    size_t len = value ? strlen(value) : req->body_len;
    if (ver == DRAFT) kv1_set(b, key, kl, data, len, ret);
    else if (ver == DRAFT2) kv2_set(b, key, kl, data, len, ret);
    else if (ver == SPIN2) spin_set(b, key, kl, data, len, ret);
    else spin3_set(b, key, kl, data, len, ret);
    if (u8at(ret, 0)) return kv_fail(res, ret, 4);
    return text(res, 200, "ok");
  }
  if (!strcmp(op, "incr") && ver < SPIN2) {
    char *d = query(req->path.ptr, "d");
    int64_t delta = d ? parse_i64(d, strlen(d)) : 1;
    if (ver == DRAFT) kv1_increment(b, key, kl, delta, ret);
    else kv2_increment(b, key, kl, delta, ret);
    if (u8at(ret, 0)) return kv_fail(res, ret, 8);
    char buf[24];
    return text(res, 200, ver == DRAFT ? witserve_u64((uint64_t)i64at(ret, 8), buf) : i64_text(i64at(ret, 8), buf));
  }
  if (!strcmp(op, "cas-incr") && ver == DRAFT2) return cas_incr(b, key, res);
  text(res, 404, "no such test path\n");
}

// ---- configuration ----

static void config(const char *which, const char *op, const witserve_request *req, witserve_response *res) {
  char *key = query(req->path.ptr, "k");
  int v = !strcmp(which, "draft") ? 1 : !strcmp(which, "rc1") ? 2 : !strcmp(which, "2024") ? 3 : 0;
  if (!v) return text(res, 404, "no such config version\n");
  if (!strcmp(op, "all")) {
    (v == 1 ? cfg1_all : v == 2 ? cfg2_all : cfg3_all)(ret);
    if (u8at(ret, 0)) return fail_variant(res, ret, 4, cfg_cases, cfg_payload, 0);
    str list = strat(ret, 4);
    text(res, 200, "");
    for (size_t i = 0; i < list.len; i++) {
      str k = strat(list.ptr, i * 16), val = strat(list.ptr, i * 16 + 8);
      witserve_append_body(res, k.ptr, k.len);
      witserve_append_text(res, "=");
      witserve_append_body(res, val.ptr, val.len);
      witserve_append_text(res, "\n");
    }
    return;
  }
  if (!key) return text(res, 400, "no k\n");
  (v == 1 ? cfg1_get : v == 2 ? cfg2_get : cfg3_get)(key, strlen(key), ret);
  if (u8at(ret, 0)) return fail_variant(res, ret, 4, cfg_cases, cfg_payload, 0);
  if (!u8at(ret, 4)) return text(res, 404, "none");
  str val = strat(ret, 8);
  text(res, 200, "");
  witserve_append_body(res, val.ptr, val.len);
}

static void variable(int v3, const witserve_request *req, witserve_response *res) {
  char *key = query(req->path.ptr, "k");
  if (!key) return text(res, 400, "no k\n");
  (v3 ? spin3_var_get : spin_var_get)(key, strlen(key), ret);
  if (u8at(ret, 0)) return fail_variant(res, ret, 4, var_cases, var_payload, 0);
  str val = strat(ret, 4);
  text(res, 200, "");
  witserve_append_body(res, val.ptr, val.len);
}

void witserve_handle(const witserve_request *req, witserve_response *res) {
  // "/A/B[/C]?..." -> segments
  char path[256];
  size_t n = strcspn(req->path.ptr, "?");
  if (n >= sizeof path) return text(res, 404, "no such test path\n");
  memcpy(path, req->path.ptr, n);
  path[n] = 0;
  char *a = strtok(path, "/"), *b = a ? strtok(NULL, "/") : NULL, *c = b ? strtok(NULL, "/") : NULL;
  // A first segment that names nothing here is the route's prefix (/granted/draft/open): skip it.
  if (a && strcmp(a, "var") && strcmp(a, "var3") && strcmp(a, "config") && strcmp(a, "draft") && strcmp(a, "draft2") &&
      strcmp(a, "spin2") && strcmp(a, "spin3")) {
    a = b;
    b = c;
    c = c ? strtok(NULL, "/") : NULL;
  }
  if (a && (!strcmp(a, "var") || !strcmp(a, "var3"))) return variable(a[3] == '3', req, res);
  if (a && b && c && !strcmp(a, "config")) return config(b, c, req, res);
  if (!a || !b) return text(res, 404, "no such test path\n");
  if (!strcmp(a, "draft")) ver = DRAFT;
  else if (!strcmp(a, "draft2")) ver = DRAFT2;
  else if (!strcmp(a, "spin2")) ver = SPIN2;
  else if (!strcmp(a, "spin3")) ver = SPIN3;
  else return text(res, 404, "no such test path\n");
  key_value(b, req, res);
}
