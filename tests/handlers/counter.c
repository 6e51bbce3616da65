// Test handler: counts the requests it has served in a global and answers the count. With a fresh
// instance per request the body is always "1".
#include "witserve.h"

static uint64_t count;

void witserve_handle(const witserve_request *req, witserve_response *res) {
  (void)req;
  char n[WITSERVE_U64_SIZE];
  witserve_add_header(res, "content-type", "text/plain; charset=utf-8");
  witserve_set_body(res, witserve_u64(++count, n));
}
