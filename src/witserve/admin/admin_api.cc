// The admin API (see admin_api.h). Runs on the admin listener's thread.
#include "witserve/admin/admin_api.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <filesystem>
#include <atomic>
#include <mutex>
#include <thread>

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include <fmt/chrono.h>

#include "witserve/base/log.h"
#include "witserve/manifest/router.h"
#include "witserve/base/unicode.h"

namespace witserve::admin {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

void reply(http::Response& res, uint16_t status, const json& body) {
  res.status = status;
  res.headers = {{"content-type", "application/json"}};
  // Text in a reply may come from outside (routes, file names, a component's names): a byte that
  // is not UTF-8 becomes U+FFFD rather than an exception.
  std::string text = body.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  res.body.assign(text.begin(), text.end());
}

void reply_error(http::Response& res, uint16_t status, const std::string& message) {
  reply(res, status, json{{"error", message}});
}

void reply_unauthorized(http::Response& res) {
  reply_error(res, 401, "missing or wrong bearer token");
  res.headers.emplace_back("www-authenticate", "Bearer");
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(t));
}

json describe(const runtime::Route& r) {
  json j{{"route", r.pattern.text()},
         {"origin", r.origin == runtime::Origin::kManifest ? "manifest" : "admin"},
         {"deadline_ms", r.deadline.count()},
         {"instance", r.reuse_instance ? "reuse" : "fresh"}};
  if (r.component) {
    j["sha256"] = r.component->sha256;
    j["size"] = r.component->size;
    j["loaded_at"] = iso_time(r.loaded_at);
    j["world"] = r.component->world;
  } else if (!r.pending_file.empty()) {
    // Restored, its component still loading in the background: what the registry knows.
    j["sha256"] = r.pending_file.stem().string();
    std::error_code ec;
    if (auto size = std::filesystem::file_size(r.pending_file, ec); !ec) j["size"] = size;
    j["loading"] = true;
  } else {
    j["error"] = "not served (503): " + r.load_error;
  }
  if (!r.file.empty()) j["file"] = r.file.string();
  // Configuration and environment variable names (not their values), and outbound hosts.
  json config = json::array();
  for (const auto& [k, v] : r.host->config) config.push_back(k);
  j["config"] = config;
  json env = json::array();
  for (const auto& [k, v] : r.host->grants->env) env.push_back(k);
  j["env"] = env;
  j["allowed_outbound_hosts"] = r.host->grants->outbound_rules;
  return j;
}

bool authorized(const http::Request& req, const std::string& token) {
  if (token.empty()) return false;
  for (const auto& [name, value] : req.headers) {
    if (strcasecmp(name.c_str(), "authorization") != 0) continue;
    std::string_view v = value;
    if (v.size() < 7 || strncasecmp(v.data(), "bearer ", 7) != 0) return false;
    v.remove_prefix(7);
    return v.size() == token.size() && CRYPTO_memcmp(v.data(), token.data(), token.size()) == 0;
  }
  return false;
}

Error invalid(std::string message) { return Error(ErrorKind::kInvalidArgument, std::move(message)); }

// A registration's settings from their stored text, checked as the manifest checks its route
// keys; a bad one is kInvalidArgument, naming it.
Result<runtime::Routes::AdminSettings> settings_of(const StoredRoute& s) {
  runtime::Routes::AdminSettings out;
  if (s.deadline.count() <= 0 || s.deadline > manifest::kMaxDeadline)
    return invalid("bad deadline: must be greater than 0 and at most 1h");
  out.deadline = s.deadline;
  out.reuse_instance = s.reuse_instance;
  for (const auto& [k, v] : s.env) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos ||
        v.find('\0') != std::string::npos)
      return invalid("bad env entry '" + k + "'");
  }
  out.env = s.env;
  for (const auto& [k, v] : s.config)
    if (k.empty() || k.find('=') != std::string::npos) return invalid("bad config entry '" + k + "'");
  out.config = s.config;
  for (const auto& o : s.allowed_outbound_hosts) {
    auto rule = manifest::parse_outbound_host(o);
    if (!rule.ok()) return invalid("bad allowed_outbound_hosts entry '" + o + "': " + rule.error().message());
    out.allowed_outbound_hosts.push_back(*rule);
  }
  return out;
}

struct Param {
  std::string key, value;
  bool has_value = false;
};

// The query's parameters, percent-decoded. Refused: a name or value that is not UTF-8, a name
// this method does not take, and a single-valued name given twice.
Result<std::vector<Param>> query_params(const boost::urls::url_view& url, std::string_view method) {
  static const std::vector<std::string_view> kPost{"route", "deadline", "instance", "config", "env",
                                                   "allowed_outbound_hosts"};
  static const std::vector<std::string_view> kDelete{"route"};
  static const std::vector<std::string_view> kNone;
  static const std::vector<std::string_view> kRepeatable{"config", "env", "allowed_outbound_hosts"};
  const auto& known = method == "POST" ? kPost : method == "DELETE" ? kDelete : kNone;
  std::vector<Param> out;
  for (auto p : url.params()) {
    if (p.key.empty() && !p.has_value) continue;  // "?", "a=1&&b=2"
    if (!is_valid_utf8(p.key)) return invalid("a query parameter name is not valid UTF-8");
    if (!is_valid_utf8(p.value)) return invalid("the value of query parameter '" + p.key + "' is not valid UTF-8");
    if (std::find(known.begin(), known.end(), p.key) == known.end()) {
      std::string takes;
      for (auto k : known) takes += (takes.empty() ? "" : ", ") + std::string(k);
      return invalid(fmt::format("unknown query parameter '{}' ({} /handler takes {})", p.key, method,
                                 takes.empty() ? "none" : takes));
    }
    bool repeatable = std::find(kRepeatable.begin(), kRepeatable.end(), p.key) != kRepeatable.end();
    if (!repeatable)
      for (const auto& earlier : out)
        if (earlier.key == p.key) return invalid("query parameter '" + p.key + "' is given more than once");
    out.push_back({std::string(p.key), std::string(p.value), p.has_value});
  }
  return out;
}

// Applies a POST's settings to `s` (the earlier registration, or the defaults): each setting
// given replaces the one in `s`, the others stay. A repeatable one given only empty (`env=`) is
// set to none.
Status apply_settings(const std::vector<Param>& params, StoredRoute& s) {
  bool env_given = false, config_given = false, outbound_given = false;
  std::map<std::string, std::string> env, config;
  std::vector<std::string> outbound;
  for (const auto& p : params) {
    if (p.key == "deadline") {
      auto d = manifest::parse_duration(p.value);
      if (!d.ok()) return invalid("bad deadline: " + d.error().message());
      if (*d > manifest::kMaxDeadline) return invalid("bad deadline: \"" + p.value + "\" is over the limit of 1h");
      s.deadline = *d;
    } else if (p.key == "instance") {
      if (p.value != "fresh" && p.value != "reuse")
        return invalid("bad instance: must be \"fresh\" or \"reuse\", not \"" + p.value + "\"");
      s.reuse_instance = p.value == "reuse";
    } else if (p.key == "env" || p.key == "config") {
      bool is_env = p.key == "env";
      (is_env ? env_given : config_given) = true;
      if (p.value.empty()) continue;
      auto eq = p.value.find('=');
      if (eq == std::string::npos || eq == 0) return invalid("bad " + p.key + ": use " + p.key + "=NAME=VALUE");
      auto& to = is_env ? env : config;
      if (!to.emplace(p.value.substr(0, eq), p.value.substr(eq + 1)).second)
        return invalid("bad " + p.key + ": " + p.value.substr(0, eq) + " is given more than once");
    } else if (p.key == "allowed_outbound_hosts") {
      outbound_given = true;
      if (!p.value.empty()) outbound.push_back(p.value);
    }
  }
  if (env_given) s.env = std::move(env);
  if (config_given) s.config = std::move(config);
  if (outbound_given) s.allowed_outbound_hosts = std::move(outbound);
  return ok();
}

bool is_admin_route(const runtime::RouteTable& table, const manifest::RoutePattern& pattern) {
  for (const auto& r : table.routes)
    if (r.origin == runtime::Origin::kAdmin && r.pattern.shape() == pattern.shape()) return true;
  return false;
}

// GET (or HEAD) /healthz or /readyz: the probes, which need no token.
bool is_probe(const http::Request& req) {
  if (req.method != "GET" && req.method != "HEAD") return false;
  std::string_view path = manifest::path_without_query(req.target);
  return path == "/healthz" || path == "/readyz";
}

// /healthz: the process answers. /readyz: every route's component is loaded and the registry's
// data directory is there; otherwise 503 and why.
void probe(runtime::Routes& routes, const Store& store, std::string_view path, http::Response& res) {
  if (path == "/healthz") return reply(res, 200, json{{"status", "ok"}});
  json problems = json::array();
  if (routes.any_pending()) problems.push_back("components restored from the registry are still loading");
  std::error_code ec;
  if (!std::filesystem::is_directory(store.dir(), ec))
    problems.push_back("the registry's data directory " + store.dir().string() + " is not there");
  if (problems.empty()) return reply(res, 200, json{{"status", "ready"}});
  reply(res, 503, json{{"status", "not ready"}, {"problems", problems}});
  res.headers.emplace_back("retry-after", "1");
}

void handle(runtime::Routes& routes, Store& store, const AdminOptions& options, http::Request& req,
            http::Response& res) {
  auto url = boost::urls::parse_origin_form(req.target);
  if (!url) return reply_error(res, 400, "bad request target");
  if (is_probe(req)) return probe(routes, store, url->path(), res);
  if (url->path() != "/handler") return reply_error(res, 404, "not found; the admin API is /handler");
  if (!authorized(req, options.token)) return reply_unauthorized(res);
  if (req.method != "GET" && req.method != "POST" && req.method != "DELETE") {
    reply_error(res, 405, "use GET, POST or DELETE");
    res.headers.emplace_back("allow", "GET, POST, DELETE");
    return;
  }
  auto params = query_params(*url, req.method);
  if (!params.ok()) return reply_error(res, 400, params.error().message());

  if (req.method == "GET") {
    json list = json::array();
    for (const auto& r : routes.snapshot()->routes) list.push_back(describe(r));
    return reply(res, 200, json{{"routes", list}});
  }
  auto route = std::find_if(params->begin(), params->end(), [](const Param& p) { return p.key == "route"; });
  if (route == params->end() || !route->has_value)
    return reply_error(res, 400, "the route query parameter is missing (?route=/path)");
  auto pattern = manifest::RoutePattern::parse(route->value);
  if (!pattern.ok()) return reply_error(res, 400, "bad route: " + pattern.error().message());
  std::optional<StoredRoute> earlier = store.find(pattern->text());

  if (req.method == "DELETE") {
    if (!earlier) return reply_error(res, 404, "no registered route " + pattern->text());
    if (auto st = store.remove(pattern->text()); !st.ok()) return reply_error(res, 500, st.error().message());
    if (is_admin_route(*routes.snapshot(), *pattern)) {
      if (auto st = routes.remove(*pattern); !st.ok()) return reply_error(res, 500, st.error().message());
    }
    spdlog::info("admin: removed route {}", pattern->text());
    res.status = 204;
    return;
  }

  // POST: check everything before anything is stored or goes live. A replace starts from the
  // earlier registration's settings.
  StoredRoute stored;
  if (earlier) stored = *earlier;
  else stored.deadline = options.default_deadline;
  stored.route = pattern->text();
  if (auto st = apply_settings(*params, stored); !st.ok()) return reply_error(res, 400, st.error().message());
  auto settings = settings_of(stored);
  if (!settings.ok()) return reply_error(res, 400, settings.error().message());
  if (auto st = routes.check_put(*pattern); !st.ok()) return reply_error(res, 409, st.error().message());
  std::vector<uint8_t> bytes = std::move(req.body);
  auto loaded = routes.cache().load(bytes);
  if (!loaded.ok()) return reply_error(res, 400, "invalid component: " + loaded.error().message());
  bool replaced = earlier.has_value();
  stored.sha256 = (*loaded)->sha256;
  if (auto st = store.put(stored, bytes); !st.ok()) return reply_error(res, 500, "not stored: " + st.error().message());
  if (auto st = routes.put(*pattern, *loaded, *settings); !st.ok()) return reply_error(res, 409, st.error().message());
  spdlog::info("admin: {} route {} (sha256 {}, {} bytes)", replaced ? "replaced" : "registered", pattern->text(),
               (*loaded)->sha256.substr(0, 12), (*loaded)->size);
  for (const auto& r : routes.snapshot()->routes)
    if (r.origin == runtime::Origin::kAdmin && r.pattern.shape() == (*pattern).shape()) {
      json j = describe(r);
      j["replaced"] = replaced;
      return reply(res, replaced ? 200 : 201, j);
    }
  reply_error(res, 500, "the route vanished while it was registered");
}

}  // namespace

void restore(runtime::Routes& routes, Store& store, milliseconds default_deadline) {
  std::vector<StoredRoute> stored = store.load();
  std::vector<runtime::Routes::AdminEntry> entries;
  std::vector<const StoredRoute*> sources;
  entries.reserve(stored.size());
  for (const auto& s : stored) {
    auto pattern = manifest::RoutePattern::parse(s.route);
    if (!pattern.ok()) {
      spdlog::error("admin: registered route {} is not a valid route: {}", s.route, pattern.error().message());
      continue;
    }
    runtime::Routes::AdminEntry e{*pattern, nullptr, {}, {}, store.component_path(s.sha256)};
    auto settings = settings_of(s);
    if (settings.ok()) {
      e.settings = std::move(*settings);
    } else {
      e.settings.deadline = default_deadline;
      e.load_error = settings.error().message();
    }
    entries.push_back(std::move(e));
    sources.push_back(&s);
  }
  // Every route is published at once, its component still to load (a request that comes first
  // loads it itself); the loading goes on in the background (restore_loader).
  std::vector<std::optional<Error>> errors;
  size_t count = entries.size();
  std::vector<std::string> names, shas;
  std::vector<bool> failed;
  for (size_t i = 0; i < count; ++i) {
    names.push_back(entries[i].pattern.text());
    shas.push_back(sources[i]->sha256);
    failed.push_back(!entries[i].load_error.empty());
  }
  routes.put_many(std::move(entries), errors);
  size_t restored = 0;
  for (size_t i = 0; i < count; ++i) {
    if (errors[i]) {
      spdlog::error("admin: registered route {} not restored: {}", names[i], errors[i]->message());
      continue;
    }
    ++restored;
    if (!failed[i]) spdlog::info("admin: restored route {} (sha256 {})", names[i], shas[i].substr(0, 12));
  }
  if (count) spdlog::info("admin: restored {} registered route{}", restored, restored == 1 ? "" : "s");
}

std::jthread load_restored(runtime::Routes& routes) {
  std::vector<runtime::Routes::Loaded> todo;
  for (const auto& r : routes.snapshot()->routes)
    if (!r.pending_file.empty()) todo.push_back({r.pattern.text(), r.pattern.shape(), r.pending_file, nullptr, {}});
  if (todo.empty()) return {};
  return std::jthread([&routes, todo = std::move(todo)](std::stop_token stop) mutable {
    auto t0 = std::chrono::steady_clock::now();
    // On every core (the cache is thread-safe; each thread checks in its own scratch store),
    // published in batches so routes come ready while the rest load.
    std::atomic<size_t> next{0}, done{0};
    std::mutex mu;
    std::vector<runtime::Routes::Loaded> batch;
    auto flush = [&] {
      std::vector<runtime::Routes::Loaded> out;
      {
        std::lock_guard lock(mu);
        out.swap(batch);
      }
      routes.fill_pending(out);
    };
    auto work = [&] {
      for (size_t i; !stop.stop_requested() && (i = next.fetch_add(1)) < todo.size();) {
        auto loaded = routes.cache().load_file(todo[i].file);
        if (loaded.ok()) {
          todo[i].component = *loaded;
        } else {
          todo[i].error = loaded.error().message();
          // Kept registered, without a component: it answers 503, the listing says why, and a
          // POST or DELETE of the route works as for any registration.
          spdlog::error("admin: REGISTERED ROUTE {} CANNOT BE SERVED (it answers 503; the registration is kept): {}",
                        todo[i].route, todo[i].error);
        }
        std::lock_guard lock(mu);
        batch.push_back(std::move(todo[i]));
        ++done;
      }
    };
    unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    std::vector<std::jthread> threads;
    for (unsigned t = 1; t < n && t < todo.size(); ++t) threads.emplace_back(work);
    std::jthread publisher([&](std::stop_token) {
      while (done < todo.size() && !stop.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        flush();
      }
    });
    work();
    for (auto& t : threads) t.join();
    publisher.join();
    flush();
    if (!stop.stop_requested())
      spdlog::info("admin: {} registered component{} loaded in {} ms", todo.size(), todo.size() == 1 ? "" : "s",
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  });
}

http::SyncHandler make_admin_handler(runtime::Routes& routes, Store& store, AdminOptions options) {
  return [&routes, &store, options](http::Request& req, http::Response& res) {
    // Whatever goes wrong inside a call answers it with a 500; the process goes on.
    try {
      handle(routes, store, options, req, res);
    } catch (const std::exception& e) {
      spdlog::error("admin: {} {}: internal error: {}", req.method, req.target, e.what());
      res = http::Response{};
      reply_error(res, 500, "internal error");
    } catch (...) {
      spdlog::error("admin: {} {}: internal error", req.method, req.target);
      res = http::Response{};
      reply_error(res, 500, "internal error");
    }
  };
}

http::HeadCheck make_admin_head_check(std::string token) {
  return [token = std::move(token)](const http::Request& head, http::Response& res) {
    if (is_probe(head) || authorized(head, token)) return false;
    reply_unauthorized(res);
    return true;
  };
}

}  // namespace witserve::admin
