// What a core module's code can change in its instance after instantiation, read from the binary
// (the global, data, element and code sections) so that an instance can be put back to the state
// it had right after instantiation instead of being rebuilt (Instance::capture/reset, used by the
// runtime's recycled instances). Engine-neutral; any thread.
//
// An instance can be reset when everything its code can change is either linear memory it
// defines (restored from an image), or a mutable numeric global it defines (saved and restored).
// Code that changes tables (table.set/grow/fill/copy/init) or drops segments (data.drop,
// elem.drop: a dropped segment cannot be revived) rules a reset out, as does a mutable global of
// a reference or vector type. The code scan decodes every instruction; anything it does not know
// counts as ruling the reset out, so the answer errs on the side of rebuilding.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/engine/types.h"

namespace witserve::engine {

struct ModuleState {
  uint32_t types = 0;
  uint32_t imported_funcs = 0;
  uint32_t defined_funcs = 0;
  uint32_t imported_globals = 0;
  uint32_t imported_memories = 0;
  uint32_t imported_tables = 0;
  std::vector<GlobalType> defined_globals;  // global index = imported_globals + position
  uint32_t defined_memories = 0;
  bool has_start = false;
  // Code changes tables or drops segments, or could not be scanned.
  bool code_changes_tables_or_segments = true;
  // An active data or element segment writes into an imported memory or table at instantiation.
  bool segments_write_imports = true;
  // Code uses memory.size or memory.grow on a memory it defines / on one it imports.
  bool sizes_own_memory = false;
  bool sizes_imported_memory = true;
  // The module's memory.size and memory.grow were rewritten to a virtual size, a global kept
  // with the other globals (the last of defined_globals): see engine/v8/module_rewrite.h.
  bool virtual_memory_size = false;

  // Whether memory.size and memory.grow could be given a virtual size: one memory, defined here,
  // and code that sizes it.
  bool can_virtualize_memory_size() const {
    return resettable() && sizes_own_memory && !sizes_imported_memory && imported_memories == 0 &&
           defined_memories == 1;
  }

  // Whether an instance of the module can be reset to its state after instantiation.
  bool resettable() const;
};

// The memory.size and memory.grow instructions of one function body (locals and code, without
// its size): where each starts and how many bytes it takes, for rewriting them (module_rewrite.h).
struct MemorySizeOp {
  size_t offset;
  size_t length;
  bool grow;
};
Result<std::vector<MemorySizeOp>> find_memory_size_ops(std::span<const uint8_t> body);

// Never fails: a module that does not decode gets the conservative answer (not resettable); the
// engine's validation reports what is wrong with it.
ModuleState read_module_state(std::span<const uint8_t> module);

}  // namespace witserve::engine
