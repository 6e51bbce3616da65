// Test handler: traps (wasm `unreachable`) on every request; the client must get a 500.
#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  (void)req;
  (void)res;
  __builtin_trap();
}
