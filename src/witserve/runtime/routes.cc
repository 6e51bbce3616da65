// The live route set and its atomically swapped snapshots (see routes.h).
#include "witserve/runtime/routes.h"

#include <cstdlib>

#include "witserve/base/log.h"

namespace witserve::runtime {

Routes::Routes(std::shared_ptr<ComponentCache> cache) : cache_(std::move(cache)) {
  auto empty = std::make_shared<RouteTable>();
  auto router = manifest::Router::build({});
  empty->router = std::move(*router);
  current_.store(std::move(empty));
}

Status Routes::publish(std::vector<Route> manifest_routes, std::vector<Route> admin_routes) {
  auto table = std::make_shared<RouteTable>();
  std::vector<std::pair<manifest::RoutePattern, size_t>> patterns;
  for (auto* list : {&manifest_routes, &admin_routes})
    for (auto& r : *list) {
      patterns.emplace_back(r.pattern, table->routes.size());
      table->routes.push_back(r);
    }
  WITSERVE_ASSIGN_OR_RETURN(table->router, manifest::Router::build(std::move(patterns)));
  table->generation = ++generation_;
  manifest_ = std::move(manifest_routes);
  admin_ = std::move(admin_routes);
  current_.store(std::move(table), std::memory_order_release);
  return ok();
}

namespace {

// What a route grants its component through WASI; nothing unless listed.
std::shared_ptr<const wasi::Grants> make_grants(const manifest::RoutePattern& route,
                                                const std::map<std::string, std::string>& env,
                                                const std::vector<manifest::DirGrant>& dirs,
                                                const std::vector<manifest::OutboundHost>& outbound,
                                                const std::map<std::string, std::string>& config = {},
                                                std::map<std::string, std::shared_ptr<kv::Store>> stores = {}) {
  auto g = std::make_shared<wasi::Grants>();
  g->route = route.text();
  g->config = config;
  g->key_value = std::move(stores);
  g->env.assign(env.begin(), env.end());
  for (const auto& d : dirs) g->dirs.push_back({d.host, d.guest, d.writable});
  for (const auto& o : outbound) g->outbound_rules.push_back(manifest::to_string(o));
  if (!outbound.empty()) {
    g->outbound = [rules = outbound](std::string_view scheme, std::string_view host, uint16_t port) {
      return manifest::outbound_allowed(rules, scheme, host, port);
    };
  }
  return g;
}

// The route's config table with its { env = "NAME" } values read from the server's environment;
// an unset variable leaves its key out (the handler sees it missing) and is logged.
std::map<std::string, std::string> resolved_config(const manifest::RouteConfig& c) {
  std::map<std::string, std::string> out = c.config;
  for (const auto& [key, name] : c.config_env) {
    if (const char* v = std::getenv(name.c_str())) out[key] = v;
    else spdlog::warn("route {}: config.{} comes from the environment variable {}, which is not set", c.pattern.text(), key, name);
  }
  return out;
}

std::shared_ptr<const wasi::Grants> grants_for(const manifest::RouteConfig& c, const std::map<std::string, std::string>& config,
                                               const KeyValueStores* kv) {
  std::map<std::string, std::shared_ptr<kv::Store>> stores;
  for (const auto& label : c.key_value_stores)
    if (auto s = kv ? kv->find(label) : nullptr) stores[label] = std::move(s);
    else spdlog::error("route {}: key-value store '{}' is not open; the handler is refused it", c.pattern.text(), label);
  return make_grants(c.pattern, c.env, c.dirs, c.allowed_outbound_hosts, config, std::move(stores));
}

}  // namespace

Status Routes::set_manifest_routes(const std::vector<manifest::RouteConfig>& configs, bool keep_failed) {
  std::vector<Route> routes;
  std::vector<std::string> failures;
  for (const auto& c : configs) {
    auto loaded = cache_->load_file(c.component);
    if (!loaded.ok()) {
      failures.push_back("route " + c.pattern.text() + ": " + loaded.error().message());
      if (!keep_failed) continue;
    }
    Route r;
    r.pattern = c.pattern;
    r.origin = Origin::kManifest;
    r.file = c.component;
    r.deadline = c.deadline;
    r.reuse_instance = c.reuse_instance;
    r.execution = c.execution == manifest::RouteConfig::kInline ? Execution::kInline
                  : c.execution == manifest::RouteConfig::kPool ? Execution::kPool
                                                                : Execution::kAuto;
    r.max_concurrency = c.max_concurrency;
    auto host = std::make_shared<HostContext>();
    host->route = c.pattern.text();
    host->config = resolved_config(c);
    host->grants = grants_for(c, host->config, kv_.get());
    r.host = host;
    r.linker = make_host_linker(host);
    if (loaded.ok()) r.component = std::move(*loaded);
    else r.load_error = loaded.error().message();
    r.loaded_at = std::chrono::system_clock::now();
    routes.push_back(std::move(r));
  }
  std::string msg;
  for (const auto& f : failures) msg += (msg.empty() ? "" : "\n") + f;
  if (!failures.empty() && !keep_failed) return Error(ErrorKind::kInvalidArgument, msg);
  {
    std::lock_guard lock(mu_);
    WITSERVE_TRY(publish(std::move(routes), admin_));
  }
  if (!failures.empty()) return Error(ErrorKind::kInvalidArgument, msg);
  return ok();
}

Status Routes::reload_file(const std::filesystem::path& file) {
  // Compile outside the lock: it can take a while and other changes need not wait.
  auto loaded = cache_->load_file(file);
  std::lock_guard lock(mu_);
  std::vector<Route> routes = manifest_;
  bool changed = false, uses = false;
  for (auto& r : routes) {
    if (r.file != file) continue;
    uses = true;
    if (!loaded.ok()) {
      if (!r.component) r.load_error = loaded.error().message();
      continue;
    }
    if (r.component && r.component->sha256 == (*loaded)->sha256) continue;
    r.component = *loaded;
    r.load_error.clear();
    r.loaded_at = std::chrono::system_clock::now();
    changed = true;
  }
  if (!uses) return ok();
  if (!loaded.ok()) return std::move(loaded).error().with_context("keeping the previous version");
  if (!changed) return ok();
  WITSERVE_TRY(publish(std::move(routes), admin_));
  spdlog::info("reloaded {} ({} bytes, sha256 {})", file.string(), (*loaded)->size, (*loaded)->sha256.substr(0, 12));
  return ok();
}

std::vector<std::filesystem::path> Routes::files() const {
  std::lock_guard lock(mu_);
  std::vector<std::filesystem::path> out;
  for (const auto& r : manifest_) out.push_back(r.file);
  return out;
}

Status Routes::check_put(const manifest::RoutePattern& pattern) const {
  std::lock_guard lock(mu_);
  return check_put_locked(pattern);
}

Status Routes::check_put_locked(const manifest::RoutePattern& pattern) const {
  for (const auto& r : manifest_)
    if (r.pattern.shape() == pattern.shape())
      return Error(ErrorKind::kInvalidArgument, "route " + pattern.text() + " conflicts with the manifest's route " +
                                                    r.pattern.text() + "; change the manifest to replace it");
  return ok();
}

Route Routes::admin_route(AdminEntry e) {
  Route r;
  r.pattern = e.pattern;
  r.origin = Origin::kAdmin;
  r.deadline = e.settings.deadline;
  r.reuse_instance = e.settings.reuse_instance;
  auto host = std::make_shared<HostContext>();
  host->route = e.pattern.text();
  host->config = std::move(e.settings.config);
  host->grants = make_grants(e.pattern, e.settings.env, {}, e.settings.allowed_outbound_hosts, host->config);
  r.host = host;
  r.linker = make_host_linker(host);
  r.component = std::move(e.component);
  if (!r.component) r.load_error = std::move(e.load_error);
  if (!r.component && r.load_error.empty()) r.pending_file = std::move(e.pending_file);
  r.loaded_at = std::chrono::system_clock::now();
  return r;
}

bool Routes::place(std::vector<Route>& admin, Route r) {
  for (auto& existing : admin)
    if (existing.pattern.shape() == r.pattern.shape()) {
      existing = std::move(r);
      return false;
    }
  admin.push_back(std::move(r));
  return true;
}

Status Routes::put(const manifest::RoutePattern& pattern, std::shared_ptr<const LoadedComponent> component,
                   const AdminSettings& settings, std::string load_error) {
  std::lock_guard lock(mu_);
  WITSERVE_TRY(check_put_locked(pattern));
  std::vector<Route> admin = admin_;
  place(admin, admin_route({pattern, std::move(component), settings, std::move(load_error), {}}));
  return publish(manifest_, std::move(admin));
}

void Routes::put_many(std::vector<AdminEntry> entries, std::vector<std::optional<Error>>& errors) {
  errors.assign(entries.size(), std::nullopt);
  std::lock_guard lock(mu_);
  std::vector<Route> admin = admin_;
  // Shapes already placed, for replacing in O(log n) rather than scanning every route each time.
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < admin.size(); ++i) at[admin[i].pattern.shape()] = i;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (auto st = check_put_locked(entries[i].pattern); !st.ok()) {
      errors[i] = st.error();
      continue;
    }
    std::string shape = entries[i].pattern.shape();
    Route r = admin_route(std::move(entries[i]));
    if (auto it = at.find(shape); it != at.end()) {
      admin[it->second] = std::move(r);
    } else {
      at[shape] = admin.size();
      admin.push_back(std::move(r));
    }
  }
  if (auto st = publish(manifest_, std::move(admin)); !st.ok())
    for (auto& e : errors)
      if (!e) e = st.error();
}

Result<std::shared_ptr<const LoadedComponent>> Routes::load_pending(const Route& route) const {
  return cache_->load_file(route.pending_file);
}

bool Routes::any_pending() const {
  for (const auto& r : snapshot()->routes)
    if (!r.pending_file.empty()) return true;
  return false;
}

void Routes::fill_pending(const std::vector<Loaded>& loaded) {
  if (loaded.empty()) return;
  std::lock_guard lock(mu_);
  std::map<std::string, const Loaded*> by_shape;
  for (const auto& l : loaded) by_shape[l.shape] = &l;
  std::vector<Route> admin = admin_;
  for (auto& r : admin) {
    if (r.pending_file.empty()) continue;
    auto it = by_shape.find(r.pattern.shape());
    if (it == by_shape.end() || it->second->file != r.pending_file) continue;
    r.component = it->second->component;
    if (!r.component) r.load_error = it->second->error;
    r.pending_file.clear();
    r.loaded_at = std::chrono::system_clock::now();
  }
  if (auto st = publish(manifest_, std::move(admin)); !st.ok())
    spdlog::error("routes: cannot publish restored routes: {}", st.error().message());
}

Status Routes::remove(const manifest::RoutePattern& pattern) {
  std::lock_guard lock(mu_);
  std::vector<Route> admin = admin_;
  auto it = std::find_if(admin.begin(), admin.end(), [&](const Route& r) { return r.pattern.shape() == pattern.shape(); });
  if (it == admin.end()) return Error(ErrorKind::kNotFound, "no registered route " + pattern.text());
  admin.erase(it);
  return publish(manifest_, std::move(admin));
}

}  // namespace witserve::runtime
