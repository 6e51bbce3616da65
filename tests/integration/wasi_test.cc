// WASI 0.2 and wasi:http on a real server: the JavaScript wasi:http test component
// (componentize-js; tests/handlers/wasi-http-test) for requests and streamed responses, outgoing
// HTTP allowed and denied, the environment and handler output; the C handler built with the
// preview1 adapter (tests/handlers/wasi-fs.c) for preopened directories and their escapes.
#include <nlohmann/json.hpp>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

using json = nlohmann::json;

class WasiHttp : public WitserveTest {
 protected:
  void SetUp() override {
    copy_handler("wasi-http-test.wasm");
    copy_handler("echo.wasm");
    // The upstream: another witserve on loopback, answering "METHOD PATH\n..." from echo.wasm.
    upstream_ = serve(write_manifest("[[route]]\npath = \"/...\"\ncomponent = \"echo.wasm\"\n", "upstream.toml"));
    ASSERT_TRUE(upstream_);
    unused_port_ = free_port();
    server_ = serve_text(
        "[server]\ndeadline = \"30s\"\n"
        "[[route]]\npath = \"/...\"\ncomponent = \"wasi-http-test.wasm\"\n"
        "env = { GREETING = \"hi\", EMPTY = \"\" }\n"
        "allowed_outbound_hosts = [\"http://127.0.0.1:" + std::to_string(upstream_->port()) + "\", \"http://127.0.0.1:" +
        std::to_string(unused_port_) + "\"]\n");
  }
  // A second server whose route grants nothing and has a 1 s deadline (the component answers by
  // path, so it needs a server of its own).
  ServerProcess* serve_closed() {
    return serve(write_manifest("[[route]]\npath = \"/...\"\ncomponent = \"wasi-http-test.wasm\"\n"
                                "deadline = \"1s\"\n",
                                "closed.toml"));
  }
  ServerProcess* upstream_ = nullptr;
  ServerProcess* server_ = nullptr;
  uint16_t unused_port_ = 0;
};

TEST_F(WasiHttp, RequestReachesTheComponentAndItsResponseComesBack) {
  ASSERT_TRUE(server_);
  HttpClient c(server_->port());
  HttpResponse r = c.request("POST", "/echo?q=1&r=two", "the body", {{"X-Test", "yes"}, {"x-test", "again"}});
  EXPECT_EQ(r.status, 200u) << r;
  EXPECT_EQ(r.body, "the body");
  EXPECT_EQ(r.header("x-method"), "POST");
  EXPECT_EQ(r.header("x-path"), "/echo?q=1&r=two");
  EXPECT_EQ(r.header("x-scheme"), "http");
  EXPECT_EQ(r.header("x-authority"), "127.0.0.1:" + std::to_string(server_->port()));
  EXPECT_EQ(r.header_count("x-test"), 2u) << r;
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  // Host, X-Test twice, Content-Length, and x-witserve-rest (the route's "/..." match, as for
  // handler-world components).
  EXPECT_EQ(r.header("x-header-count"), "5");
  EXPECT_TRUE(r.keep_alive);
  // The same connection serves the next request; a fresh instance answers it.
  EXPECT_EQ(c.request("PUT", "/echo", "second").body, "second");
}

TEST_F(WasiHttp, LargeRequestBodyArrivesWhole) {
  ASSERT_TRUE(server_);
  std::string body = varied_bytes(3 << 20);
  HttpResponse r = HttpClient(server_->port(), 30s).request("POST", "/echo", body);
  ASSERT_EQ(r.status, 200u) << r;
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body) << "the echoed body differs";
}

TEST_F(WasiHttp, LargeResponseIsStreamedChunked) {
  ASSERT_TRUE(server_);
  HttpResponse r = HttpClient(server_->port(), 30s).request("GET", "/big?kb=2048");
  ASSERT_EQ(r.status, 200u) << r;
  EXPECT_EQ(r.header("transfer-encoding"), "chunked") << r;
  EXPECT_FALSE(r.header("content-length"));
  ASSERT_EQ(r.body.size(), 2048u * 1024);
  std::string pattern = "0123456789abcdef";
  for (size_t i = 0; i < r.body.size(); i += 4093)
    ASSERT_EQ(r.body[i], pattern[i % 16]) << "at byte " << i;
  EXPECT_TRUE(r.keep_alive);
}

TEST_F(WasiHttp, SlowResponseArrivesPieceByPiece) {
  ASSERT_TRUE(server_);
  RawConnection c(server_->port());
  auto start = Clock::now();
  ASSERT_TRUE(c.send("GET /stream?n=4&ms=400 HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string& first = c.read_until("chunk 0\n", 5s);
  auto first_at = Clock::now() - start;
  ASSERT_TRUE(contains(first, "chunk 0\n")) << first;
  EXPECT_TRUE(contains(first, "Transfer-Encoding: chunked\r\n")) << first;
  EXPECT_FALSE(contains(first, "chunk 1")) << "the second piece came with the first";
  const std::string& all = c.read_until("0\r\n\r\n", 10s);
  auto last_at = Clock::now() - start;
  EXPECT_TRUE(contains(all, "chunk 3\n")) << all;
  // Three 400 ms pauses separate the first piece from the end.
  EXPECT_LT(first_at, last_at - 900ms) << "first piece after " << first_at.count() << " ns, end after "
                                        << last_at.count() << " ns";
}

TEST_F(WasiHttp, StreamedResponseToAnHttp10ClientEndsWithTheConnection) {
  ASSERT_TRUE(server_);
  RawConnection c(server_->port());
  ASSERT_TRUE(c.send("GET /stream?n=2&ms=100 HTTP/1.0\r\n\r\n"));
  const std::string& got = c.read_to_eof(10s);
  EXPECT_TRUE(c.eof());
  EXPECT_TRUE(got.starts_with("HTTP/1.0 200 OK\r\n")) << got;
  EXPECT_FALSE(contains(got, "chunked")) << "HTTP/1.0 has no chunked coding\n" << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nchunk 0\nchunk 1\n")) << got;
}

TEST_F(WasiHttp, BodyThatNeverEndsIsCutAtTheDeadline) {
  ServerProcess* closed = serve_closed();
  ASSERT_TRUE(closed);
  RawConnection c(closed->port());
  auto start = Clock::now();
  ASSERT_TRUE(c.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string& got = c.read_to_eof(10s);
  auto took = Clock::now() - start;
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(contains(got, "started\n")) << got;
  EXPECT_TRUE(contains(got, "tick\n")) << got;
  EXPECT_FALSE(contains(got, "\r\n0\r\n\r\n")) << "a cut body must not look complete";
  EXPECT_TRUE(c.eof()) << "the connection stays open";
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(closed->wait_for_log("[/...] GET /never: failed while streaming its response", 2s)) << closed->log();
  // Unharmed: both workers still answer.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(http_request(closed->port(), "POST", "/echo", "ok").body, "ok");
}

TEST_F(WasiHttp, OutgoingRequestToAnAllowedHostIsMade) {
  ASSERT_TRUE(server_);
  std::string url = "http://127.0.0.1:" + std::to_string(upstream_->port()) + "/from/wasm?x=1";
  HttpResponse r = http_get(server_->port(), "/fetch?url=" + url);
  EXPECT_EQ(r.status, 200u) << r;
  EXPECT_TRUE(r.body.starts_with("upstream 200: GET /from/wasm?x=1\n")) << r;
}

TEST_F(WasiHttp, OutgoingRequestElsewhereIsDenied) {
  ASSERT_TRUE(server_);
  // Another port of an allowed host, another host, and a route that allows nothing.
  ServerProcess* closed = serve_closed();
  ASSERT_TRUE(closed);
  std::string up = std::to_string(upstream_->port());
  for (auto [port, target] : {std::pair(server_->port(), "/fetch?url=http://127.0.0.1:" + std::to_string(free_port()) + "/"),
                              std::pair(server_->port(), "/fetch?url=http://localhost:" + up + "/"),
                              std::pair(closed->port(), "/fetch?url=http://127.0.0.1:" + up + "/")}) {
    HttpResponse r = http_get(port, target);
    EXPECT_EQ(r.status, 502u) << target << "\n" << r;
    EXPECT_TRUE(r.body.starts_with("error: HTTP-request-denied\n")) << target << "\n" << r;
  }
  EXPECT_TRUE(server_->wait_for_log("denied: not in allowed_outbound_hosts", 2s)) << server_->log();
  EXPECT_TRUE(closed->wait_for_log("denied: not in allowed_outbound_hosts", 2s)) << closed->log();
  EXPECT_EQ(count_of(upstream_->log(), "GET /"), 0u) << "a denied request reached the upstream";
}

TEST_F(WasiHttp, OutgoingRequestToAClosedPortIsConnectionRefused) {
  ASSERT_TRUE(server_);
  HttpResponse r = http_get(server_->port(), "/fetch?url=http://127.0.0.1:" + std::to_string(unused_port_) + "/");
  EXPECT_EQ(r.status, 502u) << r;
  EXPECT_TRUE(r.body.starts_with("error: connection-refused\n")) << r;
}

TEST_F(WasiHttp, EnvironmentIsOnlyWhatTheManifestLists) {
  ASSERT_TRUE(server_);
  EXPECT_EQ(http_get(server_->port(), "/env").body, "EMPTY=\nGREETING=hi\n");
  ServerProcess* closed = serve_closed();
  ASSERT_TRUE(closed);
  HttpResponse r = http_get(closed->port(), "/env");
  EXPECT_EQ(r.status, 200u) << r;
  EXPECT_EQ(r.body, "") << "PATH, HOME, ... must never reach it";
}

TEST_F(WasiHttp, StdoutAndStderrGoToTheLogByLine) {
  ASSERT_TRUE(server_);
  EXPECT_EQ(http_get(server_->port(), "/log").body, "logged");
  EXPECT_TRUE(server_->wait_for_log("[info] [/...] stdout: out line 1\n", 2s)) << server_->log();
  EXPECT_TRUE(contains(server_->log(), "[info] [/...] stdout: out line 2\n")) << server_->log();
  EXPECT_TRUE(contains(server_->log(), "[warning] [/...] stderr: err line\n")) << server_->log();
}

TEST_F(WasiHttp, ReusedInstanceCannotUseAnEarlierRequest) {
  ServerProcess* s = serve(write_manifest("[[route]]\npath = \"/...\"\ncomponent = \"wasi-http-test.wasm\"\n"
                                          "instance = \"reuse\"\n",
                                          "reuse.toml"));
  ASSERT_TRUE(s);
  HttpClient c(s->port());  // one connection: one worker, so one kept instance
  EXPECT_EQ(c.get("/keep").body, "kept");
  HttpResponse r = c.get("/use-kept");
  EXPECT_EQ(r.status, 500u) << r;
  EXPECT_TRUE(s->wait_for_log("this wasi:http request has ended", 2s)) << s->log();
  // The trapped instance is dropped; a new one serves the connection.
  EXPECT_EQ(c.request("POST", "/echo", "fine").body, "fine");
}

TEST_F(WasiHttp, HostResourcesAreBounded) {
  ASSERT_TRUE(server_);
  // Resources live in host memory, outside the instance's 256 MiB: a component that keeps making
  // them is stopped.
  // 65,536 resources take a few seconds on a loaded machine (the pool's threads run at nice +10).
  HttpResponse r = HttpClient(server_->port(), 30s).get("/leak");
  EXPECT_EQ(r.status, 500u) << r;
  EXPECT_TRUE(server_->wait_for_log("more than 65536 WASI resources are open", 2s)) << server_->log();
  // 1 MiB of names and values per fields resource: the sixteenth 64 KiB value is refused.
  r = http_get(server_->port(), "/header-limit");
  EXPECT_EQ(r.status, 200u) << r;
  EXPECT_EQ(r.body, "refused after 15: invalid-syntax");
  EXPECT_EQ(http_request(server_->port(), "POST", "/echo", "still here").body, "still here");
}

// A reused instance whose guest keeps resources it never drops is retired between requests,
// at half the table's limit, instead of trapping in the middle of one when it reaches the limit.
TEST_F(WasiHttp, AReusedInstanceHoldingManyResourcesIsRetiredNotFailed) {
  ServerProcess* s = serve(write_manifest("[[route]]\npath = \"/hold\"\ncomponent = \"wasi-http-test.wasm\"\n"
                                          "instance = \"reuse\"\n",
                                          "hold.toml"));
  ASSERT_TRUE(s);
  HttpClient c(s->port(), 30s);  // one connection: one worker, one reused instance
  std::vector<std::string> bodies;
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = c.get("/hold?n=20000");
    EXPECT_EQ(r.status, 200u) << "request " << i << ": " << r;
    bodies.push_back(r.body);
  }
  // 20,000 then 40,000 held (past half of 65,536: retired), then a new instance: 20,000 again.
  EXPECT_EQ(bodies[0], "holding 20000");
  EXPECT_EQ(bodies[1], "holding 40000");
  EXPECT_EQ(bodies[2], "holding 20000");
  EXPECT_EQ(bodies[3], "holding 40000");
  EXPECT_EQ(bodies[4], "holding 20000");
}

// Registered through the admin API, a route gets its grants from the query: env=NAME=VALUE and
// allowed_outbound_hosts=URL (each repeatable); they are listed and survive a restart.
TEST_F(WasiHttp, AdminRegisteredRouteGetsItsGrants) {
  ASSERT_TRUE(upstream_);
  fs::path manifest = write_manifest(admin_table() + "[[route]]\npath = \"/m\"\ncomponent = \"echo.wasm\"\n", "admin.toml");
  ServerProcess* s = serve(manifest);
  ASSERT_TRUE(s);
  std::string component = read_file(dir() / "wasi-http-test.wasm");
  std::string up = std::to_string(upstream_->port());
  auto post = [&](const std::string& query) {
    return http_request(s->admin_port(), "POST", "/handler?route=/..." + query, component, bearer());
  };
  EXPECT_EQ(post("&allowed_outbound_hosts=ftp://x").status, 400u);
  EXPECT_EQ(post("&env=NOVALUE").status, 400u);
  HttpResponse r = post("&env=GREETING=yo&env=X=a%3Db&allowed_outbound_hosts=http://127.0.0.1:" + up);
  ASSERT_EQ(r.status, 201u) << r;
  json j = json::parse(r.body);
  EXPECT_EQ(j["env"], json({"GREETING", "X"})) << r.body;
  EXPECT_EQ(j["allowed_outbound_hosts"], json({"http://127.0.0.1:" + up})) << r.body;

  for (int run = 0; run < 2; ++run) {
    SCOPED_TRACE(run == 0 ? "registered" : "restored after a restart");
    EXPECT_EQ(http_get(s->port(), "/env").body, "GREETING=yo\nX=a=b\n");
    HttpResponse allowed = http_get(s->port(), "/fetch?url=http://127.0.0.1:" + up + "/a");
    EXPECT_EQ(allowed.status, 200u) << allowed;
    EXPECT_TRUE(allowed.body.starts_with("upstream 200: GET /a\n")) << allowed;
    HttpResponse denied = http_get(s->port(), "/fetch?url=http://127.0.0.1:" + std::to_string(unused_port_) + "/");
    EXPECT_TRUE(denied.body.starts_with("error: HTTP-request-denied\n")) << denied;
    if (run == 0) {
      stop_cleanly(*s);
      s = serve(manifest);
      ASSERT_TRUE(s);
    }
  }
}

class WasiFiles : public WitserveTest {
 protected:
  void SetUp() override {
    copy_handler("wasi-fs-c.wasm");
    fs::create_directories(dir() / "static/sub");
    fs::create_directories(dir() / "outside");
    fs::create_directories(dir() / "scratch");
    write_file(dir() / "static/a.txt", "file a\n");
    write_file(dir() / "static/sub/b.txt", "file b\n");
    write_file(dir() / "outside/secret.txt", "secret\n");
    fs::create_symlink("../outside/secret.txt", dir() / "static/link.txt");
    fs::create_symlink(dir() / "outside", dir() / "static/abs-link");
    server_ = serve_text(
        "[[route]]\npath = \"/...\"\ncomponent = \"wasi-fs-c.wasm\"\nenv = { GREETING = \"hey\" }\n"
        "dirs = [{ host = \"static\", guest = \"/static\" }, { host = \"scratch\", guest = \"/scratch\", writable = true }]\n");
  }
  // What the handler answers for GET `target`, status and body.
  std::pair<unsigned, std::string> get(const std::string& target) {
    HttpResponse r = http_get(server_->port(), target);
    return {r.status, r.body};
  }
  ServerProcess* server_ = nullptr;
};

TEST_F(WasiFiles, GrantedDirectoryIsReadable) {
  ASSERT_TRUE(server_);
  EXPECT_EQ(get("/read?f=/static/a.txt"), std::make_pair(200u, std::string("file a\n")));
  EXPECT_EQ(get("/read?f=/static/sub/b.txt"), std::make_pair(200u, std::string("file b\n")));
  EXPECT_EQ(get("/read?f=/static/sub/../a.txt"), std::make_pair(200u, std::string("file a\n")));
  EXPECT_EQ(get("/list?d=/static"), std::make_pair(200u, std::string("a.txt\nabs-link\nlink.txt\nsub\n")));
  EXPECT_EQ(get("/read?f=/static/none.txt").first, 404u);
}

TEST_F(WasiFiles, NoPathEscapesTheGrantedDirectory) {
  ASSERT_TRUE(server_);
  for (const char* target : {"/read?f=/static/../outside/secret.txt", "/read?f=/static/link.txt",
                             "/read?f=/static/abs-link/secret.txt", "/read?f=/static/sub/../../outside/secret.txt",
                             "/read?f=/outside/secret.txt", "/read?f=/etc/passwd", "/list?d=/static/.."}) {
    auto [status, body] = get(target);
    EXPECT_EQ(status, 404u) << target << ": " << body;
    EXPECT_TRUE(body.starts_with("errno ")) << target << ": " << body;
    EXPECT_FALSE(contains(body, "secret")) << target;
    EXPECT_FALSE(contains(body, "root:")) << target;
  }
}

TEST_F(WasiFiles, ReadOnlyUnlessWritable) {
  ASSERT_TRUE(server_);
  HttpResponse r = http_request(server_->port(), "POST", "/write?f=/static/new.txt", "data");
  EXPECT_EQ(r.status, 403u) << r;
  EXPECT_FALSE(fs::exists(dir() / "static/new.txt"));
  r = http_request(server_->port(), "POST", "/write?f=/static/a.txt", "overwritten");
  EXPECT_EQ(r.status, 403u) << r;
  EXPECT_EQ(read_file(dir() / "static/a.txt"), "file a\n");

  r = http_request(server_->port(), "POST", "/write?f=/scratch/new.txt", "data");
  EXPECT_EQ(r.status, 201u) << r;
  EXPECT_EQ(r.body, "wrote 4 bytes\n");
  EXPECT_EQ(read_file(dir() / "scratch/new.txt"), "data");
  r = http_request(server_->port(), "POST", "/write?f=/scratch/../outside/new.txt", "data");
  EXPECT_NE(r.status, 201u) << r;
  EXPECT_FALSE(fs::exists(dir() / "outside/new.txt"));
}

TEST_F(WasiFiles, NothingWithoutAGrant) {
  ASSERT_TRUE(server_);
  EXPECT_EQ(get("/env"), std::make_pair(200u, std::string("GREETING=hey\nvariables: 1\n")));
  // The same component on a route that grants nothing (a server of its own: it answers by path).
  ServerProcess* bare = serve(write_manifest("[[route]]\npath = \"/...\"\ncomponent = \"wasi-fs-c.wasm\"\n", "bare.toml"));
  ASSERT_TRUE(bare);
  HttpResponse r = http_get(bare->port(), "/read?f=/static/a.txt");
  EXPECT_EQ(r.status, 404u) << r;
  EXPECT_TRUE(r.body.starts_with("errno ")) << r;
  EXPECT_EQ(http_get(bare->port(), "/env").body, "GREETING=(unset)\nvariables: 0\n");
  EXPECT_TRUE(http_get(bare->port(), "/list?d=/").body.starts_with("errno ")) << "no directory at all";
}

TEST_F(WasiFiles, PrintfGoesToTheLog) {
  ASSERT_TRUE(server_);
  EXPECT_EQ(get("/print"), std::make_pair(200u, std::string("printed\n")));
  EXPECT_TRUE(server_->wait_for_log("[/...] stdout: wasi-fs-c: stdout line 2\n", 2s)) << server_->log();
  EXPECT_TRUE(contains(server_->log(), "[/...] stdout: wasi-fs-c: stdout line 1\n"));
  EXPECT_TRUE(contains(server_->log(), "[/...] stderr: wasi-fs-c: stderr line\n"));
}

}  // namespace
}  // namespace witserve::itest
