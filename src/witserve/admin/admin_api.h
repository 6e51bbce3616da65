// The admin API, served on its own listener (default 127.0.0.1:9091), every call authenticated
// with `Authorization: Bearer TOKEN` (checked on the request head, before a body is read):
//   POST   /handler?route=PATTERN[&deadline=DURATION][&instance=fresh|reuse][&config=NAME=VALUE...]
//                   [&env=NAME=VALUE...][&allowed_outbound_hosts=URL...]
//          body: a component. Type-checks it, stores it (data directory) with its settings (the
//          manifest's route keys, less directories, which only the manifest grants), puts it
//          live. 201 (new) or 200 (replaced) with a JSON description. A replace keeps each
//          setting of the earlier registration that the call does not give; a repeatable one
//          given with an empty value (`env=`) is set to none.
//          400 invalid component, route, setting, unknown parameter or text that is not UTF-8,
//          401 no or wrong token, 409 route owned by the manifest, 413 over the size limit (the
//          listener's body limit).
//   DELETE /handler?route=PATTERN    204, or 404 when no such registered route
//   GET    /handler                  200, JSON: every route, from the manifest and registered
//   GET    /healthz                  200 {"status":"ok"} while the process serves (no token needed)
//   GET    /readyz                   200 {"status":"ready"} once every route's component is loaded
//          and the registry's data directory is there; else 503 with the problems and
//          Retry-After (no token needed: for load balancers and orchestrators)
// Unknown query parameters are refused (400), as the manifest refuses unknown keys. Any failure
// inside a call is a 500 answer, never the end of the process.
// Threads: the handler runs on the admin listener's thread; Routes and Store are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "witserve/admin/store.h"
#include "witserve/http/server.h"
#include "witserve/runtime/routes.h"

namespace witserve::admin {

struct AdminOptions {
  std::string token;  // required; empty refuses every call
  std::chrono::milliseconds default_deadline{30'000};
};

// Registers what `store` holds (at startup). A stored registration that no longer loads is kept,
// registered without a component (its route answers 503, the listing shows why) and logged as an
// error; the others are served.
void restore(runtime::Routes& routes, Store& store, std::chrono::milliseconds default_deadline);
// Loads the components of the routes restore() published, on every core, and sets them on their
// routes in batches as they load; until then a request to such a route loads its component
// itself. The thread stops early when asked (its destructor asks and joins).
std::jthread load_restored(runtime::Routes& routes);

http::SyncHandler make_admin_handler(runtime::Routes& routes, Store& store, AdminOptions options);

// For the admin listener's ServerOptions::on_head: answers 401 to a request without the token
// from its head alone, so that no body is read for it.
http::HeadCheck make_admin_head_check(std::string token);

}  // namespace witserve::admin
