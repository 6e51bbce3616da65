// `witserve serve` and `witserve run`: assembles a running server from a manifest — the engine,
// the routes and their compiled components, the HTTP workers, the file watcher for hot reload,
// and the admin listener with its data directory — and runs it until SIGINT or SIGTERM, then
// shuts down gracefully: requests in flight get server.shutdown_grace, then handlers still
// running are stopped; a second signal ends the process at once (exit status 128 + signal).
// A route whose component does not load answers 503 and the rest serves; the start fails only
// when nothing at all can be served, or the admin API would listen on a non-loopback address
// without admin.allow_remote.
// Thread: call from main; it blocks those signals in every thread it starts and waits for them.
#pragma once

#include <optional>
#include <string>

#include "witserve/base/result.h"
#include "witserve/manifest/manifest.h"

namespace witserve::server {

struct ServeOptions {
  manifest::Manifest manifest;
  std::string native_hello_path;  // a native C++ route, as a benchmark baseline (empty: none)
  bool watch = true;              // reload component files when they change
  bool recycle_instances = true;  // reset fresh-instance routes' instances instead of rebuilding them
};

// A manifest for `witserve run X.wasm`: one route "/..." answering every path, no admin listener.
manifest::Manifest single_component_manifest(const std::filesystem::path& component);

// Runs until a signal; returns an error if the server cannot start.
Status serve(ServeOptions options);

}  // namespace witserve::server
