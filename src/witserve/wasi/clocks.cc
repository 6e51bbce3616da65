// wasi:clocks (monotonic-clock, wall-clock): the host's steady and system clocks.
#include <chrono>

#include "witserve/wasi/io.h"
#include "witserve/wasi/values.h"
#include "witserve/wasi/wasi.h"

namespace witserve::wasi {

void add_clocks(component::Linker& l) {
  constexpr std::string_view kMono = "wasi:clocks/monotonic-clock@0.2.0", kWall = "wasi:clocks/wall-clock@0.2.0";
  using std::chrono::duration_cast;
  using std::chrono::nanoseconds;
  define(l, kMono, "now", [](WasiContext&, const Args&) -> HostResult {
    return give(Value::u64(uint64_t(duration_cast<nanoseconds>(Clock::now().time_since_epoch()).count())));
  });
  define(l, kMono, "resolution", [](WasiContext&, const Args&) -> HostResult { return give(Value::u64(1)); });
  define(l, kMono, "subscribe-instant", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint64_t when, a.u64(0));
    auto at = Clock::time_point(nanoseconds(int64_t(std::min<uint64_t>(when, INT64_MAX))));
    return give(own(c, std::make_unique<Pollable>(at)));
  });
  define(l, kMono, "subscribe-duration", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint64_t d, a.u64(0));
    constexpr uint64_t kYear = uint64_t(365) * 24 * 3600 * 1'000'000'000;
    return give(own(c, std::make_unique<Pollable>(Clock::now() + nanoseconds(int64_t(std::min(d, kYear))))));
  });
  auto datetime = [](std::chrono::nanoseconds since_epoch) {
    auto ns = since_epoch.count() < 0 ? 0 : since_epoch.count();
    return Value::record({Value::u64(uint64_t(ns / 1'000'000'000)), Value::u32(uint32_t(ns % 1'000'000'000))});
  };
  define(l, kWall, "now", [datetime](WasiContext&, const Args&) -> HostResult {
    return give(datetime(duration_cast<nanoseconds>(std::chrono::system_clock::now().time_since_epoch())));
  });
  define(l, kWall, "resolution", [datetime](WasiContext&, const Args&) -> HostResult {
    return give(datetime(nanoseconds(1)));
  });
}

}  // namespace witserve::wasi
