// Test helper: the host side of the test corpus's imports, as tests/components/README.md
// specifies it, shared by the linker tests, the differential tests and the benchmarks.
#pragma once

#include "witserve/component/linker.h"

namespace witserve::testing {

// Returns its first argument unchanged.
inline Result<std::optional<component::Value>> echo_first(const component::FuncType&,
                                                          std::span<const component::Value> a) {
  return std::optional<component::Value>(a[0]);
}

// test:values/host: every host-echo-* echoes; host-sum20 returns the sum of its u32 arguments.
inline void define_values_host(component::Linker& linker) {
  for (const char* f : {"host-echo-string", "host-echo-record", "host-echo-list-string", "host-echo-variant",
                        "host-echo-option", "host-echo-result"})
    linker.define_func("test:values/host", f, echo_first);
  linker.define_func("test:values/host", "host-sum20",
                     [](const component::FuncType&, std::span<const component::Value> a)
                         -> Result<std::optional<component::Value>> {
                       uint64_t sum = 0;
                       for (const auto& v : a) sum += v.as_unsigned();
                       return std::optional<component::Value>(component::Value::u64(sum));
                     });
}

// test:strings/host: host-echo echoes.
inline void define_strings_host(component::Linker& linker) {
  linker.define_func("test:strings/host", "host-echo", echo_first);
}

}  // namespace witserve::testing
