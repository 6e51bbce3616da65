// The admin registrations' data directory (see store.h).
#include "witserve/admin/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include <fmt/chrono.h>

#include "witserve/base/log.h"
#include "witserve/manifest/manifest.h"
#include "witserve/manifest/router.h"

namespace witserve::admin {
namespace fs = std::filesystem;

namespace {

Error io_error(const std::string& what) { return Error(ErrorKind::kIo, what + ": " + std::strerror(errno)); }

Status fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return io_error("open " + p.string());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return io_error("fsync " + p.string());
  return ok();
}

// Routes are the same when their patterns are equivalent ("/p/:id" and "/p/:name"), as the live
// route table sees them.
bool same_route(const std::string& a, const std::string& b) {
  auto pa = manifest::RoutePattern::parse(a), pb = manifest::RoutePattern::parse(b);
  if (!pa.ok() || !pb.ok()) return a == b;
  return pa->shape() == pb->shape();
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A temporary file of write_file_atomic ("NAME.tmp.PID") whose writer is gone: this process has
// not written anything yet, so one of its own pid is from an earlier process that had the same pid.
bool stale_temporary(const std::string& name) {
  auto at = name.rfind(".tmp.");
  if (at == std::string::npos) return false;
  std::string_view digits = std::string_view(name).substr(at + 5);
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) return false;
  return pid == ::getpid() || (::kill(pid, 0) != 0 && errno == ESRCH);
}

void remove_stale_temporaries(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (!e.is_regular_file(ec) || !stale_temporary(name)) continue;
    if (fs::remove(e.path(), ec))
      spdlog::warn("admin: removed {}, left by a write that was cut short", e.path().string());
  }
}

// One registration of routes.json, or why it is unusable.
Result<StoredRoute> parse_entry(const nlohmann::json& r) {
  auto bad = [](std::string why) { return Error(ErrorKind::kMalformed, std::move(why)); };
  if (!r.is_object()) return bad("an entry is not an object");
  if (!r.contains("route") || !r["route"].is_string()) return bad("an entry has no route");
  StoredRoute s;
  s.route = r["route"].get<std::string>();
  if (!manifest::RoutePattern::parse(s.route).ok()) return bad("route " + s.route + " is not a valid route");
  if (!r.contains("sha256") || !r["sha256"].is_string() || !is_sha256_hex(r["sha256"].get<std::string>()))
    return bad("route " + s.route + " has no valid sha256");
  s.sha256 = r["sha256"].get<std::string>();
  if (r.contains("deadline_ms")) {
    if (!r["deadline_ms"].is_number_unsigned() || r["deadline_ms"].get<uint64_t>() == 0)
      return bad("route " + s.route + " has a bad deadline_ms");
    // Registrations made before the admin API bounded deadlines: held to the manifest's bound.
    uint64_t ms = std::min<uint64_t>(r["deadline_ms"].get<uint64_t>(), manifest::kMaxDeadline.count());
    s.deadline = std::chrono::milliseconds(ms);
  }
  if (r.contains("instance")) {
    if (r["instance"] != "fresh" && r["instance"] != "reuse") return bad("route " + s.route + " has a bad instance");
    s.reuse_instance = r["instance"] == "reuse";
  }
  for (auto [key, out] : {std::pair{"env", &s.env}, std::pair{"config", &s.config}}) {
    if (!r.contains(key)) continue;
    if (!r[key].is_object()) return bad("route " + s.route + " has a bad " + key);
    for (const auto& [k, v] : r[key].items()) {
      if (!v.is_string()) return bad("route " + s.route + " has a bad " + key + " value");
      (*out)[k] = v.get<std::string>();
    }
  }
  if (r.contains("allowed_outbound_hosts")) {
    if (!r["allowed_outbound_hosts"].is_array()) return bad("route " + s.route + " has bad allowed_outbound_hosts");
    for (const auto& h : r["allowed_outbound_hosts"]) {
      if (!h.is_string()) return bad("route " + s.route + " has bad allowed_outbound_hosts");
      s.allowed_outbound_hosts.push_back(h.get<std::string>());
    }
  }
  return s;
}

}  // namespace

Status write_file_atomic(const fs::path& file, std::span<const uint8_t> data) {
  fs::path tmp = file;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("create " + tmp.string());
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto e = io_error("write " + tmp.string());
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    auto e = io_error("fsync " + tmp.string());
    ::unlink(tmp.c_str());
    return e;
  }
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    auto e = io_error("rename " + tmp.string());
    ::unlink(tmp.c_str());
    return e;
  }
  return fsync_path(file.parent_path(), O_RDONLY | O_DIRECTORY);
}

Result<Store> Store::open(fs::path dir) {
  std::error_code ec;
  fs::create_directories(dir / "components", ec);
  if (ec) return Error(ErrorKind::kIo, "cannot create data directory " + dir.string() + ": " + ec.message());
  Store store(fs::absolute(dir).lexically_normal());
  const fs::path& d = store.dir_;
  remove_stale_temporaries(d);
  remove_stale_temporaries(d / "components");

  fs::path file = d / "routes.json";
  if (!fs::exists(file, ec)) return store;
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error(ErrorKind::kIo, "cannot read " + file.string());
  std::string text(std::istreambuf_iterator<char>(in), {});
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> problems;
  if (json.is_discarded() || !json.is_array()) {
    problems.push_back(json.is_discarded() ? "it is not valid JSON (truncated?)" : "it is not a JSON array");
  } else {
    for (const auto& r : json) {
      auto entry = parse_entry(r);
      if (entry.ok()) store.routes_.push_back(std::move(*entry));
      else problems.push_back(entry.error().message());
    }
  }
  bool earlier_set_aside = false;
  for (const auto& e : fs::directory_iterator(d, ec))
    earlier_set_aside |= e.path().filename().string().starts_with("routes.json.bad-");
  if (problems.empty()) {
    // Component files no registration uses (a crash between storing one and recording it) are
    // not needed, unless a routes.json set aside earlier may still want them.
    if (earlier_set_aside) return store;
    for (const auto& e : fs::directory_iterator(d / "components", ec)) {
      std::string name = e.path().filename().string();
      if (!name.ends_with(".wasm")) continue;
      std::string sha = name.substr(0, name.size() - 5);
      if (std::none_of(store.routes_.begin(), store.routes_.end(), [&](const StoredRoute& r) { return r.sha256 == sha; }))
        store.remove_unused_component(sha);
    }
    return store;
  }
  // Never lose the registry: the file is kept as it is, beside, and what could be read of it
  // serves. Component files are all kept, so that the rest can be registered again by hand.
  std::string stamp = fmt::format("{:%Y%m%dT%H%M%SZ}", std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  fs::path aside = d / ("routes.json.bad-" + stamp);
  for (int i = 1; fs::exists(aside, ec); ++i) aside = d / fmt::format("routes.json.bad-{}-{}", stamp, i);
  if (::rename(file.c_str(), aside.c_str()) != 0) return io_error("rename " + file.string() + " to " + aside.string());
  for (const auto& p : problems) spdlog::error("admin: {}: {}", file.string(), p);
  spdlog::error("admin: {} could not be read whole: kept as {}; {} registration{} restored from it, the rest are "
                "not served (their components stay in {})",
                file.string(), aside.string(), store.routes_.size(), store.routes_.size() == 1 ? "" : "s",
                (d / "components").string());
  if (!store.routes_.empty()) WITSERVE_TRY(store.write_routes(store.routes_));
  return store;
}

fs::path Store::component_path(const std::string& sha256) const { return dir_ / "components" / (sha256 + ".wasm"); }

std::vector<StoredRoute> Store::load() const {
  std::lock_guard lock(mu_);
  return routes_;
}

std::optional<StoredRoute> Store::find(const std::string& route) const {
  std::lock_guard lock(mu_);
  for (const auto& r : routes_)
    if (same_route(r.route, route)) return r;
  return std::nullopt;
}

Status Store::write_routes(const std::vector<StoredRoute>& routes) {
  nlohmann::json json = nlohmann::json::array();
  for (const auto& r : routes)
    json.push_back({{"route", r.route},
                    {"sha256", r.sha256},
                    {"deadline_ms", r.deadline.count()},
                    {"instance", r.reuse_instance ? "reuse" : "fresh"},
                    {"config", r.config},
                    {"env", r.env},
                    {"allowed_outbound_hosts", r.allowed_outbound_hosts}});
  // Values come from clients: never let a byte that is not UTF-8 make dump() throw (the admin
  // API refuses them, this is the second line).
  std::string text = json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return write_file_atomic(dir_ / "routes.json", {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

void Store::remove_unused_component(const std::string& sha256) {
  if (sha256.empty()) return;
  for (const auto& r : routes_)
    if (r.sha256 == sha256) return;
  std::error_code ec;
  fs::remove(component_path(sha256), ec);  // best effort: an orphan file is harmless
}

Status Store::put(const StoredRoute& route, std::span<const uint8_t> bytes) {
  std::lock_guard lock(mu_);
  fs::path component = component_path(route.sha256);
  if (!fs::exists(component)) WITSERVE_TRY(write_file_atomic(component, bytes));
  std::vector<StoredRoute> routes = routes_;
  std::string replaced;
  for (const auto& r : routes)
    if (same_route(r.route, route.route)) replaced = r.sha256;
  std::erase_if(routes, [&](const StoredRoute& r) { return same_route(r.route, route.route); });
  routes.push_back(route);
  WITSERVE_TRY(write_routes(routes));
  routes_ = std::move(routes);
  if (replaced != route.sha256) remove_unused_component(replaced);
  return ok();
}

Status Store::remove(const std::string& route) {
  std::lock_guard lock(mu_);
  std::vector<StoredRoute> routes = routes_;
  std::string sha;
  for (const auto& r : routes)
    if (same_route(r.route, route)) sha = r.sha256;
  std::erase_if(routes, [&](const StoredRoute& r) { return same_route(r.route, route); });
  WITSERVE_TRY(write_routes(routes));
  routes_ = std::move(routes);
  remove_unused_component(sha);
  return ok();
}

}  // namespace witserve::admin
