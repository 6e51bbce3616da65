// The admin API, served on its own listener (default 127.0.0.1:9091), every call authenticated
// with `Authorization: Bearer TOKEN`:
//   POST   /handler?route=PATTERN[&deadline=DURATION][&env=NAME=VALUE...][&allowed_outbound_hosts=URL...]
//          body: a component. Type-checks it, stores it (data directory) with its WASI grants
//          (environment variables and outgoing-HTTP destinations; directories are granted only
//          by the manifest), puts it live. 201 (new) or 200 (replaced) with a JSON description;
//          400 invalid component, route or grant, 401 no or wrong token, 409 route owned by the
//          manifest, 413 over the size limit (the listener's body limit).
//   DELETE /handler?route=PATTERN    204, or 404 when no such registered route
//   GET    /handler                  200, JSON: every route, from the manifest and registered
// Threads: the handler runs on the admin listener's thread; Routes and Store are thread-safe.
#pragma once

#include <memory>
#include <string>

#include "witserve/admin/store.h"
#include "witserve/http/server.h"
#include "witserve/runtime/routes.h"

namespace witserve::admin {

struct AdminOptions {
  std::string token;  // required; empty refuses every call
  std::chrono::milliseconds default_deadline{30'000};
};

// Registers what `store` holds (at startup). A stored component that no longer loads is skipped
// and logged; the others are served.
void restore(runtime::Routes& routes, Store& store, std::chrono::milliseconds default_deadline);

http::Handler make_admin_handler(runtime::Routes& routes, Store& store, AdminOptions options);

}  // namespace witserve::admin
