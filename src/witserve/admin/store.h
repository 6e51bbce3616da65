// Persistence of routes registered through the admin API, in the data directory:
//   DATA/components/SHA256.wasm   each registered component, content-addressed
//   DATA/routes.json              [{"route", "sha256", "deadline_ms", "env", "allowed_outbound_hosts"}...],
//                                 the registrations
// Every write is atomic (a temporary file, fsync, rename, fsync of the directory): after a crash
// the data directory holds either the old or the new state, never a torn one, and whatever was
// acknowledged has reached the disk.
// Thread-safe: calls are serialised.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <map>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::admin {

struct StoredRoute {
  std::string route;
  std::string sha256;
  std::chrono::milliseconds deadline{30'000};
  std::map<std::string, std::string> env;           // WASI environment
  std::vector<std::string> allowed_outbound_hosts;  // as given, e.g. "http://127.0.0.1:8080"
};

class Store {
 public:
  // Creates the directory if needed.
  static Result<Store> open(std::filesystem::path dir);

  Result<std::vector<StoredRoute>> load() const;
  std::filesystem::path component_path(const std::string& sha256) const;

  // Saves `bytes` (if not there yet) and records the route -> sha256 registration, replacing one
  // for the same route. Returns once both are on disk.
  Status put(const StoredRoute& route, std::span<const uint8_t> bytes);
  // Forgets the registration of `route`, and the component file when nothing uses it any more.
  Status remove(const std::string& route);

  const std::filesystem::path& dir() const { return dir_; }

  Store(Store&& other) noexcept : dir_(std::move(other.dir_)) {}

 private:
  explicit Store(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status write_routes(const std::vector<StoredRoute>& routes);
  Result<std::vector<StoredRoute>> load_locked() const;

  std::filesystem::path dir_;
  mutable std::mutex mu_;
};

// Writes `data` to `file` atomically and durably (see above).
Status write_file_atomic(const std::filesystem::path& file, std::span<const uint8_t> data);

}  // namespace witserve::admin
