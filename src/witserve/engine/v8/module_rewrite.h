// Rewrites applied to every core module before V8 compiles it. Pure byte manipulation; any thread.
//
// 1. The start function. V8 10.2 compiles a fresh JS-to-wasm wrapper for a module's start
// function on every instantiation (uncached, with code-space write-protection flips): about a
// third of the time it takes to instantiate a component whose core modules have a start function
// (wit-component adds one that runs a reactor's _initialize). The module is compiled without its
// start section and with the start function exported instead, under kStartExport; the store calls
// that export right after instantiating, which reuses the module's cached export wrapper. The
// observable behaviour (start runs before anything else; a trap there fails instantiation) is
// unchanged.
//
// 2. The memory limit. A memory the module defines gets a maximum of at most `max_memory_pages`
// (its own maximum if smaller; its minimum if that is larger): memory.grow past it fails as the
// spec allows, so a guest's allocator reports out-of-memory instead of taking the host's. It also
// makes instantiation cheaper: V8 reserves address space for a memory's whole maximum (4 GiB
// when it has none) and pays for mapping and unmapping it on every fresh instance.
//
// 3. Reset state. For a module whose instances can be reset (module_state.h), every mutable
// global and every memory the module defines is exported under kGlobalExportPrefix or
// kMemoryExportPrefix and its index, so the store can save and restore them; exports add no
// cost to the code that uses them.
//
// 4. The virtual memory size. V8 cannot shrink a memory, so an instance whose memory grew could
// not be reset to its first size. For a module whose state says so (ModuleState::
// virtual_memory_size: one memory, its own), memory.size reads a global that holds the size the
// program sees, and memory.grow calls an added function that raises it, growing the real memory
// only past what it already has. A reset puts the global back, so the program sees the first size
// again and grows into pages that the reset zeroed. The one difference a program could see: an
// access between the virtual and the real size reads zeros instead of trapping.
//
// 5. Initial memory images. V8 copies every active data segment into a new memory on each
// instantiation (~10 MB for a componentize-js component). For a module given a state (its one
// memory its own, every active segment at a constant offset within the memory's first size), the
// segments are taken out (made passive and empty, which behaves as the dropped segments they
// would be after instantiation) and returned, so the store maps an image built from them once
// over each new memory instead: copy-on-write, no copy. The memory is exported as for point 3.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/engine/module_state.h"

namespace witserve::engine::v8_backend {

inline constexpr const char* kStartExport = "\x01witserve-start";  // not a name a module can use by accident
inline constexpr const char* kGlobalExportPrefix = "\x01witserve-global-";
inline constexpr const char* kMemoryExportPrefix = "\x01witserve-memory-";

// An active data segment taken out of the module (point 5): `bytes` point into the module given.
struct DataSegment {
  uint32_t offset;
  std::span<const uint8_t> bytes;
};

struct RewrittenModule {
  std::vector<uint8_t> bytes;
  bool start_exported = false;
  bool memory_size_virtualized = false;
  // Point 5: the memory's first size in bytes and the segments to put into its image; empty if
  // the data segments were left in the module.
  uint64_t initial_memory_bytes = 0;
  std::vector<DataSegment> initial_segments;
};

// The module rewritten as above, or nullopt if nothing needed changing. A module that does not
// parse as a sequence of sections is left to the engine's validation (nullopt).
// max_memory_pages == 0: no memory limit. `state`: export what a reset restores (null: nothing).
// `strip_data`: take active data segments out where point 5 allows (with a state only).
std::optional<RewrittenModule> rewrite_module(std::span<const uint8_t> module, uint32_t max_memory_pages,
                                              const ModuleState* state = nullptr, bool strip_data = true);

}  // namespace witserve::engine::v8_backend
