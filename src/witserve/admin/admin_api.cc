// The admin API (see admin_api.h).
#include "witserve/admin/admin_api.h"

#include <openssl/crypto.h>

#include <boost/url/parse.hpp>
#include <nlohmann/json.hpp>

#include <fmt/chrono.h>

#include "witserve/base/log.h"

namespace witserve::admin {
namespace {

using nlohmann::json;

void reply(http::Response& res, uint16_t status, const json& body) {
  res.status = status;
  res.headers = {{"content-type", "application/json"}};
  std::string text = body.dump(2) + "\n";
  res.body.assign(text.begin(), text.end());
}

void reply_error(http::Response& res, uint16_t status, const std::string& message) {
  reply(res, status, json{{"error", message}});
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(t));
}

json describe(const runtime::Route& r) {
  json j{{"route", r.pattern.text()},
         {"origin", r.origin == runtime::Origin::kManifest ? "manifest" : "admin"},
         {"sha256", r.component->sha256},
         {"size", r.component->size},
         {"deadline_ms", r.deadline.count()},
         {"loaded_at", iso_time(r.loaded_at)},
         {"world", r.component->world}};
  if (!r.file.empty()) j["file"] = r.file.string();
  // The grants: environment variable names (not their values) and outbound hosts.
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

// The grants of an admin route from their text; a bad one is kInvalidArgument, naming it.
Result<runtime::Routes::AdminGrants> admin_grants(const std::map<std::string, std::string>& env,
                                                  const std::vector<std::string>& outbound) {
  runtime::Routes::AdminGrants g;
  for (const auto& [k, v] : env) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos ||
        v.find('\0') != std::string::npos)
      return Error(ErrorKind::kInvalidArgument, "bad env entry '" + k + "'");
  }
  g.env = env;
  for (const auto& o : outbound) {
    auto rule = manifest::parse_outbound_host(o);
    if (!rule.ok()) return Error(ErrorKind::kInvalidArgument, "bad allowed_outbound_hosts entry '" + o + "': " +
                                                                  rule.error().message());
    g.allowed_outbound_hosts.push_back(*rule);
  }
  return g;
}

}  // namespace

void restore(runtime::Routes& routes, Store& store, std::chrono::milliseconds default_deadline) {
  auto stored = store.load();
  if (!stored.ok()) {
    spdlog::error("admin: cannot read registrations: {}", stored.error().message());
    return;
  }
  for (const auto& s : *stored) {
    auto pattern = manifest::RoutePattern::parse(s.route);
    auto loaded = pattern.ok() ? routes.cache().load_file(store.component_path(s.sha256))
                               : Result<std::shared_ptr<const runtime::LoadedComponent>>(pattern.error());
    auto grants = admin_grants(s.env, s.allowed_outbound_hosts);
    Status st = !grants.ok()  ? Status(grants.error())
                : loaded.ok() ? routes.put(*pattern, *loaded, s.deadline, *grants)
                              : Status(loaded.error());
    if (!st.ok()) spdlog::error("admin: registered route {} not restored: {}", s.route, st.error().message());
    else spdlog::info("admin: restored route {} (sha256 {})", s.route, s.sha256.substr(0, 12));
  }
}

http::Handler make_admin_handler(runtime::Routes& routes, Store& store, AdminOptions options) {
  return [&routes, &store, options](http::Request& req, http::Response& res) {
    auto url = boost::urls::parse_origin_form(req.target);
    if (!url) return reply_error(res, 400, "bad request target");
    if (url->path() != "/handler") return reply_error(res, 404, "not found; the admin API is /handler");
    if (!authorized(req, options.token)) {
      reply_error(res, 401, "missing or wrong bearer token");
      res.headers.emplace_back("www-authenticate", "Bearer");
      return;
    }
    auto params = url->params();
    auto param = [&](const char* name) -> std::optional<std::string> {
      auto it = params.find(name);
      if (it == params.end() || !(*it).has_value) return std::nullopt;
      return std::string((*it).value);
    };

    if (req.method == "GET") {
      json list = json::array();
      for (const auto& r : routes.snapshot()->routes) list.push_back(describe(r));
      return reply(res, 200, json{{"routes", list}});
    }
    if (req.method != "POST" && req.method != "DELETE") {
      reply_error(res, 405, "use GET, POST or DELETE");
      res.headers.emplace_back("allow", "GET, POST, DELETE");
      return;
    }
    auto route = param("route");
    if (!route) return reply_error(res, 400, "the route query parameter is missing (?route=/path)");
    auto pattern = manifest::RoutePattern::parse(*route);
    if (!pattern.ok()) return reply_error(res, 400, "bad route: " + pattern.error().message());

    if (req.method == "DELETE") {
      bool exists = false;
      for (const auto& r : routes.snapshot()->routes)
        if (r.origin == runtime::Origin::kAdmin && r.pattern.shape() == (*pattern).shape()) exists = true;
      if (!exists) return reply_error(res, 404, "no registered route " + pattern->text());
      if (auto st = store.remove(pattern->text()); !st.ok()) return reply_error(res, 500, st.error().message());
      if (auto st = routes.remove(*pattern); !st.ok()) return reply_error(res, 404, st.error().message());
      spdlog::info("admin: removed route {}", pattern->text());
      res.status = 204;
      return;
    }

    // POST: check everything before anything is stored or goes live.
    std::chrono::milliseconds deadline = options.default_deadline;
    if (auto d = param("deadline")) {
      auto parsed = manifest::parse_duration(*d);
      if (!parsed.ok()) return reply_error(res, 400, "bad deadline: " + parsed.error().message());
      deadline = *parsed;
    }
    // WASI grants: env=NAME=VALUE and allowed_outbound_hosts=URL, each repeatable.
    std::map<std::string, std::string> env;
    std::vector<std::string> outbound;
    for (auto p : params) {
      if (p.key == "env") {
        std::string kv(p.value);
        auto eq = kv.find('=');
        if (!p.has_value || eq == std::string::npos) return reply_error(res, 400, "bad env: use env=NAME=VALUE");
        env[kv.substr(0, eq)] = kv.substr(eq + 1);
      } else if (p.key == "allowed_outbound_hosts") {
        outbound.emplace_back(p.value);
      }
    }
    auto grants = admin_grants(env, outbound);
    if (!grants.ok()) return reply_error(res, 400, grants.error().message());
    if (auto st = routes.check_put(*pattern); !st.ok()) return reply_error(res, 409, st.error().message());
    std::vector<uint8_t> bytes = std::move(req.body);
    auto loaded = routes.cache().load(bytes);
    if (!loaded.ok()) return reply_error(res, 400, "invalid component: " + loaded.error().message());
    bool replaced = false;
    for (const auto& r : routes.snapshot()->routes)
      if (r.origin == runtime::Origin::kAdmin && r.pattern.shape() == (*pattern).shape()) replaced = true;
    StoredRoute stored{pattern->text(), (*loaded)->sha256, deadline, env, outbound};
    if (auto st = store.put(stored, bytes); !st.ok()) return reply_error(res, 500, "not stored: " + st.error().message());
    if (auto st = routes.put(*pattern, *loaded, deadline, *grants); !st.ok())
      return reply_error(res, 409, st.error().message());
    spdlog::info("admin: {} route {} (sha256 {}, {} bytes)", replaced ? "replaced" : "registered", pattern->text(),
                 (*loaded)->sha256.substr(0, 12), (*loaded)->size);
    for (const auto& r : routes.snapshot()->routes)
      if (r.origin == runtime::Origin::kAdmin && r.pattern.shape() == (*pattern).shape()) {
        json j = describe(r);
        j["replaced"] = replaced;
        return reply(res, replaced ? 200 : 201, j);
      }
    reply_error(res, 500, "the route vanished while it was registered");
  };
}

}  // namespace witserve::admin
