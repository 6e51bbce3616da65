// Reads a core WebAssembly module's imports and exports, with their full types, straight from the
// binary. Engine-neutral: the engine checks host imports against these types, and the component
// layer uses them to link core instances. Only the sections that define imports and exports are
// decoded (type, import, function, table, memory, global, export, tag); code is left to the engine,
// which validates the whole module when it compiles it. Any thread.
#pragma once

#include <cstdint>
#include <span>

#include "witserve/base/byte_reader.h"
#include "witserve/base/result.h"
#include "witserve/engine/types.h"

namespace witserve::engine {

// `base_offset` is where `bytes` starts within a larger file (a module nested in a component),
// so errors name the offset in that file.
Result<ModuleInfo> read_module_info(std::span<const uint8_t> bytes, size_t base_offset = 0);

// The core type encodings, shared with the component decoder (core types inside components).
Result<ValType> read_val_type(ByteReader& r);
Result<TableType> read_table_type(ByteReader& r);
Result<MemoryType> read_memory_type(ByteReader& r);
Result<GlobalType> read_global_type(ByteReader& r);
// A function type after its 0x60 form byte: params then results.
Result<FuncType> read_func_type_body(ByteReader& r);
// Skips a constant expression (global initialisers, segment offsets) up to and including `end`.
Status skip_const_expr(ByteReader& r);

}  // namespace witserve::engine
