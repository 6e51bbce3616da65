// Test handler: returns a header name that is not an HTTP token ("bad name\r\n"); the client must
// get a 500, and nothing may be injected into the response.
#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  (void)req;
  witserve_add_header(res, "bad name\r\n", "value");
  witserve_set_body(res, "bad header\n");
}
