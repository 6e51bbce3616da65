// bench/cpu_bench.sh's wasm side: a handler (sdk/c) that runs the kernel (sha256.h) for the
// number of rounds in its query (`?rounds=N`, default 100) and answers the last digest in hex.
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "witserve.h"

static uint8_t buffer[kSha256BenchBuffer];

void witserve_handle(const witserve_request *req, witserve_response *res) {
  const char *q = strstr(req->path.ptr, "rounds=");
  unsigned rounds = q ? (unsigned)strtoul(q + 7, NULL, 10) : 100;
  uint8_t digest[32];
  sha256_rounds(buffer, rounds, digest);
  static char hex[65];
  for (int i = 0; i < 32; i++) {
    hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
    hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 15];
  }
  witserve_add_header(res, "content-type", "text/plain");
  witserve_set_body(res, hex);
}
