// wasi:random (random, insecure, insecure-seed): bytes from the kernel's getrandom.
#include <sys/random.h>

#include <cstring>

#include "witserve/wasi/values.h"
#include "witserve/wasi/wasi.h"

namespace witserve::wasi {
namespace {

constexpr uint64_t kMaxRandom = 1 << 20;  // per call

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> out(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r > 0) got += size_t(r);
  }
  return out;
}

uint64_t random_u64() {
  auto b = random_bytes(8);
  uint64_t v;
  std::memcpy(&v, b.data(), 8);
  return v;
}

}  // namespace

void add_random(component::Linker& l) {
  auto bytes = [](WasiContext&, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint64_t n, a.u64(0));
    if (n > kMaxRandom) return wasi_trap("random: more than 1 MiB asked for at once");
    return give(bytes_value(random_bytes(size_t(n))));
  };
  auto u64 = [](WasiContext&, const Args&) -> HostResult { return give(Value::u64(random_u64())); };
  define(l, "wasi:random/random@0.2.0", "get-random-bytes", bytes);
  define(l, "wasi:random/random@0.2.0", "get-random-u64", u64);
  define(l, "wasi:random/insecure@0.2.0", "get-insecure-random-bytes", bytes);
  define(l, "wasi:random/insecure@0.2.0", "get-insecure-random-u64", u64);
  define(l, "wasi:random/insecure-seed@0.2.0", "insecure-seed", [](WasiContext&, const Args&) -> HostResult {
    return give(Value::tuple({Value::u64(random_u64()), Value::u64(random_u64())}));
  });
}

}  // namespace witserve::wasi
