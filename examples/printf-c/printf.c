// Example handler in C that uses WASI through wasi-libc (built with the preview1 adapter):
// printf and fprintf(stderr) go to the server's log, getenv reads the route's environment.
// Answers "GREETING, world!" and the request path; GREETING is $GREETING, or "Hello".
#include <stdio.h>
#include <stdlib.h>

#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  const char *greeting = getenv("GREETING");
  if (!greeting) {
    greeting = "Hello";
    fprintf(stderr, "printf-c: GREETING is not set, using \"%s\"\n", greeting);
  }
  printf("printf-c: %s %s\n", req->method.ptr, req->path.ptr);
  // wasi-libc buffers stdout fully (it is not a terminal) and a reactor never exits: flush.
  fflush(stdout);

  witserve_set_status(res, 200);
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_add_header(res, "x-witserve-example", "printf-c");
  witserve_set_body(res, greeting);
  witserve_append_text(res, ", world!\npath: ");
  witserve_append_text(res, req->path.ptr);
  witserve_append_text(res, "\n");
}
