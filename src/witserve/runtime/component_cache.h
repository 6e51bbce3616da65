// Compile-once cache of handler components, keyed by the SHA-256 of their bytes: a component is
// decoded, type-checked against the handler world or wasi:http and compiled once, then shared by every route,
// thread and request that uses it. Entries live as long as some route holds them.
// Thread-safe: any thread may load.
#pragma once

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/component/linker.h"
#include "witserve/engine/engine.h"

namespace witserve::runtime {

struct LoadedComponent {
  std::shared_ptr<const component::CompiledComponent> compiled;
  std::string sha256;              // lowercase hex of the bytes
  size_t size = 0;                 // bytes
  std::vector<std::string> world;  // "import ..." / "export ..." lines (describe_world)
  // A wasi:http component: its incoming-handler export ("wasi:http/incoming-handler@0.2.12").
  // Otherwise a handler-world component.
  std::optional<std::string> http_export;
  // Cleared by the first worker that finds its instances cannot be recycled (reset in place), so
  // no worker asks again. Any thread.
  mutable std::atomic<bool> recyclable{true};
};

class ComponentCache {
 public:
  explicit ComponentCache(std::shared_ptr<engine::Engine> engine) : engine_(std::move(engine)) {}

  // The compiled component for `bytes`, compiling it unless a live entry has the same hash.
  // Refuses (kMalformed, kLink, ...) a component that does not decode, compile, fit the handler
  // world, or instantiate with the host imports (checked in this thread's scratch Store, kept for the
  // thread's life).
  Result<std::shared_ptr<const LoadedComponent>> load(std::vector<uint8_t> bytes);
  Result<std::shared_ptr<const LoadedComponent>> load_file(const std::filesystem::path& file);

  engine::Engine& engine() { return *engine_; }

 private:
  Result<engine::Store*> scratch_store();

  std::shared_ptr<engine::Engine> engine_;
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<const LoadedComponent>> entries_;
  size_t swept_size_ = 0;  // entries_.size() after the last sweep of expired entries
};

std::string sha256_hex(std::span<const uint8_t> bytes);
Result<std::vector<uint8_t>> read_file(const std::filesystem::path& file);

}  // namespace witserve::runtime
