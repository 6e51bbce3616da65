// witserve guest SDK for C and C++: write an HTTP handler for witserve as one function.
//
// A handler defines witserve_handle(); witserve.c (compiled and linked with it) holds the
// canonical-ABI glue of the world `witserve:handler/handler` (wit/handler.wit): the core export
// "handle" and its post-return "cabi_post_handle", "cabi_realloc", and the imports of
// `witserve:handler/host@0.1.0`. The host's log and get-config are imported only when the handler
// calls witserve_log() or witserve_get_config() (the linker drops what is unused).
//
//   #include "witserve.h"
//   void witserve_handle(const witserve_request *req, witserve_response *res) {
//     witserve_set_status(res, 200);
//     witserve_add_header(res, "content-type", "text/plain");
//     witserve_set_body(res, "Hello, world!\n");
//   }
//
// Build (see sdk/README.md): clang-19 --target=wasm32-wasi -mexec-model=reactor -O2 -Isdk/c
// handler.c sdk/c/witserve.c -o handler.core.wasm, then `jco embed --wit wit -n handler` and
// `jco new`. Avoid stdio (printf, snprintf, ...), getenv and files in such a plain build: they make
// the module import WASI (wasi_snapshot_preview1); malloc, string.h and the helpers below are fine.
// A handler that wants them is built with the preview1 reactor adapter instead (`jco new
// --wasi-reactor`; sdk/README.md, "With WASI") and needs a host that provides WASI 0.2.
//
// Memory: everything the request points to lives until witserve_handle returns; copy what must live
// longer. Running out of memory traps (the client gets a 500). Nothing is validated here: the host
// checks the status and the header names and values when the handler returns.
#ifndef WITSERVE_H
#define WITSERVE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// A string from the host: `len` bytes of UTF-8 at `ptr`, always followed by a NUL byte, so `ptr`
// is also a C string (method, path, header names and values never contain NUL themselves).
typedef struct {
  const char *ptr;
  size_t len;
} witserve_str;

typedef struct {
  witserve_str name;   // as the host passes it
  witserve_str value;
} witserve_header;

typedef struct {
  witserve_str method;              // "GET", "POST", ...
  witserve_str path;                // path and query as received: "/users/7?full=1"
  const witserve_header *headers;   // in the order received; route parameters included
  size_t header_count;
  const uint8_t *body;              // body_len bytes, followed by a NUL byte (the body may hold NULs)
  size_t body_len;
} witserve_request;

// The response being built; starts as status 200, no headers, empty body.
typedef struct witserve_response witserve_response;

// Implemented by the handler: called once per request.
void witserve_handle(const witserve_request *req, witserve_response *res);

// ---- request ----

// The value of the first header called `name` (ASCII case-insensitive), or NULL.
const char *witserve_find_header(const witserve_request *req, const char *name);
// The route parameter `name` (the header x-witserve-param-NAME), or NULL: for the route
// /users/:id, witserve_param(req, "id").
const char *witserve_param(const witserve_request *req, const char *name);
// The first query parameter called `name`, percent-decoded (and '+' as a space), as a malloc'd C
// string (free() it); NULL if the query has no such parameter. `?a` and `?a=` give "". Bytes that
// decode to NUL end the value there.
char *witserve_query(const witserve_request *req, const char *name);

// ---- response ----

void witserve_set_status(witserve_response *res, uint16_t status);
// Appends a header (copies both strings); a name may be added several times.
void witserve_add_header(witserve_response *res, const char *name, const char *value);
// Replace the body with a C string / with `len` bytes (copied).
void witserve_set_body(witserve_response *res, const char *text);
void witserve_set_body_bytes(witserve_response *res, const void *data, size_t len);
// Append a C string / `len` bytes to the body (copied).
void witserve_append_text(witserve_response *res, const char *text);
void witserve_append_body(witserve_response *res, const void *data, size_t len);
// The whole answer at once: status, a content type and the body. witserve_text sends
// `text/plain; charset=utf-8`, witserve_json `application/json` (the caller writes the JSON; see
// witserve_json_string).
void witserve_text(witserve_response *res, uint16_t status, const char *text);
void witserve_json(witserve_response *res, uint16_t status, const char *json);
// `text` as a JSON string literal, quotes included, with '"', '\\' and control characters
// escaped, as a malloc'd C string (free() it). `text` must be UTF-8.
char *witserve_json_string(const char *text);

// ---- host (each imported only if called) ----

typedef enum {
  WITSERVE_TRACE,
  WITSERVE_DEBUG,
  WITSERVE_INFO,
  WITSERVE_WARN,
  WITSERVE_ERROR,
} witserve_level;

// Writes `message` (UTF-8, no formatting) to the server's log, tagged with the route.
void witserve_log(witserve_level level, const char *message);
// The route's config value for `key` as a malloc'd C string (free() it), or NULL if not set.
char *witserve_get_config(const char *key);

// ---- helpers ----

// Formats `value` in decimal into `buf` and returns the C string (somewhere inside buf).
#define WITSERVE_U64_SIZE 21
const char *witserve_u64(uint64_t value, char buf[WITSERVE_U64_SIZE]);

#ifdef __cplusplus
}
#endif

#endif  // WITSERVE_H
