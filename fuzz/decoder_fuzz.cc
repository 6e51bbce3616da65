// libFuzzer target: arbitrary bytes through the component decoder, the resolver and the
// core-module reader. Each may reject the input, but must not crash, hang, or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "witserve/component/decoder.h"
#include "witserve/component/resolver.h"
#include "witserve/engine/module_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  if (witserve::component::looks_like_component(bytes)) {
    auto c = witserve::component::decode_component(std::vector<uint8_t>(data, data + size));
    if (c.ok()) {
      (void)witserve::component::resolve(*c);  // index spaces and types of whatever decoded
      // Every core module the decoder accepted is read as well, as the linker would.
      for (const auto& d : (*c)->defs)
        if (auto* m = std::get_if<witserve::component::ast::CoreModuleDef>(&d))
          (void)witserve::engine::read_module_info(m->bytes, m->offset);
    }
  } else {
    (void)witserve::engine::read_module_info(bytes);
  }
  return 0;
}
