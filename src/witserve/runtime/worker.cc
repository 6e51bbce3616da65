// The per-thread request path (see worker.h).
#include "witserve/runtime/worker.h"

#include <strings.h>

#include "witserve/base/log.h"

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
  auto match = table->router.match(path);
  if (!match) return text_response(res, 404, "no route for " + std::string(path));
  call_handler(table->routes[match->route], *match, req, res);
  // Engine housekeeping (GC steps, finished background compiles) between requests.
  if (++requests_ % 16 == 0) store_->run_pending_tasks();
}

void Worker::call_handler(const Route& route, const manifest::RouteMatch& match, http::Request& req,
                          http::Response& res) {
  // The request as the handler world's record. Parameters arrive as headers; a client cannot
  // send its own x-witserve-param-* headers.
  HeaderList headers;
  headers.reserve(req.headers.size() + match.params.size());
  for (auto& [name, value] : req.headers)
    if (!starts_with_icase(name, kParamPrefix) && !starts_with_icase(name, kRestHeader))
      headers.emplace_back(std::move(name), std::move(value));
  for (const auto& [name, value] : match.params) headers.emplace_back(std::string(kParamPrefix) + name, value);
  if (route.pattern.has_rest()) headers.emplace_back(std::string(kRestHeader), match.rest);
  WireRequest wire(std::move(req.method), std::move(req.target), std::move(headers), std::move(req.body));

  Result<WireResponse> result = Error(ErrorKind::kInternal, "not called");
  {
    Deadline deadline(*watchdog_, interrupt_, Watchdog::Clock::now() + route.deadline);
    Reused* kept = nullptr;
    if (route.reuse_instance) {
      for (auto& r : reused_)
        if (r.component == route.component && r.linker == route.linker) kept = &r;
    }
    if (kept) {
      result = kept->handle->call(wire);
    } else {
      auto instance = component::ComponentInstance::instantiate(route.component->compiled, *store_, *route.linker);
      if (!instance.ok()) {
        result = std::move(instance).error().with_context("instantiating");
      } else {
        auto handle = HandleFunc::lookup(**instance, std::string(kHandleExport));
        if (!handle.ok()) {
          result = std::move(handle).error();
        } else {
          result = handle->call(wire);
          if (route.reuse_instance && result.ok()) {
            // Keep it; first forget instances of components no route uses any more.
            std::erase_if(reused_, [](const Reused& r) { return r.component.use_count() == 1; });
            reused_.push_back({route.component, route.linker, std::move(*instance), std::move(*handle)});
          }
        }
      }
    }
    if (kept && !result.ok()) {
      // A trapped or interrupted instance is not used again.
      std::erase_if(reused_, [&](const Reused& r) { return &r == kept; });
    }
  }
  if (!result.ok()) {
    const Error& e = result.error();
    if (e.kind() == ErrorKind::kInterrupted) {
      spdlog::warn("[{}] {} {}: deadline of {} ms passed; the handler was stopped", route.pattern.text(),
                   std::get<0>(wire), std::get<1>(wire), route.deadline.count());
      text_response(res, 504, "the handler did not answer in time");
      res.close = true;
      return;
    }
    spdlog::error("[{}] {} {}: {}", route.pattern.text(), std::get<0>(wire), std::get<1>(wire), e.to_string());
    text_response(res, 500, e.kind() == ErrorKind::kTrap ? "the handler failed (trap)" : "the handler failed");
    return;
  }
  auto& [status, out_headers, body] = *result;
  if (!http::valid_status(status)) {
    spdlog::error("[{}] {} {}: the handler returned invalid status {}", route.pattern.text(), std::get<0>(wire),
                  std::get<1>(wire), status);
    return text_response(res, 500, "the handler returned an invalid response");
  }
  res.status = status;
  res.headers.clear();
  res.headers.reserve(out_headers.size());
  for (auto& [name, value] : out_headers) {
    if (!http::valid_field_name(name) || !http::valid_field_value(value)) {
      spdlog::error("[{}] {} {}: the handler returned an invalid header {:?}", route.pattern.text(),
                    std::get<0>(wire), std::get<1>(wire), name);
      return text_response(res, 500, "the handler returned an invalid response");
    }
    if (!framing_header(name)) res.headers.emplace_back(std::move(name), std::move(value));
  }
  res.body = std::move(body);
}

}  // namespace witserve::runtime
