// The manifest (witserve.toml): what the server listens on, its limits, the admin API, and the
// routes with their components and what each component may reach through WASI (environment
// variables, preopened directories, outgoing HTTP: nothing unless its route grants it). Parsing
// validates everything and reports every problem at once as "FILE:LINE:COL: message" lines; the
// result is a plain, resolved value (defaults filled in, paths absolute). The format is
// documented in docs/manifest.md. Plain values and pure functions (load_manifest reads the
// file): any thread.
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

// A directory preopened for a route's component (wasi:filesystem/preopens).
struct DirGrant {
  std::filesystem::path host;  // absolute, lexically normal; not checked to exist
  std::string guest;           // where the component sees it: absolute, normalized ("/static")
  bool writable = false;       // false: read-only

  bool operator==(const DirGrant&) const = default;
};

// One entry of a route's allowed_outbound_hosts, "SCHEME://HOST[:PORT]" as in Fermyon Spin: a
// destination the component may reach through wasi:http/outgoing-handler.
struct OutboundHost {
  std::string scheme;  // "http", "https", or "*" for both
  // Lower-case: a DNS name, an IPv4 address, an IPv6 address without brackets (as inet_ntop
  // writes it), "*" for any host, or "*.SUFFIX" for any subdomain of SUFFIX (not SUFFIX itself).
  std::string host;
  // The port written, if any. With neither port nor any_port: the default port of the scheme the
  // request uses (http 80, https 443).
  std::optional<uint16_t> port;
  bool any_port = false;  // ":*"

  bool operator==(const OutboundHost&) const = default;
};

// "https://api.example.com", "http://127.0.0.1:8080", "http://*.example.com", "*://[::1]:*".
// The scheme is "http", "https" or "*"; the host a DNS name, an IPv4 address, an IPv6 address in
// brackets, "*" or "*.SUFFIX"; the port 1..65535 or "*". No path, query, fragment or userinfo
// (a single trailing '/' is ignored). Scheme and host are lower-cased. Errors are
// kInvalidArgument.
Result<OutboundHost> parse_outbound_host(std::string_view text);

// True if a request to scheme://host:port is allowed by one of `rules`. `scheme` is "http" or
// "https" (any other: false), `host` as in the URL without brackets (compared case-insensitively;
// IPv6 addresses as addresses), `port` explicit or the scheme's default.
bool outbound_allowed(const std::vector<OutboundHost>& rules, std::string_view scheme,
                      std::string_view host, uint16_t port);

// "http://*.example.com", "https://[::1]:8443", "*://localhost:*": parses back to the same value.
std::string to_string(const OutboundHost& rule);

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr std::chrono::milliseconds kMaxDeadline = std::chrono::hours(1);
inline constexpr int kMaxThreads = 1024;
inline constexpr int kMaxExecutors = 4096;
inline constexpr int kMaxQueue = 1'000'000;

struct ServerConfig {
  ListenAddress listen{"127.0.0.1", 9090};
  int threads = 0;  // 0: one per core
  uint64_t max_body = 10 * kMiB;
  std::chrono::milliseconds deadline = std::chrono::seconds(30);  // routes without their own
  std::filesystem::path data_dir;  // absolute; default: ".witserve" next to the manifest
  // On SIGINT/SIGTERM, how long requests in flight may take before they are stopped.
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(10);
  // The execution pool (runtime/executor.h): at most this many execution threads, and at most
  // max_queue requests waiting for one; past that, requests are answered 503 with Retry-After.
  int max_executors = 256;
  int max_queue = 1024;
  // Instances each worker keeps between requests (recycled fresh ones and reused ones), least
  // recently used dropped first, and how long one may sit unused before it is dropped.
  int kept_instances = 64;
  std::chrono::milliseconds instance_idle_timeout = std::chrono::minutes(5);
};
inline constexpr int kMaxKeptInstances = 100000;

struct AdminConfig {
  bool enabled = true;
  ListenAddress listen{"127.0.0.1", 9091};
  // The token from the manifest, if it has one; otherwise the admin layer reads the environment
  // variable named by token_env when it starts (this layer does not look at the environment).
  std::optional<std::string> token;
  std::string token_env = "WITSERVE_ADMIN_TOKEN";
  uint64_t max_component = 64 * kMiB;  // size limit of an uploaded component
  // The admin API listens on a loopback address unless this is set (the server refuses to
  // start otherwise).
  bool allow_remote = false;
};

// A key-value store handlers may be granted by label ([key_value_store.LABEL]). The label
// "default" exists without being declared: SQLite in DATA/key-value/default.sqlite.
struct KeyValueStoreConfig {
  enum class Type { kSqlite, kRedis } type = Type::kSqlite;
  std::filesystem::path path;  // sqlite: absolute; empty: DATA/key-value/LABEL.sqlite
  std::string url;             // redis: "redis://host:port[/db]", or
  std::string url_env;         // redis: the server's environment variable holding the url
  uint64_t max_key = 256;      // bytes
  uint64_t max_value = kMiB;   // bytes
  int line = 0;                // of its table; 0 for the implicit "default"
};

struct RouteConfig {
  RoutePattern pattern;
  std::filesystem::path component;  // absolute, lexically normal; not checked to exist
  std::chrono::milliseconds deadline;
  // Strings the handler reads (witserve:handler/host, wasi:config/store, Spin variables).
  std::map<std::string, std::string> config;
  // Values read from the server's environment when the route is loaded (`{ env = "NAME" }`):
  // config key -> environment variable name. This layer does not look at the environment.
  std::map<std::string, std::string> config_env;
  // Labels of the key-value stores the handler may open; each names a store of the manifest.
  std::vector<std::string> key_value_stores;
  // instance = "reuse": one instance per worker thread serves request after request (faster; the
  // handler sees state left by earlier requests). Default "fresh": a new instance per request.
  bool reuse_instance = false;
  // execution = "auto" (default) | "inline" | "pool": where requests run (runtime/route_load.h).
  enum Execution { kAuto, kInline, kPool } execution = kAuto;
  // max_concurrency = N: at most N requests of this route in flight; more are answered 503 with
  // Retry-After. 0 (default): no limit of its own.
  int max_concurrency = 0;
  // What the component may reach through WASI: nothing but what is granted here. This layer
  // checks the grants' form; the runtime enforces them.
  std::map<std::string, std::string> env;  // its whole environment (wasi:cli/environment)
  std::vector<DirGrant> dirs;  // preopened directories, in manifest order; guest paths unique
  std::vector<OutboundHost> allowed_outbound_hosts;  // empty: no outgoing HTTP at all
  int line = 0;  // of the route's [[route]] header, for messages
};

struct Manifest {
  std::filesystem::path file;  // absolute, lexically normal ("" for an unnamed text)
  ServerConfig server;
  AdminConfig admin;
  std::vector<RouteConfig> routes;  // in manifest order; a route's id is its index
  std::map<std::string, KeyValueStoreConfig> key_value_stores;  // by label; always has "default"
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
