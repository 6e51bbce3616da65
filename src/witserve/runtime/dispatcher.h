// The http::Handler of one I/O thread: decides where each request runs and admits it.
//   - No route, the native benchmark route: answered on the I/O thread (no handler runs).
//   - A route over its max_concurrency: 503 with Retry-After, at once.
//   - A route that runs inline (execution = "inline", or "auto" once it has shown itself fast and
//     never waiting; route_load.h): the I/O thread's own Worker runs it, as before this existed —
//     no hand-off, no wake-up.
//   - Otherwise: handed to the execution pool (executor.h) with its Responder; the execution
//     thread's Worker runs it and the Responder posts the answer back to the connection's thread.
//     A full pool answers 503 with Retry-After.
// Each run is timed and reported to the route's RouteLoad, with whether the handler waited in the
// host (wasi::WasiContext::waits_on_this_thread) or streamed its response.
// Thread: made, called and destroyed on its I/O thread; its jobs run on execution threads and
// touch only what they carry and the shared RouteLoad.
#pragma once

#include <memory>
#include <string>

#include "witserve/http/server.h"
#include "witserve/runtime/executor.h"
#include "witserve/runtime/routes.h"
#include "witserve/runtime/worker.h"

namespace witserve::runtime {

// Seconds a client is told to wait (Retry-After) when a request is refused for load.
inline constexpr int kRetryAfterSeconds = 1;

class Dispatcher {
 public:
  // `inline_worker`: this I/O thread's Worker; `pool` outlives the Dispatcher.
  Dispatcher(std::unique_ptr<Worker> inline_worker, Executor& pool, const Routes& routes,
             std::string native_hello_path);
  ~Dispatcher();

  void handle(http::Request&& request, http::Responder responder);

 private:
  std::unique_ptr<Worker> worker_;
  Executor& pool_;
  const Routes& routes_;
  std::string native_hello_path_;
};

// The 503 a request refused for load gets: Retry-After, and a line saying why.
http::Response overloaded_response(std::string_view why);

}  // namespace witserve::runtime
