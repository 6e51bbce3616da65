// Test handler for recycled instances (built with guest_c_wasi): a constructor, run by the
// component's start function, draws 16 random bytes through WASI (getentropy -> wasi:random), and
// a static counter counts the requests this instance has served. The body is
// "seed=HEX served=N\n". A new instance, or a recycled one reset to its state after
// instantiation, shows a new seed and served=1; a reused instance keeps its seed and counts up.
// A query of "?trap" counts the request and then traps; "?grow" first mallocs and fills 4 MiB
// (the memory grows), then answers as usual.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "witserve.h"

static unsigned char seed[16];
static unsigned served;

__attribute__((constructor)) static void draw_seed(void) {
  if (getentropy(seed, sizeof seed) != 0) __builtin_trap();
}

void witserve_handle(const witserve_request *req, witserve_response *res) {
  static char body[64];
  const char *query = strchr(req->path.ptr, '?');
  if (query && strcmp(query, "?trap") == 0) {
    ++served;
    __builtin_trap();
  }
  if (query && strcmp(query, "?grow") == 0) {
    char *block = malloc(4 << 20);
    if (!block) __builtin_trap();
    memset(block, 1, 4 << 20);
  }
  int n = snprintf(body, sizeof body, "seed=");
  for (unsigned i = 0; i < sizeof seed; i++) n += snprintf(body + n, sizeof body - n, "%02x", seed[i]);
  snprintf(body + n, sizeof body - n, " served=%u\n", ++served);
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_set_body(res, body);
}
