// Where each request runs (see dispatcher.h).
#include "witserve/runtime/dispatcher.h"

#include <chrono>
#include <optional>

#include "witserve/base/log.h"
#include "witserve/wasi/context.h"

namespace witserve::runtime {
namespace {

using Clock = std::chrono::steady_clock;

// Runs one request on `worker` (this thread's) and tells the route's load how it went.
http::Response run_request(Worker& worker, http::Request& req, const Route* route, bool in_pool) {
  http::Response res;
  http::ResponseStream* stream = req.stream;
  uint64_t waits = wasi::WasiContext::waits_on_this_thread();
  auto start = Clock::now();
  worker.handle(req, res);
  if (!route) return res;
  bool waited = wasi::WasiContext::waits_on_this_thread() != waits || (stream && stream->started());
  auto took = Clock::now() - start;
  switch (route->load->ran(took, waited, in_pool)) {
    case RouteLoad::Change::kNone: break;
    case RouteLoad::Change::kToInline:
      spdlog::debug("[{}] fast and never waiting: now runs on the I/O threads", route->pattern.text());
      break;
    case RouteLoad::Change::kToPool:
      spdlog::debug("[{}] a request took {} us on an I/O thread: back to the execution threads", route->pattern.text(),
                    std::chrono::duration_cast<std::chrono::microseconds>(took).count());
      break;
    case RouteLoad::Change::kBlocked:
      spdlog::debug("[{}] its handler waited in the host or streamed: it runs on execution threads from now on",
                    route->pattern.text());
      break;
  }
  return res;
}

// A request admitted against its route's max_concurrency: leaves it when answered.
class Admission {
 public:
  Admission(std::shared_ptr<RouteLoad> load, int limit) : load_(std::move(load)), limit_(limit) {}
  Admission(Admission&&) = default;
  ~Admission() { release(); }
  void release() {
    if (load_) load_->leave(limit_);
    load_.reset();
  }
  RouteLoad* load() const { return load_.get(); }

 private:
  std::shared_ptr<RouteLoad> load_;
  int limit_;
};

// A request handed to the execution pool.
class RequestJob final : public Job {
 public:
  RequestJob(std::shared_ptr<const RouteTable> table, const Route* route, http::Request&& request,
             http::Responder responder, Admission admission)
      : table_(std::move(table)),
        route_(route),
        request_(std::move(request)),
        responder_(std::move(responder)),
        admission_(std::move(admission)) {}

  void run(Worker& worker) override { response_ = run_request(worker, request_, route_, /*in_pool=*/true); }
  // Unless run() failed (then the Responder answers 500 as it goes).
  void finish() override {
    if (response_) answer(std::move(*response_));
  }
  void drop() override {
    http::Response res = overloaded_response("the server is shutting down");
    res.close = true;
    answer(std::move(res));
  }
  // The route's slot is given back before the answer goes out: a client that sends its next
  // request as soon as it has the answer finds the slot free.
  void answer(http::Response&& res) {
    admission_.release();
    responder_.send(std::move(res));
  }

 private:
  std::shared_ptr<const RouteTable> table_;  // holds *route_
  const Route* route_;
  http::Request request_;
  std::optional<http::Response> response_;
  http::Responder responder_;
  Admission admission_;  // destroyed first: released before an unanswered Responder answers
};

}  // namespace

http::Response overloaded_response(std::string_view why) {
  http::Response res;
  res.status = 503;
  res.headers = {{"content-type", "text/plain; charset=utf-8"}, {"retry-after", std::to_string(kRetryAfterSeconds)}};
  res.body.assign(why.begin(), why.end());
  res.body.push_back('\n');
  return res;
}

Dispatcher::Dispatcher(std::unique_ptr<Worker> inline_worker, Executor& pool, const Routes& routes,
                       std::string native_hello_path)
    : worker_(std::move(inline_worker)),
      pool_(pool),
      routes_(routes),
      native_hello_path_(std::move(native_hello_path)) {}

Dispatcher::~Dispatcher() = default;

void Dispatcher::handle(http::Request&& req, http::Responder responder) {
  std::string_view path = manifest::path_without_query(req.target);
  std::shared_ptr<const RouteTable> table;
  const Route* route = nullptr;
  if (native_hello_path_.empty() || path != native_hello_path_) {
    table = routes_.snapshot();
    if (auto match = table->router.match(path)) route = &table->routes[match->route];
  }
  // No handler to run (no route: 404; the native route): answered here.
  if (!route) return responder.send(run_request(*worker_, req, nullptr, false));

  if (!route->load->try_enter(route->max_concurrency)) {
    spdlog::debug("[{}] {} {}: refused, {} requests in flight (max_concurrency)", route->pattern.text(), req.method,
                  req.target, route->max_concurrency);
    return responder.send(overloaded_response("route " + route->pattern.text() + " is at its max_concurrency"));
  }
  Admission admission(route->load, route->max_concurrency);
  bool here = route->execution == Execution::kInline ||
              (route->execution == Execution::kAuto && route->component && route->load->runs_inline());
  if (here) {
    http::Response res = run_request(*worker_, req, route, /*in_pool=*/false);
    admission.release();
    return responder.send(std::move(res));
  }
  auto job = std::make_unique<RequestJob>(table, route, std::move(req), std::move(responder), std::move(admission));
  if (auto refused = pool_.submit(std::move(job))) {
    spdlog::debug("[{}] refused a request: every execution thread is busy and the queue is full", route->pattern.text());
    static_cast<RequestJob&>(*refused).answer(overloaded_response("the server is busy"));
  }
}

}  // namespace witserve::runtime
