// Test handler: never returns (a busy loop); the host's deadline must stop it.
#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  (void)req;
  (void)res;
  volatile uint64_t n = 0;
  for (;;) n++;
}
