// Test handler: answers a body of N bytes 'x'; N is the query parameter n (e.g. /big?n=10) or
// 1 MiB (1048576) without one.
#include <stdlib.h>
#include <string.h>

#include "witserve.h"

// The value of the query parameter n, or `fallback` when there is none.
static size_t query_n(const char *path, size_t fallback) {
  const char *q = strchr(path, '?');
  for (const char *p = q; p; p = strchr(p + 1, '&')) {
    if (strncmp(p + 1, "n=", 2)) continue;
    size_t n = 0;
    for (p += 3; *p >= '0' && *p <= '9'; p++) n = n * 10 + (size_t)(*p - '0');
    return n;
  }
  return fallback;
}

void witserve_handle(const witserve_request *req, witserve_response *res) {
  size_t n = query_n(req->path.ptr, 1 << 20);
  char *body = malloc(n ? n : 1);
  if (!body) __builtin_trap();
  memset(body, 'x', n);
  witserve_add_header(res, "content-type", "text/plain");
  witserve_set_body_bytes(res, body, n);
  free(body);
}
