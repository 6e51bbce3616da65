// The admin registrations' data directory (see store.h).
#include "witserve/admin/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

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
  return Store(fs::absolute(dir).lexically_normal());
}

fs::path Store::component_path(const std::string& sha256) const { return dir_ / "components" / (sha256 + ".wasm"); }

Result<std::vector<StoredRoute>> Store::load() const {
  std::lock_guard lock(mu_);
  return load_locked();
}

Result<std::vector<StoredRoute>> Store::load_locked() const {
  std::vector<StoredRoute> routes;
  fs::path file = dir_ / "routes.json";
  if (!fs::exists(file)) return routes;
  std::ifstream in(file);
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_array()) return Error(ErrorKind::kMalformed, file.string() + " is not a JSON array");
  for (const auto& r : json) {
    if (!r.is_object() || !r.contains("route") || !r["route"].is_string() || !r.contains("sha256") ||
        !r["sha256"].is_string())
      return Error(ErrorKind::kMalformed, file.string() + ": an entry lacks route or sha256");
    StoredRoute s;
    s.route = r["route"].get<std::string>();
    s.sha256 = r["sha256"].get<std::string>();
    if (r.contains("deadline_ms") && r["deadline_ms"].is_number_unsigned())
      s.deadline = std::chrono::milliseconds(r["deadline_ms"].get<uint64_t>());
    if (r.contains("env") && r["env"].is_object())
      for (const auto& [k, v] : r["env"].items())
        if (v.is_string()) s.env[k] = v.get<std::string>();
    if (r.contains("allowed_outbound_hosts") && r["allowed_outbound_hosts"].is_array())
      for (const auto& h : r["allowed_outbound_hosts"])
        if (h.is_string()) s.allowed_outbound_hosts.push_back(h.get<std::string>());
    routes.push_back(std::move(s));
  }
  return routes;
}

Status Store::write_routes(const std::vector<StoredRoute>& routes) {
  nlohmann::json json = nlohmann::json::array();
  for (const auto& r : routes)
    json.push_back({{"route", r.route},
                    {"sha256", r.sha256},
                    {"deadline_ms", r.deadline.count()},
                    {"env", r.env},
                    {"allowed_outbound_hosts", r.allowed_outbound_hosts}});
  std::string text = json.dump(2) + "\n";
  return write_file_atomic(dir_ / "routes.json", {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

Status Store::put(const StoredRoute& route, std::span<const uint8_t> bytes) {
  std::lock_guard lock(mu_);
  WITSERVE_ASSIGN_OR_RETURN(auto routes, load_locked());
  fs::path component = component_path(route.sha256);
  if (!fs::exists(component)) WITSERVE_TRY(write_file_atomic(component, bytes));
  std::erase_if(routes, [&](const StoredRoute& r) { return same_route(r.route, route.route); });
  routes.push_back(route);
  return write_routes(routes);
}

Status Store::remove(const std::string& route) {
  std::lock_guard lock(mu_);
  WITSERVE_ASSIGN_OR_RETURN(auto routes, load_locked());
  std::string sha;
  for (const auto& r : routes)
    if (same_route(r.route, route)) sha = r.sha256;
  std::erase_if(routes, [&](const StoredRoute& r) { return same_route(r.route, route); });
  WITSERVE_TRY(write_routes(routes));
  bool used = std::any_of(routes.begin(), routes.end(), [&](const StoredRoute& r) { return r.sha256 == sha; });
  if (!sha.empty() && !used) {
    std::error_code ec;
    fs::remove(component_path(sha), ec);  // best effort: an orphan file is harmless
  }
  return ok();
}

}  // namespace witserve::admin
