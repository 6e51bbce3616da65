// The server as a whole: the repository's default manifest with the examples, `witserve run`,
// manifest errors at startup, and graceful shutdown on SIGTERM/SIGINT.
#include <sys/stat.h>

#include <future>

#include <nlohmann/json.hpp>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

using nlohmann::json;

constexpr std::string_view kHello = "Hello, world!\n";  // examples/hello-*/
constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

class DefaultManifest : public WitserveTest {};

// witserve.toml at the repository root, as `witserve serve` finds it (the current directory),
// with the ports and the data directory moved out of the way.
TEST_F(DefaultManifest, EveryExampleRouteAnswers) {
  ASSERT_TRUE(fs::exists(source_dir() / "handlers/hello-wat.wasm")) << "the examples are not built";
  ServerProcess& s = spawn({"serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--threads", "2",
                            "--data-dir", data_dir().string()},
                           source_dir());
  ASSERT_TRUE(s.wait_ready(/*admin=*/true));

  HttpClient c(s.port());
  for (auto [path, example] : {std::pair{"/", "hello-c"}, {"/hello/c", "hello-c"}, {"/hello/rust", "hello-rust"},
                               {"/hello/wat", "hello-wat"}}) {
    SCOPED_TRACE(path);
    HttpResponse r = c.get(path);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, kHello);
    EXPECT_EQ(r.header("x-witserve-example"), example);
    EXPECT_EQ(r.header("content-type"), kTextPlain);
    EXPECT_EQ(r.header("content-length"), std::to_string(kHello.size()));
    EXPECT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(c.connects(), 1) << "keep-alive: all on one connection";

  // greet-c: the config's greeting, the route parameter, a log line through the host import.
  HttpResponse greet = c.get("/greet/Ann");
  EXPECT_EQ(greet.status, 200u);
  EXPECT_EQ(greet.body, "Hello, Ann!\n");
  EXPECT_EQ(greet.header("content-type"), kTextPlain);
  EXPECT_TRUE(s.wait_for_log("[info] [/greet/:name] greeting Ann\n", 2s)) << s.log();
  // The parameter is percent-decoded before the handler sees it.
  EXPECT_EQ(c.get("/greet/Jos%C3%A9%20Mar%C3%ADa").body, "Hello, José María!\n");

  // The WASI examples: JavaScript (componentize-js) and C and Rust through the preview1 adapter,
  // each with its route's environment and its stdout in the log; and a wasi:http proxy.
  for (auto [path, example, body] :
       {std::tuple{"/hello/js", "hello-js", "Hello, world!\n"},
        {"/printf/c", "printf-c", "Hello, world!\npath: /printf/c\n"},
        {"/hello/rust-wasi", "hello-rust-wasi", "Howdy, world!\npath: /hello/rust-wasi\n"},
        {"/http/js?x=1", "http-js", "Hello from JavaScript on wasi:http!\nmethod: GET\npath: /http/js?x=1\n"}}) {
    SCOPED_TRACE(path);
    HttpResponse r = c.get(path);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, body);
    EXPECT_EQ(r.header("x-witserve-example"), example);
    EXPECT_EQ(r.header("content-type"), kTextPlain);
  }
  EXPECT_TRUE(s.wait_for_log("[info] [/hello/js] stdout: hello-js: GET /hello/js\n", 2s)) << s.log();
  EXPECT_TRUE(s.wait_for_log("[info] [/printf/c] stdout: printf-c: GET /printf/c\n", 2s)) << s.log();
  EXPECT_TRUE(s.wait_for_log("[info] [/hello/rust-wasi] stdout: hello-rust-wasi: GET /hello/rust-wasi\n", 2s))
      << s.log();

  // counter-js: visits counted per path in the "default" key-value store (SQLite in the data
  // directory), greeting from the route's config.
  for (auto [path, body] : {std::pair{"/counter/a", "Welcome! /counter/a has had 1 visit.\n"},
                            {"/counter/a?x", "Welcome! /counter/a has had 2 visits.\n"},
                            {"/counter/b", "Welcome! /counter/b has had 1 visit.\n"}}) {
    SCOPED_TRACE(path);
    HttpResponse r = c.get(path);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, body);
    EXPECT_EQ(r.header("x-witserve-example"), "counter-js");
  }
  EXPECT_TRUE(fs::exists(data_dir() / "key-value" / "default.sqlite"));

  // Nothing else is routed: a parameter must be a non-empty segment, and slashes are strict.
  for (const char* path : {"/nope", "/greet", "/greet/", "/greet/a/b", "/hello/c/", "/hello", "/hello/go"}) {
    SCOPED_TRACE(path);
    HttpResponse r = c.get(path);
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.body, "no route for " + std::string(path) + "\n");
  }

  // Without admin.token or $WITSERVE_ADMIN_TOKEN a token is generated into the data directory,
  // readable by the owner only, and the admin API accepts it.
  fs::path token_file = data_dir() / "admin-token";
  ASSERT_TRUE(fs::exists(token_file));
  std::string token = read_file(token_file);
  ASSERT_EQ(token.size(), 33u) << token;
  ASSERT_EQ(token.back(), '\n');
  token.pop_back();
  EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
  struct stat st {};
  ASSERT_EQ(::stat(token_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(s.wait_for_log("admin: no token configured", 0ms));

  HttpResponse list = http_get(s.admin_port(), "/handler", bearer(token));
  ASSERT_EQ(list.status, 200u) << list;
  json routes = json::parse(list.body)["routes"];
  ASSERT_EQ(routes.size(), 10u) << list.body;
  std::vector<std::string> paths;
  for (const auto& r : routes) {
    paths.push_back(r["route"]);
    EXPECT_EQ(r["origin"], "manifest");
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/", "/hello/c", "/hello/rust", "/hello/wat", "/greet/:name", "/hello/js",
                                             "/http/js", "/printf/c", "/hello/rust-wasi", "/counter/..."}));
  EXPECT_EQ(http_get(s.admin_port(), "/handler", bearer("not-" + token)).status, 401u);

  stop_cleanly(s);
  EXPECT_TRUE(contains(s.log(), "SIGTERM: shutting down")) << s.log();
  EXPECT_TRUE(contains(s.log(), "[info] stopped\n")) << s.log();
}

class Run : public WitserveTest {};

// `witserve run X.wasm`: one component on every path, no admin listener.
TEST_F(Run, EveryPathAnswersFromTheComponent) {
  fs::path echo = copy_handler("echo.wasm");
  ServerProcess& s = spawn({"run", echo.string(), "--listen", "127.0.0.1:0", "--threads", "2"}, dir());
  ASSERT_TRUE(s.wait_ready(/*admin=*/false));
  HttpClient c(s.port());
  for (std::string target : {"/", "/a", "/a/", "/a/b/c", "/x?y=1&z", "/%2F%20"}) {
    SCOPED_TRACE(target);
    HttpResponse r = c.get(target);
    EXPECT_EQ(r.status, 200u);
    // run serves "/...": the handler also gets what the wildcard matched (the path without '/').
    std::string rest = target.substr(1, target.find('?') == std::string::npos ? std::string::npos : target.find('?') - 1);
    EXPECT_EQ(r.body, "GET " + target + "\nHost: " + c.host() + "\nx-witserve-rest: " + rest + "\n\n");
    EXPECT_EQ(r.header("x-echo-body-length"), "0");
  }
  HttpResponse post = c.request("POST", "/submit", "payload");
  EXPECT_EQ(post.body, "POST /submit\nHost: " + c.host() + "\nContent-Length: 7\nx-witserve-rest: submit\n\npayload");
  EXPECT_FALSE(contains(s.log(), "admin:")) << "run has no admin listener\n" << s.log();
  EXPECT_FALSE(fs::exists(dir() / ".witserve")) << "run keeps no data directory";
}

TEST_F(Run, AnotherComponentKind) {
  // The hand-written WAT example: no SDK, its own allocator and post-return.
  ServerProcess& s = spawn({"run", (source_dir() / "handlers/hello-wat.wasm").string(), "--listen", "127.0.0.1:0",
                            "--threads", "2"});
  ASSERT_TRUE(s.wait_ready(false));
  HttpClient c(s.port());
  for (int i = 0; i < 20; ++i) {  // the bump allocator is reset between requests (fresh instances anyway)
    HttpResponse r = c.request(i % 2 ? "POST" : "GET", "/any/" + std::to_string(i), std::string(i * 100, 'b'));
    ASSERT_EQ(r.status, 200u);
    ASSERT_EQ(r.body, kHello);
    ASSERT_EQ(r.header("x-witserve-example"), "hello-wat");
  }
}

class ManifestErrors : public WitserveTest {};

// Every problem is reported at once with FILE:LINE:COL, and witserve does not start.
TEST_F(ManifestErrors, AllReportedWithFileAndLine) {
  copy_handler("echo.wasm");
  fs::path m = write_manifest(
      "[server]\n"                   // 1
      "listn = \"127.0.0.1:0\"\n"    // 2: unknown key
      "threads = 2000\n"             // 3: out of range
      "\n"                           // 4
      "[[route]]\n"                  // 5
      "path = \"/a\"\n"              // 6
      "component = \"echo.wasm\"\n"  // 7
      "\n"                           // 8
      "[[route]]\n"                  // 9: no component
      "path = \"/b\"\n");            // 10
  ServerProcess& s = spawn({"serve", m.string(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                            "--data-dir", data_dir().string()});
  auto st = s.wait_exit(10s);
  ASSERT_TRUE(st) << s.describe();
  EXPECT_TRUE(exited_with(*st, 1)) << describe_status(*st);
  std::string err = s.err();
  std::string file = m.string();
  EXPECT_TRUE(contains(err, file + ":2:1: unknown key \"server.listn\" (did you mean \"listen\"?)")) << err;
  EXPECT_TRUE(contains(err, file + ":3:11: server.threads must be from 0 (one per core) to 1024, not 2000")) << err;
  EXPECT_TRUE(contains(err, file + ":9:1: route has no component")) << err;
  EXPECT_EQ(count_of(err, file + ":"), 3u) << err;
  EXPECT_FALSE(contains(s.log(), "listening")) << s.log();
  EXPECT_FALSE(fs::exists(data_dir())) << "nothing is created for a manifest with errors";
}

TEST_F(ManifestErrors, TwoRouteErrors) {
  copy_handler("echo.wasm");
  fs::path m = write_manifest(
      "[[route]]\n"                  // 1
      "path = \"/a/:x\"\n"           // 2
      "component = \"echo.wasm\"\n"  // 3
      "[[route]]\n"                  // 4
      "path = \"/a/:y\"\n"           // 5: equivalent to line 1's
      "component = \"echo.wasm\"\n"  // 6
      "[[route]]\n"                  // 7
      "path = \"/b//c\"\n"           // 8: empty segment
      "component = \"echo.wasm\"\n");
  ServerProcess& s = spawn({"serve", m.string(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                            "--data-dir", data_dir().string()});
  auto st = s.wait_exit(10s);
  ASSERT_TRUE(st) << s.describe();
  EXPECT_FALSE(exited_with(*st, 0)) << describe_status(*st);
  std::string err = s.err();
  EXPECT_TRUE(contains(err, m.string() + ":5:")) << err;
  EXPECT_TRUE(contains(err, "route \"/a/:y\" is equivalent to route \"/a/:x\"")) << err;
  EXPECT_TRUE(contains(err, m.string() + ":8:")) << err;
  EXPECT_TRUE(contains(err, "/b//c")) << err;
}

// A component that is missing or not a component does not keep the other routes from serving
// (a restart after a bad deploy must not take everything down): its route answers 503, the log
// says why, and it serves as soon as its file loads.
TEST_F(ManifestErrors, MissingOrBrokenComponentDoesNotStopTheOthers) {
  copy_handler("echo.wasm");
  write_file(dir() / "garbage.wasm", "this is not wasm");
  fs::path m = write_manifest(
      "[[route]]\npath = \"/missing\"\ncomponent = \"missing.wasm\"\n"
      "[[route]]\npath = \"/garbage\"\ncomponent = \"garbage.wasm\"\n"
      "[[route]]\npath = \"/...\"\ncomponent = \"echo.wasm\"\n");
  ServerProcess* s = serve(m);
  ASSERT_TRUE(s);
  EXPECT_EQ(http_get(s->port(), "/other").status, 200u);
  EXPECT_EQ(http_get(s->port(), "/missing").status, 503u) << "not taken by the catch-all route";
  EXPECT_EQ(http_get(s->port(), "/garbage").status, 503u);
  std::string log = s->log();
  EXPECT_TRUE(contains(log, "ROUTE /missing CANNOT BE SERVED")) << log;
  EXPECT_TRUE(contains(log, "ROUTE /garbage CANNOT BE SERVED")) << log;

  copy_handler("version-1.wasm", "garbage.wasm");
  copy_handler("version-2.wasm", "missing.wasm");
  auto until = Clock::now() + 5s;
  while (http_get(s->port(), "/missing").status != 200u && Clock::now() < until) std::this_thread::sleep_for(20ms);
  while (http_get(s->port(), "/garbage").status != 200u && Clock::now() < until) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(http_get(s->port(), "/garbage").body, "version 1\n");
  EXPECT_EQ(http_get(s->port(), "/missing").body, "version 2\n");
}

// With nothing at all to serve (`witserve run` of a broken component), the start fails.
TEST_F(ManifestErrors, RunOfABrokenComponentFailsStartup) {
  write_file(dir() / "garbage.wasm", "this is not wasm");
  ServerProcess& s = spawn({"run", (dir() / "garbage.wasm").string(), "--listen", "127.0.0.1:0"});
  auto st = s.wait_exit(10s);
  ASSERT_TRUE(st) << s.describe();
  EXPECT_TRUE(exited_with(*st, 1)) << describe_status(*st);
  EXPECT_TRUE(contains(s.err(), "route /...: " + (dir() / "garbage.wasm").string() + ": ")) << s.err();
  EXPECT_FALSE(contains(s.log(), "listening")) << s.log();
}

class Shutdown : public WitserveTest {};

// A request in flight when SIGTERM arrives still gets its response; then the process exits 0.
TEST_F(Shutdown, InFlightRequestCompletes) {
  copy_handler("loop.wasm");
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text(
      "[[route]]\npath = \"/slow\"\ncomponent = \"loop.wasm\"\ndeadline = \"1s\"\n"
      "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  // An idle keep-alive connection must not hold the shutdown up.
  HttpClient idle(s->port());
  ASSERT_EQ(idle.get("/echo").status, 200u);

  auto t0 = Clock::now();
  auto slow = std::async(std::launch::async, [port = s->port()] { return http_get(port, "/slow"); });
  std::this_thread::sleep_for(300ms);  // the request is in the handler by now
  ASSERT_EQ(slow.wait_for(0s), std::future_status::timeout) << "answered before its deadline";
  s->signal(SIGTERM);
  HttpResponse r = slow.get();
  auto answered = Clock::now() - t0;
  EXPECT_EQ(r.status, 504u) << r;
  EXPECT_EQ(r.body, "the handler did not answer in time\n");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_GE(answered, 950ms) << "the deadline, not the signal, ended the request";
  EXPECT_LT(answered, 3s);

  auto st = s->wait_exit(5s);
  ASSERT_TRUE(st) << "still running 5 s after SIGTERM\n" << s->describe();
  EXPECT_TRUE(exited_with(*st, 0)) << describe_status(*st) << "\n" << s->describe();
  auto exited = Clock::now() - t0;
  EXPECT_LT(exited, 4s);
  std::string log = s->log();
  EXPECT_TRUE(contains(log, "SIGTERM: shutting down (finishing requests in flight)")) << log;
  EXPECT_TRUE(contains(log, "[/slow] GET /slow: deadline of 1000 ms passed")) << log;
  EXPECT_LT(log.find("SIGTERM: shutting down"), log.find("deadline of 1000 ms passed"))
      << "the signal came while the request was in flight\n" << log;
  EXPECT_TRUE(contains(log, "[info] stopped\n")) << log;
  // The listener is gone.
  EXPECT_THROW(http_get(s->port(), "/echo"), std::exception);
}

TEST_F(Shutdown, SigintIdleServerExitsZeroQuickly) {
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient keep(s->port());
  ASSERT_EQ(keep.get("/echo").status, 200u);  // leaves an idle keep-alive connection open
  // A connection that has sent half a request head.
  RawConnection half(s->port());
  ASSERT_TRUE(half.send("GET /echo HTTP/1.1\r\nHost: x\r\n"));
  std::this_thread::sleep_for(50ms);
  auto t0 = Clock::now();
  s->signal(SIGINT);
  auto st = s->wait_exit(5s);
  ASSERT_TRUE(st) << s->describe();
  EXPECT_TRUE(exited_with(*st, 0)) << describe_status(*st);
  EXPECT_LT(Clock::now() - t0, 2s) << "idle connections are closed, not waited for";
  EXPECT_TRUE(contains(s->log(), "SIGINT: shutting down")) << s->log();
  half.read_to_eof(2s);
  EXPECT_TRUE(half.eof()) << "the half-read connection is closed";
}

// Past the shutdown grace period (server.shutdown_grace) a handler still running is stopped so
// that the process can exit, and the log says the shutdown stopped it (not its deadline).
TEST_F(Shutdown, HandlerPastTheGracePeriodDoesNotHoldTheExit) {
  copy_handler("loop.wasm");
  ServerProcess* s = serve_text("[server]\nshutdown_grace = \"500ms\"\n"
                                "[[route]]\npath = \"/slow\"\ncomponent = \"loop.wasm\"\ndeadline = \"30s\"\n");
  ASSERT_TRUE(s);
  auto slow = std::async(std::launch::async, [port = s->port()] {
    try {
      return http_get(port, "/slow").status;
    } catch (const std::exception&) {
      return 0u;
    }
  });
  std::this_thread::sleep_for(300ms);
  auto t0 = Clock::now();
  s->signal(SIGTERM);
  auto st = s->wait_exit(10s);
  ASSERT_TRUE(st) << "still running 10 s after SIGTERM; the grace period is 500 ms\n" << s->describe();
  EXPECT_TRUE(exited_with(*st, 0)) << describe_status(*st);
  EXPECT_LT(Clock::now() - t0, 3s) << "shutdown took much longer than the 500 ms grace period";
  slow.wait();
  std::string log = s->log();
  EXPECT_TRUE(contains(log, "[/slow] GET /slow: stopped by the shutdown")) << log;
  EXPECT_FALSE(contains(log, "deadline of 30000 ms passed")) << "not a missed deadline\n" << log;
}

// A second SIGTERM or SIGINT ends the process at once, whatever is still running.
TEST_F(Shutdown, SecondSignalExitsAtOnce) {
  copy_handler("loop.wasm");
  for (int sig : {SIGTERM, SIGINT}) {
    SCOPED_TRACE(strsignal(sig));
    ServerProcess* s = serve_text("[[route]]\npath = \"/slow\"\ncomponent = \"loop.wasm\"\ndeadline = \"30s\"\n");
    ASSERT_TRUE(s);
    auto slow = std::async(std::launch::async, [port = s->port()] {
      try {
        return http_get(port, "/slow").status;
      } catch (const std::exception&) {
        return 0u;
      }
    });
    std::this_thread::sleep_for(300ms);
    s->signal(sig);
    ASSERT_FALSE(s->wait_exit(300ms)) << "the first signal waits for the request in flight (10 s grace)";
    auto t0 = Clock::now();
    s->signal(sig);
    auto st = s->wait_exit(5s);
    ASSERT_TRUE(st) << "still running 5 s after the second signal\n" << s->describe();
    EXPECT_LT(Clock::now() - t0, 1500ms);
    EXPECT_TRUE(exited_with(*st, 128 + sig)) << describe_status(*st);
    slow.wait();
  }
}

class Startup : public WitserveTest {};

// A port another server already listens on is refused ("address in use"), not shared: the
// acceptors' SO_REUSEPORT lets a second witserve (same user) bind it and take half the connections.
TEST_F(Startup, PortInUseIsRefused) {
  copy_handler("version-1.wasm");
  copy_handler("version-2.wasm");
  ServerProcess* first = serve_text("[[route]]\npath = \"/...\"\ncomponent = \"version-1.wasm\"\n");
  ASSERT_TRUE(first);
  fs::path m2 = write_manifest("[[route]]\npath = \"/...\"\ncomponent = \"version-2.wasm\"\n", "second.toml");
  ServerProcess& second = spawn({"serve", m2.string(), "--listen", "127.0.0.1:" + std::to_string(first->port()),
                                 "--admin-listen", "127.0.0.1:0", "--threads", "2", "--data-dir",
                                 (dir() / "data2").string()});
  auto st = second.wait_exit(2s);  // a refused start ends in ~0.1 s
  EXPECT_TRUE(st) << "a second server started on the first one's port " << first->port() << "\n" << second.describe();
  if (st) {
    EXPECT_TRUE(exited_with(*st, 1)) << describe_status(*st);
    EXPECT_TRUE(contains(second.err(), "http: cannot listen on 127.0.0.1:" + std::to_string(first->port())))
        << second.err();
  } else {
    int v2 = 0;  // how many fresh connections the second server took
    for (int i = 0; i < 20; ++i) v2 += http_get(first->port(), "/").body == "version 2\n";
    ADD_FAILURE() << v2 << " of 20 connections to port " << first->port() << " went to the second server";
  }
  EXPECT_EQ(http_get(first->port(), "/").body, "version 1\n");
}

// --listen and --admin-listen on the same address: refused (as the manifest refuses
// admin.listen == server.listen), not a port where requests land on either listener at random.
TEST_F(Startup, SameAddressForHttpAndAdminIsRefused) {
  copy_handler("echo.wasm");
  fs::path m = write_manifest(admin_table() + "[[route]]\npath = \"/...\"\ncomponent = \"echo.wasm\"\n");
  std::string address = "127.0.0.1:" + std::to_string(free_port());
  ServerProcess& s = spawn({"serve", m.string(), "--listen", address, "--admin-listen", address, "--threads", "2",
                            "--data-dir", data_dir().string()});
  auto st = s.wait_exit(2s);
  EXPECT_TRUE(st) << "witserve started with the HTTP and admin listeners on one address\n" << s.describe();
  if (st) {
    EXPECT_FALSE(exited_with(*st, 0)) << describe_status(*st);
  } else {
    ASSERT_TRUE(s.wait_ready(true));
    int admin = 0;  // requests for a route answered by the admin API instead
    for (int i = 0; i < 20; ++i) admin += http_get(s.port(), "/route").header("content-type") == "application/json";
    ADD_FAILURE() << admin << " of 20 requests for /route on " << address << " were answered by the admin API";
  }
}

// docs/manifest.md: a listen address is HOST:PORT "with a host name or IPv4 address".
TEST_F(Startup, HostNameInListenAddress) {
  copy_handler("echo.wasm");
  fs::path m = write_manifest("[[route]]\npath = \"/...\"\ncomponent = \"echo.wasm\"\n");
  ServerProcess& s = spawn({"serve", m.string(), "--listen", "localhost:0", "--admin-listen", "127.0.0.1:0",
                            "--threads", "2", "--data-dir", data_dir().string()});
  ASSERT_TRUE(s.wait_ready(true, 5s));
  EXPECT_EQ(http_get(s.port(), "/x").status, 200u);
}

// The admin API on an address other machines reach needs an explicit opt-in: --admin-allow-remote
// or admin.allow_remote.
TEST_F(Startup, AdminOnANonLoopbackAddressNeedsOptIn) {
  copy_handler("echo.wasm");
  fs::path m = write_manifest(admin_table() + "[[route]]\npath = \"/m\"\ncomponent = \"echo.wasm\"\n");
  ServerProcess& refused = spawn({"serve", m.string(), "--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0",
                                  "--data-dir", data_dir().string()});
  auto st = refused.wait_exit(10s);
  ASSERT_TRUE(st) << "started with the admin API on 0.0.0.0 without the opt-in\n" << refused.describe();
  EXPECT_TRUE(exited_with(*st, 1)) << describe_status(*st);
  EXPECT_TRUE(contains(refused.err(), "admin.allow_remote")) << refused.err();

  ServerProcess& s = spawn({"serve", m.string(), "--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0",
                            "--admin-allow-remote", "--data-dir", data_dir().string()});
  ASSERT_TRUE(s.wait_ready(true));
  EXPECT_EQ(http_get(s.admin_port(), "/handler", bearer()).status, 200u);
  stop_cleanly(s);

  fs::path m2 = write_manifest(admin_table("allow_remote = true\nlisten = \"0.0.0.0:0\"") +
                                   "[[route]]\npath = \"/m\"\ncomponent = \"echo.wasm\"\n",
                               "remote.toml");
  ServerProcess& s2 = spawn({"serve", m2.string(), "--listen", "127.0.0.1:0", "--data-dir", data_dir().string()});
  ASSERT_TRUE(s2.wait_ready(true));
  EXPECT_EQ(http_get(s2.admin_port(), "/handler", bearer()).status, 200u);
}

}  // namespace
}  // namespace witserve::itest
