// Reads a core WebAssembly module's imports and exports, with their full types, straight from the
// binary. Engine-neutral: the engine checks host imports against these types, and the component
// layer uses them to link core instances. Only the sections that define imports and exports are
// decoded (type, import, function, table, memory, global, export, tag); code is left to the engine,
// which validates the whole module when it compiles it. Any thread.
#pragma once

#include <cstdint>
#include <span>

#include "witserve/base/result.h"
#include "witserve/engine/types.h"

namespace witserve::engine {

// `base_offset` is where `bytes` starts within a larger file (a module nested in a component),
// so errors name the offset in that file.
Result<ModuleInfo> read_module_info(std::span<const uint8_t> bytes, size_t base_offset = 0);

}  // namespace witserve::engine
