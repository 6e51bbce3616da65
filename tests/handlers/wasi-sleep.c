// Test handler that waits in the host: sleeps ?ms=N milliseconds (default 1000) with usleep,
// which wasi-libc turns into poll_oneoff on a clock and the preview1 adapter into
// wasi:clocks/monotonic-clock.subscribe-duration + wasi:io/poll.poll; then answers 200
// "slept N ms\n". Built with guest_c_wasi. For the execution pool: a waiting handler must hold
// only its own thread (tests/integration/execution_test.cc, bench/stall_bench.sh).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  long ms = 1000;
  const char *q = strstr(req->path.ptr, "ms=");
  if (q) ms = strtol(q + 3, NULL, 10);
  if (ms < 0) ms = 0;
  usleep((useconds_t)ms * 1000);
  char body[64];
  snprintf(body, sizeof body, "slept %ld ms\n", ms);
  witserve_set_status(res, 200);
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_set_body(res, body);
}
