// The per-thread request path (see worker.h).
#include "witserve/runtime/worker.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

#include "witserve/base/log.h"
#include "witserve/wasi/http.h"

namespace witserve::runtime {
namespace {

constexpr std::string_view kParamPrefix = "x-witserve-param-";
constexpr std::string_view kRestHeader = "x-witserve-rest";

void text_response(http::Response& res, uint16_t status, std::string_view text) {
  res.status = status;
  res.headers = {{"content-type", "text/plain; charset=utf-8"}};
  res.body.assign(text.begin(), text.end());
  res.body.push_back('\n');
}

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// Framing is the server's business: a handler's content-length, transfer-encoding or connection
// header is dropped (the server sets its own).
bool framing_header(const std::string& name) {
  return strcasecmp(name.c_str(), "content-length") == 0 || strcasecmp(name.c_str(), "transfer-encoding") == 0 ||
         strcasecmp(name.c_str(), "connection") == 0;
}

}  // namespace

Result<std::unique_ptr<Worker>> Worker::create(engine::Engine& engine, const Routes& routes, Watchdog& watchdog,
                                               WorkerOptions options) {
  std::unique_ptr<Worker> w(new Worker());
  w->routes_ = &routes;
  w->watchdog_ = &watchdog;
  w->options_ = std::move(options);
  WITSERVE_ASSIGN_OR_RETURN(w->store_, engine.new_store());
  w->interrupt_ = w->store_->interrupt_handle();
  return w;
}

Worker::~Worker() { reused_.clear(); }

void Worker::handle(http::Request& req, http::Response& res) {
  std::string_view path = manifest::path_without_query(req.target);
  if (!options_.native_hello_path.empty() && path == options_.native_hello_path) {
    res.status = 200;
    res.headers = {{"content-type", "text/plain; charset=utf-8"}, {"x-witserve-example", "hello-native"}};
    static constexpr std::string_view kHello = "Hello, world!\n";
    res.body.assign(kHello.begin(), kHello.end());
    return;
  }
  auto table = routes_->snapshot();
  if (table->generation != seen_generation_) forget_unrouted(*table);
  auto match = table->router.match(path);
  if (!match) return text_response(res, 404, "no route for " + std::string(path));
  const Route* route = &table->routes[match->route];
  std::optional<Route> loaded_now;
  if (!route->component && !route->pending_file.empty()) {
    // Restored at startup and not loaded in the background yet: load it for this request.
    auto component = routes_->load_pending(*route);
    if (!component.ok()) {
      spdlog::error("[{}] {}", route->pattern.text(), component.error().message());
      return text_response(res, 503, "the component of route " + route->pattern.text() + " is not loaded");
    }
    loaded_now = *route;
    loaded_now->component = *component;
    route = &*loaded_now;
  }
  if (!route->component)
    return text_response(res, 503, "the component of route " + route->pattern.text() + " is not loaded");
  call_handler(*route, *match, req, res);
  // Engine housekeeping (GC steps, finished background compiles) between requests.
  if (++requests_ % 16 == 0) store_->run_pending_tasks();
  if (requests_ % 256 == 0) drop_idle();
}

void Worker::drop_idle() {
  auto now = std::chrono::steady_clock::now();
  std::erase_if(reused_, [&](const Reused& r) { return now - r.last_used > options_.idle_timeout; });
}

void Worker::forget_unrouted(const RouteTable& table) {
  seen_generation_ = table.generation;
  std::erase_if(reused_, [&](const Reused& r) {
    for (const Route& route : table.routes)
      if (route.reuse_instance != r.recycled && route.component == r.component && route.linker == r.linker)
        return false;
    return true;
  });
}

Result<Worker::Lease> Worker::lease(const Route& route) {
  Lease l;
  bool recycle = !route.reuse_instance && options_.recycle_instances &&
                 route.component->recyclable.load(std::memory_order_relaxed);
  // A kept instance of this component: the reused one of a "reuse" route, or a recycled one.
  if (route.reuse_instance || recycle)
    for (auto& r : reused_)
      if (r.recycled == recycle && r.component == route.component && r.linker == route.linker) l.kept = &r;
  if (l.kept && route.reuse_instance) return l;
  if (l.kept) {
    // A recycled instance: back to its state after instantiation, with a new WASI context for
    // its start functions and the request. One that cannot be reset is dropped for a new one.
    Reused& r = *l.kept;
    r.wasi = std::make_unique<wasi::WasiContext>(route.host->grants);
    wasi::WasiContext::Enter enter(r.wasi.get());
    Status reset = r.instance->reset();
    if (reset.ok()) return l;
    spdlog::debug("[{}] a recycled instance was replaced: {}", route.pattern.text(), reset.error().message());
    std::erase_if(reused_, [&](const Reused& x) { return &x == l.kept; });
    l.kept = nullptr;
  }
  l.fresh.component = route.component;
  l.fresh.linker = route.linker;
  l.fresh.recycled = recycle;
  l.fresh.wasi = std::make_unique<wasi::WasiContext>(route.host->grants);
  wasi::WasiContext::Enter enter(l.fresh.wasi.get());
  auto instance = component::ComponentInstance::instantiate(route.component->compiled, *store_, *route.linker,
                                                            {.recyclable = recycle});
  if (!instance.ok()) return std::move(instance).error().with_context("instantiating");
  l.fresh.instance = std::move(*instance);
  if (recycle && !l.fresh.instance->recyclable() && route.component->recyclable.exchange(false))
    spdlog::info("[{}] instances of this component are rebuilt for each request, not recycled: {}",
                 route.pattern.text(), l.fresh.instance->not_recyclable_reason());
  return l;
}

void Worker::release(const Route& route, Lease& l, bool healthy) {
  // A reused instance whose guest keeps WASI resources it never drops (componentize-js keeps
  // each request's incoming-request handle until its garbage collector runs) would reach the
  // table's limit and trap in the middle of a request: it is retired between requests instead,
  // at half the limit, and the next request gets a new instance.
  Reused& used = l.get();
  if (healthy && used.wasi && used.wasi->table().live() > wasi::Table::kMaxLive / 2) {
    spdlog::debug("[{}] retiring a reused instance holding {} WASI resources", route.pattern.text(),
                  used.wasi->table().live());
    healthy = false;
  }
  if (l.kept) {
    // A trapped or interrupted instance is not used again.
    if (!healthy) std::erase_if(reused_, [&](const Reused& r) { return &r == l.kept; });
    else l.kept->last_used = std::chrono::steady_clock::now();
    return;
  }
  bool keep = route.reuse_instance || (l.fresh.recycled && l.fresh.instance && l.fresh.instance->recyclable());
  if (!keep || !healthy || !l.fresh.instance || options_.kept_instances == 0) return;
  if (reused_.size() >= options_.kept_instances) {
    // The budget is full: the least recently used instance makes room.
    auto oldest = std::min_element(reused_.begin(), reused_.end(),
                                   [](const Reused& a, const Reused& b) { return a.last_used < b.last_used; });
    reused_.erase(oldest);
  }
  l.fresh.last_used = std::chrono::steady_clock::now();
  reused_.push_back(std::move(l.fresh));
}

Status Worker::with_instance(const Route& route, const std::function<Status(Reused&)>& body) {
  // The runtime's exception boundary: an exception from the linker or the host (an internal
  // inconsistency, bad_alloc) fails this request, and its instance is not kept.
  auto guarded = [](const std::function<Status()>& f) -> Status {
    try {
      return f();
    } catch (const std::exception& e) {
      return Error(ErrorKind::kInternal, std::string("internal error: ") + e.what());
    } catch (...) {
      return Error(ErrorKind::kInternal, "internal error (a non-standard exception)");
    }
  };
  auto at = Watchdog::Clock::now() + route.deadline;
  Deadline deadline(*watchdog_, interrupt_, at);
  auto entered = store_->enter();  // dozens of calls into the store follow
  Result<Lease> leased = Error(ErrorKind::kInternal, "no instance");
  WITSERVE_TRY(guarded([&]() -> Status {
    leased = lease(route);
    return leased.ok() ? ok() : Status(leased.error());
  }));
  Lease& l = *leased;
  Reused& r = l.get();
  r.wasi->deadline = at;
  Status status = ok();
  {
    wasi::WasiContext::Enter enter(r.wasi.get());
    status = guarded([&] { return body(r); });
    r.wasi->flush_output();
  }
  release(route, l, status.ok());
  return status;
}

namespace {

// The client's headers, less any that pose as route parameters, plus the route's parameters.
HeaderList request_headers(const Route& route, const manifest::RouteMatch& match, http::Request& req) {
  HeaderList headers;
  headers.reserve(req.headers.size() + match.params.size() + 1);
  for (auto& [name, value] : req.headers)
    if (!starts_with_icase(name, kParamPrefix) && !starts_with_icase(name, kRestHeader))
      headers.emplace_back(std::move(name), std::move(value));
  for (const auto& [name, value] : match.params) headers.emplace_back(std::string(kParamPrefix) + name, value);
  if (route.pattern.has_rest()) headers.emplace_back(std::string(kRestHeader), match.rest);
  return headers;
}

// Logs why a handler failed and answers 504 (deadline), 503 (stopped by the shutdown) or 500.
void failure_response(const Route& route, std::string_view method, std::string_view target, const Error& e,
                      http::Response& res, bool shutting_down) {
  if (e.kind() == ErrorKind::kInterrupted && shutting_down) {
    spdlog::warn("[{}] {} {}: stopped by the shutdown (still running past the grace period)", route.pattern.text(),
                 method, target);
    text_response(res, 503, "the server is shutting down");
    res.close = true;
    return;
  }
  if (e.kind() == ErrorKind::kInterrupted) {
    spdlog::warn("[{}] {} {}: deadline of {} ms passed; the handler was stopped", route.pattern.text(), method,
                 target, route.deadline.count());
    text_response(res, 504, "the handler did not answer in time");
    res.close = true;
    return;
  }
  spdlog::error("[{}] {} {}: {}", route.pattern.text(), method, target, e.to_string());
  text_response(res, 500, e.kind() == ErrorKind::kTrap ? "the handler failed (trap)" : "the handler failed");
}

// A handler's status and headers as the response's, checked (http::check_response_head); false
// (and logged) if the head cannot be sent.
bool copy_head(const Route& route, std::string_view method, std::string_view target, uint32_t status,
               HeaderList& from, http::Headers& to) {
  to.clear();
  to.reserve(from.size());
  for (auto& [name, value] : from)
    if (!framing_header(name)) to.emplace_back(std::move(name), std::move(value));
  if (Status st = http::check_response_head(status, to); !st.ok()) {
    spdlog::error("[{}] {} {}: the handler returned an invalid response: {}", route.pattern.text(), method, target,
                  st.error().message());
    return false;
  }
  if (http::status_has_no_body(status))
    spdlog::debug("[{}] {} {}: status {} has no body; any body given is dropped", route.pattern.text(), method,
                  target, status);
  return true;
}

// A wasi:http response streamed over the connection.
class StreamSink final : public wasi::ResponseSink {
 public:
  StreamSink(http::ResponseStream* stream, const Route& route, std::string_view method, std::string_view target)
      : stream_(stream), route_(route), method_(method), target_(target) {}
  Status start(uint16_t status, const wasi::FieldList& headers, std::optional<uint64_t> length) override {
    if (!stream_) return Error(ErrorKind::kUnsupported, "this request cannot stream its response");
    HeaderList from(headers.begin(), headers.end());
    http::Headers to;
    if (!copy_head(route_, method_, target_, status, from, to))
      return Error(ErrorKind::kInvalidArgument, "invalid response head");
    return stream_->send_head(status, to, length);
  }
  Status write(std::span<const uint8_t> data) override { return stream_->write(data); }
  Status finish() override { return stream_->finish(); }

 private:
  http::ResponseStream* stream_;
  const Route& route_;
  std::string_view method_, target_;
};

}  // namespace

void Worker::call_handler(const Route& route, const manifest::RouteMatch& match, http::Request& req,
                          http::Response& res) {
  if (route.component->http_export) return call_http(route, match, req, res);
  // The request as the handler world's record. Parameters arrive as headers; a client cannot
  // send its own x-witserve-param-* headers.
  WireRequest wire(std::move(req.method), std::move(req.target), request_headers(route, match, req),
                   std::move(req.body));
  Result<WireResponse> result = Error(ErrorKind::kInternal, "not called");
  Status status = with_instance(route, [&](Reused& r) -> Status {
    if (!r.handle) {
      WITSERVE_ASSIGN_OR_RETURN(auto handle, HandleFunc::lookup(*r.instance, std::string(kHandleExport)));
      r.handle = std::move(handle);
    }
    result = r.handle->call(wire);
    return result.ok() ? ok() : Status(result.error());
  });
  const std::string& method = std::get<0>(wire);
  const std::string& target = std::get<1>(wire);
  if (!status.ok()) return failure_response(route, method, target, status.error(), res, watchdog_->expired());
  auto& [code, out_headers, body] = *result;
  if (!copy_head(route, method, target, code, out_headers, res.headers))
    return text_response(res, 500, "the handler returned an invalid response");
  res.status = uint16_t(code);
  res.body = std::move(body);
}

void Worker::call_http(const Route& route, const manifest::RouteMatch& match, http::Request& req,
                       http::Response& res) {
  std::string method = req.method, target = req.target;
  wasi::IncomingRequest in;
  in.method = std::move(req.method);
  in.path_with_query = std::move(req.target);
  for (auto& [name, value] : request_headers(route, match, req)) {
    std::string lower = name;
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "host") in.authority = value;
    in.headers.emplace_back(std::move(lower), std::move(value));
  }
  in.body = std::make_shared<const std::vector<uint8_t>>(std::move(req.body));
  StreamSink sink(req.stream, route, method, target);
  wasi::HttpCall call(std::move(in), &sink);

  Status status = with_instance(route, [&](Reused& r) -> Status {
    wasi::WasiContext& w = *r.wasi;
    if (req.stream) req.stream->set_deadline(w.deadline);
    w.http = &call;
    w.before_block = [&call] { (void)call.stream_now(); };
    struct Detach {
      wasi::WasiContext& w;
      ~Detach() { w.http = nullptr, w.before_block = nullptr; }
    } detach{w};
    auto [rq, rp] = wasi::new_incoming(w, call);
    auto h1 = r.instance->new_host_resource(std::string(wasi::kHttpTypes), "incoming-request", rq);
    auto h2 = r.instance->new_host_resource(std::string(wasi::kHttpTypes), "response-outparam", rp);
    if (!h1.ok() || !h2.ok()) return Error(ErrorKind::kInternal, "cannot pass the request to the component");
    component::Value args[] = {component::Value::own(*h1), component::Value::own(*h2)};
    auto result = r.instance->call("handle", args, *route.component->http_export);
    return result.ok() ? ok() : Status(std::move(result).error());
  });
  if (call.streaming()) {
    // The head is out: all that is left is to end the body well or cut the connection.
    if (!status.ok()) {
      spdlog::error("[{}] {} {}: failed while streaming its response: {}", route.pattern.text(), method, target,
                    status.error().to_string());
    } else if (!call.finished() || !call.problem.empty()) {
      spdlog::error("[{}] {} {}: the response body was not finished{}{}", route.pattern.text(), method, target,
                    call.problem.empty() ? "" : ": ", call.problem);
    }
    return;
  }
  if (!status.ok()) return failure_response(route, method, target, status.error(), res, watchdog_->expired());
  auto refuse = [&](const std::string& why) {
    spdlog::error("[{}] {} {}: {}", route.pattern.text(), method, target, why);
    text_response(res, 500, "the handler returned an invalid response");
  };
  if (!call.response_set()) return refuse("the handler returned without setting a response");
  if (call.error()) return refuse("the handler answered with error-code " + *call.error());
  if (call.body_open()) return refuse("the handler did not finish the response body");
  if (!call.problem.empty()) return refuse(call.problem);
  HeaderList headers(call.headers().begin(), call.headers().end());
  if (!copy_head(route, method, target, call.status(), headers, res.headers))
    return text_response(res, 500, "the handler returned an invalid response");
  res.status = call.status();
  res.body = std::move(call.buffered());
}

}  // namespace witserve::runtime
