// Test handler: allocates 16 MiB blocks (touching each) until malloc fails, i.e. until memory.grow
// fails at the host's memory limit or at 4 GiB, then traps.
#include <stdlib.h>

#include "witserve.h"

void witserve_handle(const witserve_request *req, witserve_response *res) {
  (void)req;
  (void)res;
  for (;;) {
    volatile char *p = malloc(16 << 20);
    if (!p) __builtin_trap();
    p[0] = 1;  // keeps the allocation from being optimized away
  }
}
