// The live route set: every route (from the manifest or registered through the admin API), its
// compiled component, and an immutable RouteTable snapshot that workers read without locking.
// A change — a component file replaced on disk, a registration, a removal — builds a new table
// and swaps it in atomically: requests in flight keep the table (and components) they started
// with, later ones see the new one.
// A route whose component cannot be loaded (a broken or missing file at startup, a stored
// registration the loader now refuses) stays in the table without a component, with the reason:
// it answers 503 rather than letting a less specific route take its requests, and it is loaded
// as soon as its file is fixed (manifest routes) or it is registered again (admin routes).
// Thread-safe: workers call snapshot(); changes may come from any thread and are serialised.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/manifest/manifest.h"
#include "witserve/manifest/router.h"
#include "witserve/runtime/component_cache.h"
#include "witserve/runtime/handler_world.h"
#include "witserve/runtime/route_load.h"
#include "witserve/runtime/key_value.h"

namespace witserve::runtime {

enum class Origin { kManifest, kAdmin };

struct Route {
  manifest::RoutePattern pattern;
  Origin origin = Origin::kManifest;
  std::filesystem::path file;  // manifest routes: the component file, watched for changes
  std::chrono::milliseconds deadline{30'000};
  bool reuse_instance = false;  // one instance per worker serves request after request
  // Where its requests run (route_load.h), and how many may be in flight at once (0: no limit);
  // `load` is made with the route and shared by every table's copy of it.
  Execution execution = Execution::kAuto;
  int max_concurrency = 0;
  std::shared_ptr<RouteLoad> load = std::make_shared<RouteLoad>();
  std::shared_ptr<const HostContext> host;
  std::shared_ptr<const component::Linker> linker;  // witserve:handler/host for this route
  std::shared_ptr<const LoadedComponent> component;  // null: not loaded (load_error says why)
  std::string load_error;
  // A registration restored at startup whose component is still being loaded in the background:
  // a request before then loads it itself (load_pending). Empty once loaded, or for others.
  std::filesystem::path pending_file;
  std::chrono::system_clock::time_point loaded_at;
};

struct RouteTable {
  manifest::Router router;
  std::vector<Route> routes;  // indexed by the router's route ids
  uint64_t generation = 0;
};

class Routes {
 public:
  explicit Routes(std::shared_ptr<ComponentCache> cache);

  // The current table. Cheap; hold the pointer for the whole request.
  std::shared_ptr<const RouteTable> snapshot() const { return current_.load(std::memory_order_acquire); }

  // Loads every manifest route's component. All failures are reported together. With
  // `keep_failed`, the routes that loaded are published anyway and the others are kept without a
  // component (they answer 503 until their file loads); otherwise, on failure, the table is
  // unchanged.
  Status set_manifest_routes(const std::vector<manifest::RouteConfig>& routes, bool keep_failed = false);

  // A component file changed on disk: reloads every manifest route that serves it. A file that
  // fails to load leaves the old version serving; the error is returned (for the log).
  Status reload_file(const std::filesystem::path& file);
  // The component files of manifest routes, for the file watcher.
  std::vector<std::filesystem::path> files() const;

  // What an admin route sets besides its component: what the manifest's route keys set, less
  // directories (granted by the manifest only).
  struct AdminSettings {
    std::chrono::milliseconds deadline{30'000};
    bool reuse_instance = false;
    std::map<std::string, std::string> config;
    std::map<std::string, std::string> env;
    std::vector<manifest::OutboundHost> allowed_outbound_hosts;
  };
  // Admin routes. put() adds or replaces the admin route with this pattern; it is refused
  // (kInvalidArgument) when a manifest route has an equivalent pattern. A null `component` keeps
  // the route without one (a registration that cannot be loaded; `load_error` says why).
  Status put(const manifest::RoutePattern& pattern, std::shared_ptr<const LoadedComponent> component,
             const AdminSettings& settings, std::string load_error = {});
  // Many put()s, published as one new table (a restart restores thousands of registrations:
  // one table each would cost time quadratic in their number). An entry put() would refuse is
  // skipped and its error returned in `errors` at its index; the others are published.
  struct AdminEntry {
    manifest::RoutePattern pattern;
    std::shared_ptr<const LoadedComponent> component;
    AdminSettings settings;
    std::string load_error;
    std::filesystem::path pending_file;  // no component yet: it is being loaded from this file
  };
  void put_many(std::vector<AdminEntry> entries, std::vector<std::optional<Error>>& errors);
  // The component of a route restored before its component was loaded (Route::pending_file),
  // from the cache, loading it if nobody has yet. Any thread.
  Result<std::shared_ptr<const LoadedComponent>> load_pending(const Route& route) const;
  // Sets the components of routes still pending with these files (a background load finished):
  // one new table for the batch. A route replaced or removed since is left alone.
  struct Loaded {
    std::string route;  // the route's text, for messages
    std::string shape;
    std::filesystem::path file;
    std::shared_ptr<const LoadedComponent> component;  // null: failed, `error` says why
    std::string error;
  };
  void fill_pending(const std::vector<Loaded>& loaded);
  // True while some route's component is still pending.
  bool any_pending() const;
  // Checks whether put() would be accepted, without changing anything.
  Status check_put(const manifest::RoutePattern& pattern) const;
  // Removes the admin route with this pattern; kNotFound if there is none.
  Status remove(const manifest::RoutePattern& pattern);

  ComponentCache& cache() { return *cache_; }

  // The key-value stores manifest routes are granted from (key_value_stores); set before
  // set_manifest_routes. Without it no route is granted any.
  void set_key_value_stores(std::shared_ptr<const KeyValueStores> stores) { kv_ = std::move(stores); }

 private:
  Status publish(std::vector<Route> manifest_routes, std::vector<Route> admin_routes);
  // The admin route for `e`, with its host context and linker.
  static Route admin_route(AdminEntry e);
  // Puts `r` in `admin` (replacing a route of the same shape); false if one was replaced.
  static bool place(std::vector<Route>& admin, Route r);
  Status check_put_locked(const manifest::RoutePattern& pattern) const;

  std::shared_ptr<ComponentCache> cache_;
  std::shared_ptr<const KeyValueStores> kv_;
  mutable std::mutex mu_;  // serialises changes
  std::vector<Route> manifest_;
  std::vector<Route> admin_;
  uint64_t generation_ = 0;
  std::atomic<std::shared_ptr<const RouteTable>> current_;
};

}  // namespace witserve::runtime
