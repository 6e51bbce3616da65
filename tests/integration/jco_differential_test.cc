// Differential test against jco's reference host: the JavaScript wasi:http test component
// (tests/handlers/wasi-http-test, componentize-js) served by `jco serve` (tools/guest/jco, Node and
// @bytecodealliance/preview2-shim) and by witserve, the same requests sent to both, and the
// responses compared: status, body, and the headers the component itself sets. Where the hosts
// legitimately differ the difference is checked exactly as documented below, so that a change on
// either side shows up here instead of being skipped.
//
// One TEST for everything: CTest runs every test in a process of its own (gtest_discover_tests),
// so a suite-wide SetUpTestSuite would still start jco once per test, and jco needs 4-15 s to
// transpile the ~12 MB component and compile it in Node. jco starts first and compiles while
// witserve and the upstream start.
#include <sys/prctl.h>
#include <sys/types.h>

#include <array>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

// `tools/guest/jco serve COMPONENT --port P --host 127.0.0.1` as a child process. ServerProcess
// cannot be used: it always runs the witserve binary and waits for witserve's log lines. jco serve
// runs the server in a second Node process (its `_run.js`), so the child gets a process group of
// its own and is stopped as a group. Should the test process die first (a crash, CTest's timeout),
// the jco process gets SIGTERM (PR_SET_PDEATHSIG) and the Node server, started with
// JCO_RUN_ARGS (node options jco passes to it), exits once its parent is gone. The transpiled
// output goes to `work_dir` (--jco-dir), which the test's TempDir removes: a killed jco never gets
// to delete its own temporary directory.
class JcoServe {
 public:
  JcoServe(const fs::path& component, uint16_t port, const fs::path& work_dir,
           std::vector<std::pair<std::string, std::string>> env_add)
      : port_(port) {
    stdout_file_ = work_dir / "jco.stdout.log";
    stderr_file_ = work_dir / "jco.stderr.log";
    std::vector<std::string> argv_strings{(source_dir() / "tools/guest/jco").string(), "serve", component.string(),
                                          "--port", std::to_string(port), "--host", "127.0.0.1", "--jco-dir",
                                          (work_dir / "jco-out").string()};
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      std::string_view entry(*e);
      std::string_view key = entry.substr(0, entry.find('='));
      bool replaced = key == "JCO_RUN_ARGS";
      for (const auto& [k, v] : env_add) replaced |= k == key;
      if (!replaced) env_strings.emplace_back(entry);
    }
    for (const auto& [k, v] : env_add) env_strings.push_back(k + "=" + v);
    // JCO_RUN_ARGS is split at spaces, hence none in the script.
    env_strings.push_back(
        "JCO_RUN_ARGS=--import=data:text/javascript,globalThis.__parent=process.ppid;"
        "setInterval(()=>process.ppid!==globalThis.__parent&&process.exit(1),500).unref()");
    std::vector<char*> argv, envp;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string out = stdout_file_.string(), err = stderr_file_.string();

    started_ = Clock::now();
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(125);  // the test died before prctl
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(126);
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
      ::close_range(3, ~0U, 0);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::signal(SIGTERM, SIG_DFL);
      ::signal(SIGPIPE, SIG_DFL);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);  // also from the parent, so that stop() cannot race the child's own call
  }
  ~JcoServe() { stop(); }
  JcoServe(const JcoServe&) = delete;
  JcoServe& operator=(const JcoServe&) = delete;

  uint16_t port() const { return port_; }
  std::string out() const { return slurp(stdout_file_); }
  std::string err() const { return slurp(stderr_file_); }
  std::string describe() const { return "--- jco serve stdout ---\n" + out() + "--- jco serve stderr ---\n" + err(); }

  // Waits until the port accepts connections, at most `timeout` after the start (jco prints
  // "Server listening @ HOST:PORT..." just before, but the port itself is what matters).
  ::testing::AssertionResult wait_ready(std::chrono::milliseconds timeout) {
    auto deadline = started_ + timeout;
    for (;;) {
      if (accepts()) {
        ready_after_ = Clock::now() - started_;
        return ::testing::AssertionSuccess();
      }
      int status = 0;
      if (!exited_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return ::testing::AssertionFailure() << "jco serve ended before it listened (" << describe_status(status)
                                             << ")\n" << describe();
      }
      if (Clock::now() > deadline)
        return ::testing::AssertionFailure() << "jco serve not listening on port " << port_ << " "
                                             << timeout.count() << " ms after its start\n" << describe();
      std::this_thread::sleep_for(50ms);
    }
  }
  Clock::duration ready_after() const { return ready_after_; }

  // SIGTERM to the whole group (the jco process and the Node server it spawned), then SIGKILL.
  void stop() {
    if (pid_ <= 0 || exited_) return;
    ::kill(-pid_, SIGTERM);
    auto deadline = Clock::now() + 5s;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (Clock::now() > deadline) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    ::kill(-pid_, SIGKILL);  // the Node server, if it outlived the jco process
    exited_ = true;
  }

 private:
  bool accepts() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }
  static std::string slurp(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  uint16_t port_;
  pid_t pid_ = -1;
  bool exited_ = false;
  fs::path stdout_file_, stderr_file_;
  Clock::time_point started_;
  Clock::duration ready_after_{};
};

// Every value of a header, in the order received.
std::vector<std::string> values(const HttpResponse& r, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : r.headers)
    if (boost::beast::iequals(n, name)) out.push_back(v);
  return out;
}

// The headers the component sets itself (wasi-http-test.js) and that both hosts must pass through
// unchanged. Not compared:
//  - x-authority: each host reports the authority it was reached at, and the two listen on
//    different ports; it is compared with each host's own port put in (below).
//  - x-header-count: the request headers the component sees differ by design. witserve passes
//    Host and adds x-witserve-rest (the route's "/..." match, as for handler-world components);
//    jco's preview2-shim drops Host, Connection and Keep-Alive (its _forbiddenHeaders).
//  - date, connection, keep-alive, content-length, transfer-encoding: the hosts' own HTTP/1.1
//    framing. Node adds Date and Keep-Alive; witserve chooses Content-Length or chunked itself (a
//    body that ends before any write gets Content-Length: 0, where Node sends an empty chunked
//    body). The bodies, compared byte for byte, are what the framing must deliver.
constexpr std::array<std::string_view, 5> kComponentHeaders{"content-type", "x-method", "x-path", "x-scheme", "x-test"};

struct Case {
  std::string method;
  std::string target;
  std::string body;
  Headers headers;
  unsigned status;  // what the component answers: both hosts failing alike must not pass
};

std::string describe(const Case& c) { return c.method + " " + c.target; }

class JcoDifferential : public WitserveTest {
 protected:
  // Sends `c` on a fresh connection (Node closes idle keep-alive connections after 5 s, and the
  // comparison is of the component's answers, not of connection reuse). Null and a failure on a
  // network or protocol error.
  static std::optional<HttpResponse> send(uint16_t port, const Case& c, std::string_view host_name) {
    try {
      HttpClient client(port, 20s);
      return client.request(c.method, c.target, c.body, c.headers);
    } catch (const std::exception& e) {
      ADD_FAILURE() << host_name << ": " << describe(c) << ": " << e.what();
      return std::nullopt;
    }
  }
};

TEST_F(JcoDifferential, SameResponsesFromJcoServeAndWitserve) {
  fs::path component = copy_handler("wasi-http-test.wasm");
  copy_handler("echo.wasm");
  ASSERT_TRUE(fs::exists(source_dir() / "tools/guest/node_modules/@bytecodealliance/jco"))
      << "jco is not installed (scripts/setup-guest)";

  // jco serve exposes its whole process environment to the component (preview2-shim's
  // wasi:cli/environment is Node's process.env, and `jco serve` has no option to restrict it), so
  // GREETING is set in jco's environment; witserve grants exactly GREETING through the manifest.
  auto jco = std::make_unique<JcoServe>(component, free_port(), dir(),
                                        std::vector<std::pair<std::string, std::string>>{{"GREETING", "hi"}});

  // The upstream for /fetch: a witserve answering "METHOD PATH\nheaders\n\nbody" from echo.wasm.
  ServerProcess* upstream =
      serve(write_manifest("[[route]]\npath = \"/...\"\ncomponent = \"echo.wasm\"\n", "upstream.toml"));
  ASSERT_TRUE(upstream);
  const uint16_t unused_port = free_port();
  const std::string up = "http://127.0.0.1:" + std::to_string(upstream->port());
  ServerProcess* server = serve(write_manifest(
      "[[route]]\npath = \"/...\"\ncomponent = \"wasi-http-test.wasm\"\n"
      "env = { GREETING = \"hi\" }\n"
      "allowed_outbound_hosts = [\"" + up + "\", \"http://127.0.0.1:" + std::to_string(unused_port) + "\"]\n"));
  ASSERT_TRUE(server);
  // CTest gives each integration test 30 s (tests/CMakeLists.txt); jco needs 4-15 s here.
  auto ready = jco->wait_ready(24s);
  ASSERT_TRUE(ready);
  std::cerr << "jco serve listened after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(jco->ready_after()).count() << " ms\n";

  const std::string upload = varied_bytes(200 << 10);
  const std::vector<Case> cases{
      {"POST", "/echo", "the body", {{"x-test", "yes"}}, 200},
      {"GET", "/echo?q=1", "", {}, 200},
      {"PUT", "/echo?x=%2F&y=a+b&z", "", {{"X-Test", "  padded value  "}}, 200},  // OWS trimmed by both
      {"HEAD", "/echo?h=1", "", {}, 200},
      {"POST", "/echo", upload, {{"content-type", "application/x-anything"}}, 200},
      {"GET", "/stream?n=3&ms=50", "", {}, 200},
      {"GET", "/stream?n=0", "", {}, 200},
      {"GET", "/big?kb=256", "", {}, 200},
      {"GET", "/no/such/path", "", {}, 404},
      {"GET", "/fetch?url=" + up + "/from/wasm?x=1", "", {}, 200},
      {"GET", "/fetch?url=http://127.0.0.1:" + std::to_string(unused_port) + "/", "", {}, 502},
      {"GET", "/fetch?url=nope", "", {}, 400},
      {"GET", "/log", "", {}, 200},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(describe(c));
    auto j = send(jco->port(), c, "jco serve");
    auto w = send(server->port(), c, "witserve");
    if (!j || !w) continue;
    EXPECT_EQ(j->status, c.status) << "jco serve:\n" << *j;
    EXPECT_EQ(w->status, j->status) << "witserve:\n" << *w << "\njco serve:\n" << *j;

    std::string jbody = j->body, wbody = w->body;
    if (c.target.starts_with("/fetch?url=" + up)) {
      // The upstream echoes the request it got, and the two hosts' HTTP clients differ in one
      // header of their own: Node's keep-alive agent sends "Connection: keep-alive", witserve
      // "Connection: close". Dropped from both; everything else must match.
      for (std::string* b : {&jbody, &wbody}) {
        static const std::regex connection_line("\nConnection: [^\n]*\n", std::regex::icase);
        *b = std::regex_replace(*b, connection_line, "\n");
      }
      EXPECT_TRUE(wbody.starts_with("upstream 200: GET /from/wasm?x=1\n")) << wbody;
    }
    EXPECT_EQ(wbody.size(), jbody.size());
    if (wbody.size() <= 1024) {
      EXPECT_EQ(wbody, jbody);
    } else {
      EXPECT_TRUE(wbody == jbody) << "the bodies (" << wbody.size() << " bytes) differ";
    }
    if (c.target == "/echo" && c.method == "POST") {
      EXPECT_TRUE(wbody == c.body) << "the body was not echoed";
    }

    for (std::string_view name : kComponentHeaders)
      EXPECT_EQ(values(*w, name), values(*j, name)) << "header " << name << "\nwitserve:\n" << *w << "\njco serve:\n" << *j;
    // x-authority: the Host each was reached at (HttpClient sends "127.0.0.1:PORT").
    if (auto ja = j->header("x-authority")) {
      EXPECT_EQ(*ja, "127.0.0.1:" + std::to_string(jco->port()));
      EXPECT_EQ(w->header("x-authority"), "127.0.0.1:" + std::to_string(server->port()));
    } else {
      EXPECT_FALSE(w->header("x-authority")) << *w;
    }
  }

  // Documented difference: a response header given twice. The component sends one x-test
  // response header per x-test request header; witserve keeps both, jco serve keeps only the
  // last (preview2-shim's io/worker-http.js builds Node's writeHead() argument with
  // Object.fromEntries, so a repeated name overwrites the earlier one). Accepted only in exactly
  // that form; should jco keep both one day, the values must be equal.
  {
    Case c{"POST", "/echo", "twice", {{"x-test", "first"}, {"X-Test", "second"}}, 200};
    SCOPED_TRACE(describe(c) + " with x-test twice");
    auto j = send(jco->port(), c, "jco serve");
    auto w = send(server->port(), c, "witserve");
    if (j && w) {
      EXPECT_EQ(w->status, 200u) << *w;
      EXPECT_EQ(j->status, 200u) << *j;
      EXPECT_EQ(w->body, j->body);
      const std::vector<std::string> both{"first", "second"};
      EXPECT_EQ(values(*w, "x-test"), both) << *w;
      auto jv = values(*j, "x-test");
      if (jv != both) {
        EXPECT_EQ(jv, std::vector<std::string>{"second"}) << "not jco's known collapse of repeated headers\n" << *j;
      }
    }
  }

  // Documented difference: a method outside WIT's enum (method::other). HTTP methods are
  // case-sensitive (RFC 9110, 9.1) and witserve passes "PURGE" as sent; jco serve lowercases it
  // (preview2-shim's nodejs/http.js parseMethod returns { tag: "other", val: method.toLowerCase() }).
  // Accepted only in exactly that form.
  {
    Case c{"PURGE", "/echo", "", {}, 200};
    SCOPED_TRACE("PURGE /echo");
    auto j = send(jco->port(), c, "jco serve");
    auto w = send(server->port(), c, "witserve");
    if (j && w) {
      EXPECT_EQ(w->status, 200u) << *w;
      EXPECT_EQ(j->status, 200u) << *j;
      EXPECT_EQ(w->body, j->body);
      EXPECT_EQ(w->header("x-method"), "PURGE") << *w;
      if (j->header("x-method") != "PURGE") {
        EXPECT_EQ(j->header("x-method"), "purge") << "not jco's known lowercasing of other methods\n" << *j;
      }
      for (std::string_view name : {"content-type", "x-path", "x-scheme", "x-test"})
        EXPECT_EQ(values(*w, name), values(*j, name)) << "header " << name;
    }
  }

  // Documented difference: the environment. witserve gives exactly what the route grants; jco
  // serve gives Node's whole process environment, which holds GREETING=hi among the rest.
  // Compared: the variables witserve defines, which jco must define alike.
  {
    Case c{"GET", "/env", "", {}, 200};
    SCOPED_TRACE("GET /env");
    auto j = send(jco->port(), c, "jco serve");
    auto w = send(server->port(), c, "witserve");
    if (j && w) {
      EXPECT_EQ(w->status, 200u) << *w;
      EXPECT_EQ(j->status, 200u) << *j;
      EXPECT_EQ(w->body, "GREETING=hi\n");
      std::istringstream lines(w->body);
      for (std::string line; std::getline(lines, line);)
        EXPECT_TRUE(j->body.starts_with(line + "\n") || contains(j->body, "\n" + line + "\n"))
            << line << " is not in jco's environment";
    }
  }

  // GET /log wrote two stdout lines and one stderr line: jco serve passes them to its own stdout
  // and stderr, witserve logs them line by line under the route.
  EXPECT_TRUE(server->wait_for_log("[info] [/...] stdout: out line 1\n", 2s)) << server->log();
  EXPECT_TRUE(contains(server->log(), "[info] [/...] stdout: out line 2\n")) << server->log();
  EXPECT_TRUE(contains(server->log(), "[warning] [/...] stderr: err line\n")) << server->log();
  EXPECT_TRUE(contains(jco->out(), "out line 1\nout line 2\n")) << jco->describe();
  EXPECT_TRUE(contains(jco->err(), "err line\n")) << jco->describe();

  // Not compared: /never (jco serve has no deadline, so it would tick until the client leaves),
  // and outgoing requests outside allowed_outbound_hosts (jco serve allows every host).

  if (HasFailure()) std::cerr << jco->describe();
  jco->stop();
}

}  // namespace
}  // namespace witserve::itest
