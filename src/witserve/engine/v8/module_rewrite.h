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
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::engine::v8_backend {

inline constexpr const char* kStartExport = "\x01witserve-start";  // not a name a module can use by accident

struct RewrittenModule {
  std::vector<uint8_t> bytes;
  bool start_exported = false;
};

// The module rewritten as above, or nullopt if nothing needed changing. A module that does not
// parse as a sequence of sections is left to the engine's validation (nullopt).
// max_memory_pages == 0: no memory limit.
std::optional<RewrittenModule> rewrite_module(std::span<const uint8_t> module, uint32_t max_memory_pages);

}  // namespace witserve::engine::v8_backend
