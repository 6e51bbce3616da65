// One server thread's share of the runtime: its engine Store (a V8 isolate), and the request path
// from an HTTP request to a handler call and back:
//   handler world: match the route (snapshot) -> instance (fresh, or the route's kept one) ->
//                  lower request -> handle -> lift -> check;
//   wasi:http:     the same up to the instance, then incoming-handler.handle with the request as
//                  wasi:http resources; the response is sent whole or streamed (wasi/http.h).
// Each instance has its WASI context (the route's grants, the deadline for host waits).
// Route parameters reach the handler as x-witserve-param-NAME headers and a wildcard's match as
// x-witserve-rest; a client's own headers of those names are dropped.
// Errors become responses: 404 (no route), 500 (trap, invalid response; the full reason is
// logged, the client gets a short one), 504 (deadline). Nothing a handler does stops the worker.
// Thread: made, used and destroyed on its worker thread only.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "witserve/http/server.h"
#include "witserve/runtime/routes.h"
#include "witserve/runtime/watchdog.h"
#include "witserve/wasi/context.h"

namespace witserve::runtime {

struct WorkerOptions {
  // When set, this path answers from native C++ code exactly as the hello example does, as a
  // baseline for benchmarks.
  std::string native_hello_path;
  // Fresh-instance routes recycle their instances (reset to the state after instantiation)
  // instead of instantiating the component for every request. Off: rebuild every time (for
  // benchmarks that compare the two).
  bool recycle_instances = true;
  // At most this many instances kept between requests (least recently used dropped first; 0:
  // none kept), and none kept longer than `idle_timeout` unused (checked as requests arrive).
  size_t kept_instances = 64;
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);
};

class Worker {
 public:
  static Result<std::unique_ptr<Worker>> create(engine::Engine& engine, const Routes& routes, Watchdog& watchdog,
                                                WorkerOptions options);
  ~Worker();  // kept instances go before the Store they live in
  void handle(http::Request& request, http::Response& response);

 private:
  Worker() = default;
  void call_handler(const Route& route, const manifest::RouteMatch& match, http::Request& request,
                    http::Response& response);
  void call_http(const Route& route, const manifest::RouteMatch& match, http::Request& request,
                 http::Response& response);

  // Instances kept between requests, by component and linker (a route's identity across table
  // swaps); dropped when they fail or no route uses them any more. For instance = "reuse" the
  // next request continues where the last one left off; for "fresh" (recycled) the instance is
  // reset first, with a new WASI context, so the next request sees a new instance's state. The
  // WASI context lives as long as its instance (the guest keeps handles into it).
  struct Reused {
    std::shared_ptr<const LoadedComponent> component;
    std::shared_ptr<const component::Linker> linker;
    std::unique_ptr<wasi::WasiContext> wasi;
    std::unique_ptr<component::ComponentInstance> instance;
    std::optional<HandleFunc> handle;
    bool recycled = false;  // a fresh-instance route's: reset before each use
    std::chrono::steady_clock::time_point last_used;
  };
  std::vector<Reused> reused_;
  // The instance one request runs on: the route's kept one, or a fresh one (with a fresh WASI
  // context) that is kept afterwards for a "reuse" route if the request went well.
  struct Lease {
    Reused* kept = nullptr;
    Reused fresh;
    Reused& get() { return kept ? *kept : fresh; }
  };
  Result<Lease> lease(const Route& route);
  // A new route table (a reload, a registration): instances kept for components no route of
  // `table` reuses any more are dropped, whatever other workers still hold.
  void forget_unrouted(const RouteTable& table);
  uint64_t seen_generation_ = 0;
  void release(const Route& route, Lease& lease, bool healthy);
  // Drops kept instances unused for longer than the idle timeout.
  void drop_idle();
  // Runs `body` on the route's instance under the route's deadline, with the instance's WASI
  // context current; a failed body's instance is not kept.
  Status with_instance(const Route& route, const std::function<Status(Reused&)>& body);

  const Routes* routes_ = nullptr;
  Watchdog* watchdog_ = nullptr;
  WorkerOptions options_;
  std::unique_ptr<engine::Store> store_;
  std::shared_ptr<engine::InterruptHandle> interrupt_;
  uint64_t requests_ = 0;
};

}  // namespace witserve::runtime
