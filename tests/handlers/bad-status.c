// Test handler: returns the invalid status 1000 (valid is 100..=999); the client must get a 500.
#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  (void)req;
  witserve_set_status(res, 1000);
  witserve_set_body(res, "bad status\n");
}
