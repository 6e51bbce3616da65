// Test handler (handler world): answers whatever its query asks, valid or not, so tests can check
// what the server does with it. Parameters: status=N, body=TEXT (no decoding), hlen=N (a header
// x-big of N bytes), nlen=N (a header name of N bytes).
#include <stdlib.h>
#include <string.h>

#include "witserve.h"

// The value of query parameter `name` in `path` (up to '&' or the end), or NULL.
static const char *param(const char *path, const char *name, size_t *len) {
  const char *q = strchr(path, '?');
  size_t n = strlen(name);
  while (q) {
    q++;
    if (strncmp(q, name, n) == 0 && q[n] == '=') {
      const char *v = q + n + 1;
      const char *end = strchr(v, '&');
      *len = end ? (size_t)(end - v) : strlen(v);
      return v;
    }
    q = strchr(q, '&');
  }
  return NULL;
}

static char *repeated(char c, size_t n) {
  char *s = malloc(n + 1);
  memset(s, c, n);
  s[n] = 0;
  return s;
}

void witserve_handle(const witserve_request *req, witserve_response *res) {
  size_t len;
  const char *v;
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  if ((v = param(req->path.ptr, "status", &len))) witserve_set_status(res, (uint16_t)atoi(v));
  if ((v = param(req->path.ptr, "hlen", &len))) witserve_add_header(res, "x-big", repeated('h', (size_t)atol(v)));
  if ((v = param(req->path.ptr, "nlen", &len))) witserve_add_header(res, repeated('n', (size_t)atol(v)), "v");
  if ((v = param(req->path.ptr, "body", &len))) witserve_set_body_bytes(res, v, len);
}
