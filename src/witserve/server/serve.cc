// Server assembly and lifetime (see serve.h).
#include "witserve/server/serve.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "witserve/admin/admin_api.h"
#include "witserve/base/log.h"
#include "witserve/engine/engine.h"
#include "witserve/http/server.h"
#include "witserve/runtime/dispatcher.h"
#include "witserve/runtime/executor.h"
#include "witserve/runtime/file_watcher.h"
#include "witserve/runtime/routes.h"
#include "witserve/runtime/worker.h"

namespace witserve::server {
namespace fs = std::filesystem;

namespace {

// The admin token: the manifest's, else the environment variable it names, else a random one
// written to DATA/admin-token (readable by the owner only) so that the operator can read it.
Result<std::string> admin_token(const manifest::AdminConfig& admin, const fs::path& data_dir) {
  if (admin.token && !admin.token->empty()) return *admin.token;
  if (const char* env = std::getenv(admin.token_env.c_str()); env && *env) return std::string(env);
  std::random_device rd;
  std::string token;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) token += kHex[rd() & 15];
  fs::path file = data_dir / "admin-token";
  {
    // Readable by the owner only, from the moment it exists.
    ::unlink(file.c_str());
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    std::string line = token + "\n";
    bool written = fd >= 0 && ::write(fd, line.data(), line.size()) == ssize_t(line.size());
    if (fd >= 0) ::close(fd);
    if (!written) return Error(ErrorKind::kIo, "cannot write " + file.string());
  }
  spdlog::info("admin: no token configured (admin.token or ${}); generated one in {}", admin.token_env,
               file.string());
  return token;
}

http::ServerOptions listen_options(const manifest::ListenAddress& address, const char* name) {
  http::ServerOptions o;
  o.host = address.host;
  o.port = address.port;
  o.name = name;
  return o;
}

// Whether `host` (a listen address's) reaches this machine only.
bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1)
    return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  return false;
}

// After the first SIGINT/SIGTERM: a second one ends the process at once, without waiting for the
// requests in flight (exit status 128 + the signal's number, as a shell reports a signal).
class SecondSignal {
 public:
  explicit SecondSignal(const sigset_t& signals) : signals_(signals), thread_([this] { run(); }) {}
  ~SecondSignal() {
    done_ = true;
    thread_.join();
  }

 private:
  void run() {
    timespec tick{0, 50'000'000};
    while (!done_) {
      int sig = ::sigtimedwait(&signals_, nullptr, &tick);
      if (sig <= 0) continue;
      spdlog::warn("{} again: exiting now, without waiting for the requests in flight",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
      spdlog::default_logger()->flush();
      ::_exit(128 + sig);
    }
  }
  sigset_t signals_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

manifest::Manifest single_component_manifest(const fs::path& component) {
  manifest::Manifest m;
  m.file = fs::absolute(component);
  manifest::RouteConfig r;
  r.pattern = *manifest::RoutePattern::parse("/...");
  r.component = fs::absolute(component).lexically_normal();
  r.deadline = m.server.deadline;
  m.routes.push_back(std::move(r));
  m.admin.enabled = false;
  return m;
}

Status serve(ServeOptions options) {
  const manifest::Manifest& m = options.manifest;
  // Signals are waited for by this thread alone: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (m.admin.enabled && !is_loopback(m.admin.listen.host)) {
    if (!m.admin.allow_remote)
      return Error(ErrorKind::kInvalidArgument,
                   "admin: " + m.admin.listen.to_string() +
                       " is not a loopback address: the admin API would be reachable from other machines; "
                       "set admin.allow_remote = true in the manifest (or --admin-allow-remote) to allow it");
    spdlog::warn("admin: the admin API listens on {}, reachable from other machines (admin.allow_remote)",
                 m.admin.listen.to_string());
  }

  WITSERVE_ASSIGN_OR_RETURN(auto engine, engine::make_engine("v8"));
  auto cache = std::make_shared<runtime::ComponentCache>(engine);
  runtime::Routes routes(cache);
  WITSERVE_ASSIGN_OR_RETURN(auto key_value_stores, runtime::KeyValueStores::open(m));
  routes.set_key_value_stores(std::move(key_value_stores));
  // A route whose component does not load does not keep the others from serving: it answers 503
  // until its file loads (hot reload). Only with nothing at all to serve does the start fail.
  if (auto st = routes.set_manifest_routes(m.routes, /*keep_failed=*/true); !st.ok()) {
    bool any = false;
    for (const auto& r : routes.snapshot()->routes) any |= r.component != nullptr;
    if (!any && !m.admin.enabled) return st;
    for (const auto& r : routes.snapshot()->routes)
      if (!r.component)
        spdlog::error("ROUTE {} CANNOT BE SERVED (it answers 503 until its component loads): {}: {}",
                      r.pattern.text(), r.file.string(), r.load_error);
  }
  for (const auto& r : routes.snapshot()->routes)
    if (r.component) spdlog::info("route {} -> {} ({} bytes)", r.pattern.text(), r.file.string(), r.component->size);

  std::optional<admin::Store> store;
  std::string token;
  if (m.admin.enabled) {
    WITSERVE_ASSIGN_OR_RETURN(auto s, admin::Store::open(m.server.data_dir));
    store.emplace(std::move(s));
    admin::restore(routes, *store, m.server.deadline);
    WITSERVE_ASSIGN_OR_RETURN(token, admin_token(m.admin, store->dir()));
  }
  // Registered components load in the background; a small registry is loaded before the server
  // listens (as if it were loaded in line), a large one serves first and finishes while serving.
  std::jthread restoring = admin::load_restored(routes);
  for (auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
       routes.any_pending() && std::chrono::steady_clock::now() < until;)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));

  runtime::Watchdog watchdog;
  http::ServerOptions http_options = listen_options(m.server.listen, "http");
  http_options.threads = unsigned(m.server.threads);
  http_options.max_body = m.server.max_body;
  runtime::WorkerOptions worker_options{options.native_hello_path};
  worker_options.recycle_instances = options.recycle_instances;
  worker_options.kept_instances = size_t(m.server.kept_instances);
  worker_options.idle_timeout = m.server.instance_idle_timeout;
  // Handlers that may wait or run long run on execution threads, each with its own Store; the
  // I/O threads run the others inline (runtime/dispatcher.h).
  runtime::ExecutorOptions pool_options;
  pool_options.min_threads = http_options.threads ? http_options.threads : std::max(1u, std::thread::hardware_concurrency());
  pool_options.max_threads = unsigned(m.server.max_executors);
  pool_options.max_queue = size_t(m.server.max_queue);
  runtime::WorkerOptions pool_worker_options = worker_options;
  pool_worker_options.native_hello_path.clear();  // answered by the I/O threads
  WITSERVE_ASSIGN_OR_RETURN(auto pool, runtime::Executor::start(pool_options, [&]() {
                              return runtime::Worker::create(*engine, routes, watchdog, pool_worker_options);
                            }));
  auto http_started = http::Server::start(http_options, [&](unsigned) -> Result<http::Handler> {
    WITSERVE_ASSIGN_OR_RETURN(auto worker, runtime::Worker::create(*engine, routes, watchdog, worker_options));
    auto d = std::make_shared<runtime::Dispatcher>(std::move(worker), *pool, routes, options.native_hello_path);
    return http::Handler(
        [d](http::Request&& req, http::Responder responder) { d->handle(std::move(req), std::move(responder)); });
  });
  if (!http_started.ok()) return std::move(http_started).error();
  auto http_server = std::move(*http_started);
  // The pool stops before the HTTP server goes: a Responder left on an execution thread posts to
  // its connection's event loop, which must still exist.
  struct StopPool {
    http::Server& server;
    runtime::Executor& pool;
    ~StopPool() {
      server.stop(std::chrono::milliseconds(0));
      pool.stop();
    }
  } stop_pool{*http_server, *pool};

  std::unique_ptr<http::Server> admin_server;
  if (m.admin.enabled) {
    http::ServerOptions admin_options = listen_options(m.admin.listen, "admin");
    admin_options.threads = 1;
    admin_options.max_body = m.admin.max_component;
    admin_options.on_head = admin::make_admin_head_check(token);  // no body is read for a wrong token
    admin::AdminOptions api{token, m.server.deadline};
    auto started = http::Server::start(admin_options, [&](unsigned) -> Result<http::Handler> {
      return http::inline_handler(admin::make_admin_handler(routes, *store, api));
    });
    if (!started.ok()) return std::move(started).error();
    admin_server = std::move(*started);
  }

  std::unique_ptr<runtime::FileWatcher> watcher;
  if (options.watch && !routes.files().empty()) {
    auto w = runtime::FileWatcher::start(routes.files(), [&routes](const fs::path& file) {
      if (auto st = routes.reload_file(file); !st.ok()) spdlog::error("reload of {}: {}", file.string(), st.error().message());
    });
    if (w.ok()) watcher = std::move(*w);
    else spdlog::warn("hot reload is off: {}", w.error().message());
  }

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("{}: shutting down (finishing requests in flight)", sig == SIGINT ? "SIGINT" : "SIGTERM");
  SecondSignal second(signals);
  watcher.reset();
  if (admin_server) admin_server->stop();
  http_server->stop(m.server.shutdown_grace, [&watchdog, &m] {
    spdlog::warn("handlers still running {} ms after the signal (server.shutdown_grace): stopping them",
                 m.server.shutdown_grace.count());
    watchdog.expire_all();
  });
  watchdog.expire_all();  // whatever still runs on an execution thread (its connection is gone)
  pool->stop();
  spdlog::info("stopped");
  return ok();
}

}  // namespace witserve::server
