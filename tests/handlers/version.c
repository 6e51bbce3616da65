// Test handler for hot reload: answers "version VERSION\n"; built twice, with -DVERSION=1 and
// -DVERSION=2, into version-1.wasm and version-2.wasm.
#include "witserve.h"

#ifndef VERSION
#error "build with -DVERSION=N"
#endif
#define STR(x) #x
#define XSTR(x) STR(x)

void witserve_handle(const witserve_request *req, witserve_response *res) {
  (void)req;
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_set_body(res, "version " XSTR(VERSION) "\n");
}
