// Example handler in C (sdk/c): answers every request with "Hello, world!".
#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  (void)req;
  witserve_set_status(res, 200);
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_add_header(res, "x-witserve-example", "hello-c");
  witserve_set_body(res, "Hello, world!\n");
}
