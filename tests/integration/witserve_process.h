// Integration-test support: runs the real witserve binary as a subprocess (fork/exec, stdout and
// stderr captured to files), finds its ports in the log, stops it with a signal and reports the exit
// status; an HTTP/1.1 client on Boost.Beast (synchronous, keep-alive) and raw sockets for bytes no
// well-behaved client would send; temporary directories; and a GoogleTest fixture that gives each
// test a fresh directory for its manifest, components and data directory.
// Threads: a ServerProcess and an HttpClient belong to one thread at a time; log() may be read from
// any thread.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <openssl/evp.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace witserve::itest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Headers = std::vector<std::pair<std::string, std::string>>;

// ---------------------------------------------------------------------------------------------
// Paths given by the build (tests/CMakeLists.txt).

inline fs::path witserve_binary() { return WITSERVE_BINARY; }
inline fs::path test_handlers_dir() { return WITSERVE_TEST_HANDLERS_DIR; }
inline fs::path source_dir() { return WITSERVE_SOURCE_DIR; }
inline fs::path test_handler(std::string_view name) { return test_handlers_dir() / name; }

// ---------------------------------------------------------------------------------------------
// Files.

inline std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes `data` to `file` in place (O_TRUNC, like cp), in chunks of `chunk` bytes.
inline void write_file(const fs::path& file, std::string_view data, size_t chunk = 1 << 20) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, std::min(chunk, data.size() - done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + file.string());
    }
    done += size_t(n);
  }
  ::close(fd);
}

// Replaces `file` the way compilers and editors do: a temporary file in the same directory,
// renamed over it.
inline void replace_file_by_rename(const fs::path& file, std::string_view data) {
  fs::path tmp = file;
  tmp += ".tmp-" + std::to_string(::getpid());
  write_file(tmp, data);
  fs::rename(tmp, file);
}

inline std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("EVP_Digest failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// A deterministic body of `n` bytes that is not one repeated pattern.
inline std::string varied_bytes(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : s) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    c = char(x);
  }
  return s;
}

inline size_t count_of(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string_view::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/witserve-itest-XXXXXX";
    if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(std::string_view name) const { return path_ / name; }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------------------------------------
// The server process.

// A wait status, readable in test output.
inline std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}
inline bool exited_with(int status, int code) { return WIFEXITED(status) && WEXITSTATUS(status) == code; }

class ServerProcess {
 public:
  struct Options {
    std::vector<std::string> args;  // after the binary's path
    fs::path cwd;                   // empty: the test's
    // Environment changes: a value sets the variable, nullopt removes it. WITSERVE_ADMIN_TOKEN
    // is always removed first, so the test's own environment cannot leak a token in.
    std::vector<std::pair<std::string, std::optional<std::string>>> env;
    fs::path output_dir;  // where stdout.log and stderr.log go
    std::string name = "witserve";  // prefix of the log files (several servers may share a dir)
    rlim_t max_open_files = 0;      // RLIMIT_NOFILE for the server; 0: inherited
  };

  explicit ServerProcess(Options options) : options_(std::move(options)) {
    stdout_file_ = options_.output_dir / (options_.name + ".stdout.log");
    stderr_file_ = options_.output_dir / (options_.name + ".stderr.log");
    // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
    std::vector<std::string> argv_strings{witserve_binary().string()};
    argv_strings.insert(argv_strings.end(), options_.args.begin(), options_.args.end());
    std::vector<std::string> env_strings;
    auto removed = [&](std::string_view entry) {
      std::string_view key = entry.substr(0, entry.find('='));
      if (key == "WITSERVE_ADMIN_TOKEN") return true;
      for (const auto& [k, v] : options_.env)
        if (k == key) return true;
      return false;
    };
    for (char** e = environ; *e; ++e)
      if (!removed(*e)) env_strings.emplace_back(*e);
    for (const auto& [k, v] : options_.env)
      if (v) env_strings.push_back(k + "=" + *v);
    std::vector<char*> argv, envp;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string cwd = options_.cwd.string(), out = stdout_file_.string(), err = stderr_file_.string();
    rlim_t max_open_files = options_.max_open_files;

    started_ = Clock::now();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
    if (pid_ == 0) {
      if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(126);
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      ::close_range(3, ~0U, 0);  // no test sockets or files leak into the server
      // The test may run with signals blocked or ignored in some thread; the server must not.
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGTERM, SIG_DFL);
      ::signal(SIGINT, SIG_DFL);
      ::signal(SIGPIPE, SIG_DFL);
      if (max_open_files) {
        rlimit lim{max_open_files, max_open_files};
        if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) ::_exit(126);
      }
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }

  ~ServerProcess() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  uint16_t admin_port() const { return admin_port_; }
  std::string log() const { return slurp(stdout_file_); }
  std::string err() const { return slurp(stderr_file_); }
  std::string describe() const {
    return "--- " + options_.name + " stdout ---\n" + log() + "--- " + options_.name + " stderr ---\n" + err();
  }

  // Waits until the HTTP listener (and, if `admin`, the admin listener) logged its port.
  ::testing::AssertionResult wait_ready(bool admin, std::chrono::milliseconds timeout = 15s) {
    static const std::regex http_re(R"(\] http: listening on http://[^ ]+:(\d+) with (\d+) thread)");
    static const std::regex admin_re(R"(\] admin: listening on http://[^ ]+:(\d+) with 1 thread)");
    auto deadline = Clock::now() + timeout;
    for (;;) {
      std::string text = log();
      std::smatch m;
      if (!port_ && std::regex_search(text, m, http_re)) port_ = uint16_t(std::stoi(m[1]));
      if (admin && !admin_port_ && std::regex_search(text, m, admin_re)) admin_port_ = uint16_t(std::stoi(m[1]));
      if (port_ && (!admin || admin_port_)) {
        ready_after_ = Clock::now() - started_;
        return ::testing::AssertionSuccess();
      }
      if (auto st = poll_exit())
        return ::testing::AssertionFailure() << "witserve ended before it was ready (" << describe_status(*st) << ")\n"
                                             << describe();
      if (Clock::now() > deadline)
        return ::testing::AssertionFailure() << "witserve not ready after " << timeout.count() << " ms\n" << describe();
      std::this_thread::sleep_for(5ms);
    }
  }
  Clock::duration ready_after() const { return ready_after_; }

  // Polls the log until it holds `needle` (true) or `timeout` passes (false).
  bool wait_for_log(std::string_view needle, std::chrono::milliseconds timeout = 5s) const {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      if (contains(log(), needle)) return true;
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
  }

  // Polls the log until `needle` occurs at least `n` times.
  bool wait_for_log_count(std::string_view needle, size_t n, std::chrono::milliseconds timeout = 5s) const {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      if (count_of(log(), needle) >= n) return true;
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
  }

  void signal(int sig) {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
  }

  // The wait status if the process has ended (reaping it), else nullopt.
  std::optional<int> poll_exit() {
    if (status_) return status_;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) status_ = status;
    return status_;
  }

  // Waits up to `timeout` for the process to end; its wait status, or nullopt if still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 15s) {
    auto deadline = Clock::now() + timeout;
    while (!poll_exit()) {
      if (Clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(2ms);
    }
    return status_;
  }

  // SIGTERM, then waits; the wait status or nullopt (then the destructor kills it).
  std::optional<int> stop(std::chrono::milliseconds timeout = 15s) {
    signal(SIGTERM);
    return wait_exit(timeout);
  }

  bool running() { return !poll_exit(); }

 private:
  static std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  Options options_;
  fs::path stdout_file_, stderr_file_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  uint16_t port_ = 0, admin_port_ = 0;
  Clock::time_point started_;
  Clock::duration ready_after_{};
};

// ---------------------------------------------------------------------------------------------
// HTTP over Boost.Beast: one connection, reused while the server keeps it alive.

struct HttpResponse {
  unsigned status = 0;
  Headers headers;  // in the order received
  std::string body;
  bool keep_alive = false;

  // The first header of that name (case-insensitive), or nullopt.
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [n, v] : headers)
      if (boost::beast::iequals(n, name)) return v;
    return std::nullopt;
  }
  size_t header_count(std::string_view name) const {
    size_t n = 0;
    for (const auto& h : headers) n += boost::beast::iequals(h.first, name);
    return n;
  }
};

inline std::ostream& operator<<(std::ostream& os, const HttpResponse& r) {
  os << "HTTP " << r.status << "\n";
  for (const auto& [n, v] : r.headers) os << n << ": " << v << "\n";
  return os << "\n" << (r.body.size() > 400 ? r.body.substr(0, 400) + "..." : r.body);
}

class HttpClient {
 public:
  explicit HttpClient(uint16_t port, std::chrono::milliseconds timeout = 10s) : port_(port), timeout_(timeout) {}

  // Sends one request on the open connection (connecting first if there is none) and reads the
  // response. Headers are sent exactly as given, after Host (unless `headers` has its own Host);
  // Content-Length comes last, for a non-empty body or a POST, PUT or PATCH. Throws on any network
  // or protocol error; never retries.
  HttpResponse request(std::string_view method, std::string_view target, std::string_view body = {},
                       const Headers& headers = {}) {
    namespace http = boost::beast::http;
    if (!stream_) connect();
    http::request<http::string_body> req;
    auto verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) req.method_string(method);
    else req.method(verb);
    req.target(target);
    req.version(11);
    bool own_host = false;
    for (const auto& h : headers) own_host |= boost::beast::iequals(h.first, "host");
    if (!own_host) req.set(http::field::host, host());
    for (const auto& [n, v] : headers) req.insert(n, v);
    req.body() = std::string(body);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.content_length(body.size());
    stream_->expires_after(timeout_);
    http::write(*stream_, req);

    http::response_parser<http::string_body> parser;
    parser.body_limit(256 << 20);
    parser.skip(method == "HEAD");  // a response to HEAD has no body, whatever it announces
    http::read(*stream_, buffer_, parser);
    const auto& msg = parser.get();
    HttpResponse out;
    out.status = msg.result_int();
    for (const auto& f : msg) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = msg.body();
    out.keep_alive = msg.keep_alive();
    if (!out.keep_alive) close();
    return out;
  }
  HttpResponse get(std::string_view target, const Headers& headers = {}) { return request("GET", target, {}, headers); }

  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  int connects() const { return connects_; }
  bool connected() const { return stream_.has_value(); }
  void close() {
    if (!stream_) return;
    boost::beast::error_code ignored;
    stream_->socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_->socket().close(ignored);
    stream_.reset();
    buffer_.clear();
  }

 private:
  void connect() {
    stream_.emplace(ioc_);
    stream_->expires_after(timeout_);
    stream_->connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
    stream_->socket().set_option(boost::asio::ip::tcp::no_delay(true));
    ++connects_;
  }

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
  int connects_ = 0;
};

// One request on a fresh connection.
inline HttpResponse http_request(uint16_t port, std::string_view method, std::string_view target,
                                 std::string_view body = {}, const Headers& headers = {}) {
  HttpClient c(port);
  return c.request(method, target, body, headers);
}
inline HttpResponse http_get(uint16_t port, std::string_view target, const Headers& headers = {}) {
  return http_request(port, "GET", target, {}, headers);
}

// ---------------------------------------------------------------------------------------------
// Raw TCP, for malformed HTTP and for watching exactly what the server sends.

class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect to port " + std::to_string(port) + " failed: " + std::strerror(errno));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Sends everything; false if the peer has closed (EPIPE/ECONNRESET).
  bool send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(size_t(n));
    }
    return true;
  }

  // Reads until `received` contains `needle` (if not empty), the peer closes, or `timeout`
  // passes. Returns everything received so far on this connection.
  const std::string& read_until(std::string_view needle, std::chrono::milliseconds timeout = 5s) {
    auto deadline = Clock::now() + timeout;
    while (!eof_ && (needle.empty() || !contains(received_, needle))) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, int(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;  // closed or reset
        break;
      }
      received_.append(buf, size_t(n));
    }
    return received_;
  }
  // Reads until the peer closes the connection (or `timeout`).
  const std::string& read_to_eof(std::chrono::milliseconds timeout = 5s) { return read_until({}, timeout); }
  bool eof() const { return eof_; }
  const std::string& received() const { return received_; }

 private:
  int fd_ = -1;
  std::string received_;
  bool eof_ = false;
};

// A loopback port that was free a moment ago (bound to port 0, then closed).
inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

// ---------------------------------------------------------------------------------------------
// The fixture: a fresh directory per test, servers started in it, each stopped with SIGTERM at
// the end of the test and required to exit 0 (so every test checks graceful shutdown too).

constexpr std::string_view kAdminToken = "integration-test-token";

class WitserveTest : public ::testing::Test {
 protected:
  const fs::path& dir() const { return dir_.path(); }
  fs::path data_dir() const { return dir_.path() / "data"; }

  // Copies a test handler into the test's directory (as `as`, default its own name).
  fs::path copy_handler(std::string_view name, std::string_view as = {}) {
    fs::path to = dir() / (as.empty() ? name : as);
    fs::copy_file(test_handler(name), to, fs::copy_options::overwrite_existing);
    return to;
  }

  fs::path write_manifest(std::string_view text, std::string_view name = "witserve.toml") {
    fs::path file = dir() / name;
    write_file(file, text);
    return file;
  }

  // Starts a process (not waiting for it to be ready).
  ServerProcess& spawn(std::vector<std::string> args, fs::path cwd = {},
                       std::vector<std::pair<std::string, std::optional<std::string>>> env = {},
                       rlim_t max_open_files = 0) {
    ServerProcess::Options o;
    o.max_open_files = max_open_files;
    o.args = std::move(args);
    o.cwd = std::move(cwd);
    o.env = std::move(env);
    o.output_dir = dir();
    o.name = "witserve-" + std::to_string(servers_.size() + 1);
    servers_.push_back(std::make_unique<ServerProcess>(std::move(o)));
    return *servers_.back();
  }

  // `witserve serve MANIFEST` on free loopback ports, two threads, data in data_dir(); waits
  // until it listens. Null (and a test failure with the logs) if it does not start.
  ServerProcess* serve(const fs::path& manifest, std::vector<std::string> extra = {}, bool admin = true,
                       std::vector<std::pair<std::string, std::optional<std::string>>> env = {}) {
    std::vector<std::string> args{"serve", manifest.string(), "--listen", "127.0.0.1:0", "--threads", "2",
                                  "--data-dir", data_dir().string()};
    if (admin) args.insert(args.end(), {"--admin-listen", "127.0.0.1:0"});
    args.insert(args.end(), extra.begin(), extra.end());
    ServerProcess& s = spawn(std::move(args), {}, std::move(env));
    auto ready = s.wait_ready(admin);
    if (!ready) {
      ADD_FAILURE() << ready.message();
      return nullptr;
    }
    return &s;
  }
  ServerProcess* serve_text(std::string_view manifest_text, std::vector<std::string> extra = {}, bool admin = true) {
    return serve(write_manifest(manifest_text), std::move(extra), admin);
  }

  // SIGTERM to a server, which must exit 0 within `timeout`.
  void stop_cleanly(ServerProcess& s, std::chrono::milliseconds timeout = 15s) {
    auto st = s.stop(timeout);
    ASSERT_TRUE(st.has_value()) << "witserve still running " << timeout.count() << " ms after SIGTERM\n"
                                << s.describe();
    EXPECT_TRUE(exited_with(*st, 0)) << "after SIGTERM: " << describe_status(*st) << "\n" << s.describe();
  }

  void TearDown() override {
    for (auto& s : servers_)
      if (s->running()) stop_cleanly(*s);
    if (HasFailure())
      for (auto& s : servers_) std::cerr << s->describe();
  }

  TempDir dir_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

// An [admin] table with the test token.
inline std::string admin_table(std::string_view extra = {}) {
  return "[admin]\ntoken = \"" + std::string(kAdminToken) + "\"\n" + std::string(extra) + "\n";
}
inline Headers bearer(std::string_view token = kAdminToken) {
  return {{"Authorization", "Bearer " + std::string(token)}};
}

}  // namespace witserve::itest
