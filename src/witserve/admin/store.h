// Persistence of routes registered through the admin API, in the data directory:
//   DATA/components/SHA256.wasm   each registered component, content-addressed; removed when no
//                                 registration uses it any more
//   DATA/routes.json              [{"route", "sha256", "deadline_ms", "instance", "config", "env",
//                                 "allowed_outbound_hosts"}...], the registrations
// Every write is atomic (a temporary file, fsync, rename, fsync of the directory): after a crash
// the data directory holds either the old or the new state, never a torn one, and whatever was
// acknowledged has reached the disk.
// Opening a directory tidies what an earlier process may have left: temporary files of writes
// cut short (kill -9, power loss) are removed; a routes.json that cannot be read whole is never
// deleted or overwritten but renamed aside (routes.json.bad-TIMESTAMP) and what could be read
// of it is kept; component files no registration uses are removed (only when routes.json was
// read whole, and no routes.json.bad-* is there).
// The registrations are held in memory once opened and written out on every change.
// Thread-safe: calls are serialised.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::admin {

struct StoredRoute {
  std::string route;
  std::string sha256;
  std::chrono::milliseconds deadline{30'000};
  bool reuse_instance = false;                      // "instance": "reuse"
  std::map<std::string, std::string> config;        // the handler's configuration values
  std::map<std::string, std::string> env;           // WASI environment
  std::vector<std::string> allowed_outbound_hosts;  // as given, e.g. "http://127.0.0.1:8080"
};

class Store {
 public:
  // Creates the directory if needed, tidies it (above) and reads the registrations. Problems it
  // recovered from are logged (as errors when registrations could not be read); only a directory
  // that cannot be created or read is an Error.
  static Result<Store> open(std::filesystem::path dir);

  std::vector<StoredRoute> load() const;
  // The registration of `route` (or of an equivalent pattern), if any.
  std::optional<StoredRoute> find(const std::string& route) const;
  std::filesystem::path component_path(const std::string& sha256) const;

  // Saves `bytes` (if not there yet) and records the route -> sha256 registration, replacing one
  // for the same route (whose component file goes when nothing else uses it). Returns once both
  // are on disk.
  Status put(const StoredRoute& route, std::span<const uint8_t> bytes);
  // Forgets the registration of `route`, and the component file when nothing uses it any more.
  Status remove(const std::string& route);

  const std::filesystem::path& dir() const { return dir_; }

  Store(Store&& other) noexcept : dir_(std::move(other.dir_)), routes_(std::move(other.routes_)) {}

 private:
  explicit Store(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status write_routes(const std::vector<StoredRoute>& routes);
  void remove_unused_component(const std::string& sha256);

  std::filesystem::path dir_;
  mutable std::mutex mu_;
  std::vector<StoredRoute> routes_;  // as on disk
};

// Writes `data` to `file` atomically and durably (see above), through FILE.tmp.PID.
Status write_file_atomic(const std::filesystem::path& file, std::span<const uint8_t> data);

}  // namespace witserve::admin
