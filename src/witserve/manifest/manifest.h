// The manifest (witserve.toml): what the server listens on, its limits, the admin API, and the
// routes with their components. Parsing validates everything and reports every problem at once
// as "FILE:LINE:COL: message" lines; the result is a plain, resolved value (defaults filled in,
// paths absolute). The format is documented in docs/manifest.md. Plain values and pure
// functions (load_manifest reads the file): any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/manifest/router.h"

namespace witserve::manifest {

// "host:port", or "[v6-address]:port". The host is kept without brackets.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;

  std::string to_string() const;  // "127.0.0.1:9090", "[::1]:9090"
  bool operator==(const ListenAddress&) const = default;
};

// Port 1..65535; the host is a name or IPv4 address ([A-Za-z0-9.-]), or an IPv6 address in
// brackets. Errors are kInvalidArgument.
Result<ListenAddress> parse_listen_address(std::string_view text);

// A positive size: "1024", "512B", "10KiB", "64MiB", "1GiB" (powers of 1024) or "1KB", "1MB",
// "1GB" (powers of 1000); an optional space may separate number and unit.
Result<uint64_t> parse_size(std::string_view text);

// A positive duration: "250ms", "30s", "2m", "1h", or a bare number of milliseconds.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr std::chrono::milliseconds kMaxDeadline = std::chrono::hours(1);
inline constexpr int kMaxThreads = 1024;

struct ServerConfig {
  ListenAddress listen{"127.0.0.1", 9090};
  int threads = 0;  // 0: one per core
  uint64_t max_body = 10 * kMiB;
  std::chrono::milliseconds deadline = std::chrono::seconds(30);  // routes without their own
  std::filesystem::path data_dir;  // absolute; default: ".witserve" next to the manifest
};

struct AdminConfig {
  bool enabled = true;
  ListenAddress listen{"127.0.0.1", 9091};
  // The token from the manifest, if it has one; otherwise the admin layer reads the environment
  // variable named by token_env when it starts (this layer does not look at the environment).
  std::optional<std::string> token;
  std::string token_env = "WITSERVE_ADMIN_TOKEN";
  uint64_t max_component = 64 * kMiB;  // size limit of an uploaded component
};

struct RouteConfig {
  RoutePattern pattern;
  std::filesystem::path component;  // absolute, lexically normal; not checked to exist
  std::chrono::milliseconds deadline;
  std::map<std::string, std::string> config;
  // instance = "reuse": one instance per worker thread serves request after request (faster; the
  // handler sees state left by earlier requests). Default "fresh": a new instance per request.
  bool reuse_instance = false;
  int line = 0;  // of the route's [[route]] header, for messages
};

struct Manifest {
  std::filesystem::path file;  // absolute, lexically normal ("" for an unnamed text)
  ServerConfig server;
  AdminConfig admin;
  std::vector<RouteConfig> routes;  // in manifest order; a route's id is its index
};

// Parses and validates manifest text. `file` names it in messages and its directory is where
// relative paths start (the current directory if `file` is relative). A TOML syntax error is
// kMalformed with its position; every validation problem found is reported in one
// kInvalidArgument error, one "FILE:LINE:COL: message" line each, in file order.
Result<Manifest> parse_manifest(std::string_view text, const std::filesystem::path& file);

// Reads `file` (kNotFound / kIo if it cannot) and parses it.
Result<Manifest> load_manifest(const std::filesystem::path& file);

// The router over the manifest's routes; a match's route id indexes manifest.routes.
Result<Router> build_router(const Manifest& manifest);

}  // namespace witserve::manifest
