// Bad handlers and bad clients: traps, invalid responses, deadlines, malformed HTTP, oversized
// bodies; and handlers that test the runtime's edges (fresh instances, big bodies, structural
// world matching).
#include <future>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

class HandlerFailures : public WitserveTest {
 protected:
  void SetUp() override {
    for (const char* h : {"echo.wasm", "trap.wasm", "bad-status.wasm", "bad-header.wasm", "loop.wasm", "alloc.wasm"})
      copy_handler(h);
    server_ = serve_text(
        "[server]\ndeadline = \"400ms\"\n"
        "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\ndeadline = \"10s\"\n"
        "[[route]]\npath = \"/trap\"\ncomponent = \"trap.wasm\"\n"
        "[[route]]\npath = \"/bad-status\"\ncomponent = \"bad-status.wasm\"\n"
        "[[route]]\npath = \"/bad-header\"\ncomponent = \"bad-header.wasm\"\n"
        "[[route]]\npath = \"/loop\"\ncomponent = \"loop.wasm\"\ndeadline = \"500ms\"\n"
        "[[route]]\npath = \"/loop-default\"\ncomponent = \"loop.wasm\"\n"
        "[[route]]\npath = \"/alloc\"\ncomponent = \"alloc.wasm\"\ndeadline = \"10s\"\n");
  }
  // The server still answers, on every worker (fresh connections spread over both).
  void expect_still_serving() {
    for (int i = 0; i < 4; ++i) {
      HttpResponse r = http_get(server_->port(), "/echo");
      EXPECT_EQ(r.status, 200u) << r;
      EXPECT_TRUE(r.body.starts_with("GET /echo\n")) << r;
    }
  }
  ServerProcess* server_ = nullptr;
};

TEST_F(HandlerFailures, TrapIs500AndTheServerKeepsServing) {
  ASSERT_TRUE(server_);
  HttpClient c(server_->port());
  for (int i = 0; i < 6; ++i) {
    HttpResponse r = c.get("/trap?i=" + std::to_string(i));
    EXPECT_EQ(r.status, 500u);
    EXPECT_EQ(r.body, "the handler failed (trap)\n");
    EXPECT_EQ(r.header("content-type"), kTextPlain);
    EXPECT_TRUE(r.keep_alive) << "a trap does not cost the client its connection";
    // The same worker serves the next request (on this connection) normally.
    EXPECT_EQ(c.get("/echo").status, 200u);
  }
  expect_still_serving();
  EXPECT_TRUE(server_->wait_for_log("[error] [/trap] GET /trap?i=0: trap: unreachable\n", 2s)) << server_->log();
  EXPECT_EQ(count_of(server_->log(), "[/trap] GET /trap?i="), 6u);
}

TEST_F(HandlerFailures, InvalidStatusIs500) {
  ASSERT_TRUE(server_);
  HttpResponse r = http_get(server_->port(), "/bad-status");
  EXPECT_EQ(r.status, 500u) << r;
  EXPECT_EQ(r.body, "the handler returned an invalid response\n");
  EXPECT_FALSE(contains(r.body, "bad status")) << "the handler's body is not sent";
  EXPECT_TRUE(server_->wait_for_log("[/bad-status] GET /bad-status: the handler returned an invalid response: invalid status 1000\n", 2s))
      << server_->log();
  expect_still_serving();
}

TEST_F(HandlerFailures, InvalidHeaderIs500AndNothingIsInjected) {
  ASSERT_TRUE(server_);
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.send("GET /bad-header HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  std::string got = raw.read_to_eof();
  EXPECT_TRUE(got.starts_with("HTTP/1.1 500 Internal Server Error\r\n")) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nthe handler returned an invalid response\n")) << got;
  EXPECT_FALSE(contains(got, "bad name")) << got;
  EXPECT_FALSE(contains(got, "bad header")) << got;
  EXPECT_TRUE(server_->wait_for_log(
      "[/bad-header] GET /bad-header: the handler returned an invalid response: invalid header name 'bad name\\x0d\\x0a'\n", 2s))
      << server_->log();
  expect_still_serving();
}

// The deadline stops a handler that never returns: 504, connection closed, and the worker (its
// engine store) goes on serving.
TEST_F(HandlerFailures, DeadlineIs504AndTheWorkerRecovers) {
  ASSERT_TRUE(server_);
  auto timed_get = [&](std::string_view target) {
    auto t0 = Clock::now();
    HttpResponse r = http_get(server_->port(), target);
    return std::pair{r, Clock::now() - t0};
  };
  auto [r, took] = timed_get("/loop");
  EXPECT_EQ(r.status, 504u) << r;
  EXPECT_EQ(r.body, "the handler did not answer in time\n");
  EXPECT_EQ(r.header("content-type"), kTextPlain);
  EXPECT_FALSE(r.keep_alive) << "the connection is closed after a 504";
  EXPECT_GE(took, 490ms);
  EXPECT_LT(took, 1500ms) << "deadline 500 ms plus slack";
  expect_still_serving();

  // The server's deadline applies to a route without its own.
  auto [d, dtook] = timed_get("/loop-default");
  EXPECT_EQ(d.status, 504u) << d;
  EXPECT_GE(dtook, 390ms);
  EXPECT_LT(dtook, 1400ms);

  // Both workers stuck at once: both stopped, both recover.
  auto a = std::async(std::launch::async, [&] { return timed_get("/loop"); });
  auto b = std::async(std::launch::async, [&] { return timed_get("/loop"); });
  auto ra = a.get(), rb = b.get();
  EXPECT_EQ(ra.first.status, 504u);
  EXPECT_EQ(rb.first.status, 504u);
  EXPECT_LT(std::max(ra.second, rb.second), 2500ms);
  expect_still_serving();
  EXPECT_TRUE(server_->wait_for_log("[/loop] GET /loop: deadline of 500 ms passed; the handler was stopped", 1s))
      << server_->log();
  EXPECT_TRUE(server_->wait_for_log("[/loop-default] GET /loop-default: deadline of 400 ms passed", 1s))
      << server_->log();
}

// A handler that allocates until memory.grow fails traps; the server survives it.
TEST_F(HandlerFailures, AllocatingWithoutBoundIs500) {
  ASSERT_TRUE(server_);
  for (int i = 0; i < 2; ++i) {
    HttpResponse r = http_get(server_->port(), "/alloc");
    EXPECT_EQ(r.status, 500u) << r;
    EXPECT_EQ(r.body, "the handler failed (trap)\n");
  }
  expect_still_serving();
  // The instances' memory is released: resident memory stays far below what they reserved.
  std::ifstream status("/proc/" + std::to_string(server_->pid()) + "/status");
  std::string line;
  long rss_kb = -1;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) rss_kb = std::stol(line.substr(6));
  EXPECT_GT(rss_kb, 0);
  EXPECT_LT(rss_kb, 512 * 1024) << "VmRSS " << rss_kb << " kB";
}

class BadHttp : public WitserveTest {
 protected:
  void SetUp() override {
    copy_handler("echo.wasm");
    server_ = serve_text(
        "[server]\nmax_body = \"1KiB\"\n"
        "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n");
  }
  // Sends `bytes` on a fresh connection and returns all the server sends before it closes.
  std::string exchange(std::string_view bytes) {
    RawConnection raw(server_->port());
    raw.send(bytes);
    std::string got = raw.read_to_eof(5s);
    EXPECT_TRUE(raw.eof()) << "the server keeps the connection open after:\n" << got;
    return got;
  }
  ServerProcess* server_ = nullptr;
};

TEST_F(BadHttp, MalformedRequestsAre400) {
  ASSERT_TRUE(server_);
  for (std::string_view bad : {
           std::string_view("GARBAGE\r\n\r\n"),
           std::string_view("GET\r\n\r\n"),
           std::string_view("GET /echo HTTP/1.1 extra\r\nHost: h\r\n\r\n"),
           std::string_view("GET /echo HTTX/1.1\r\nHost: h\r\n\r\n"),
           std::string_view("GET /echo HTTP/1.1\r\nBad Header\r\n\r\n"),
           std::string_view("GET /echo HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n"),
           std::string_view("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
       }) {
    SCOPED_TRACE(std::string(bad));
    std::string got = exchange(bad);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << got;
    EXPECT_TRUE(contains(got, "\r\nConnection: close\r\n")) << got;
  }
  EXPECT_FALSE(contains(server_->log(), "[/echo]")) << "no handler ran";
  EXPECT_EQ(http_get(server_->port(), "/echo").status, 200u);
}

// RFC 9112 6.3: a request whose Transfer-Encoding does not end in chunked has no reliable length;
// the server MUST answer 400 and close. Taking its body as empty instead lets the body be read as
// the next request on the connection (request smuggling behind a proxy that frames it otherwise).
TEST_F(BadHttp, TransferEncodingWithoutChunkedIs400) {
  ASSERT_TRUE(server_);
  std::string got = exchange(
      "POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"
      "GET /echo?smuggled HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << got;
  EXPECT_FALSE(contains(got, "GET /echo?smuggled\n")) << "the body was served as a second request:\n" << got;
  EXPECT_EQ(count_of(got, "HTTP/1.1 "), 1u) << got;
}

// Requests smuggling a second length are refused.
TEST_F(BadHttp, AmbiguousLengthsAre400) {
  ASSERT_TRUE(server_);
  for (std::string_view bad : {
           std::string_view("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "0\r\n\r\nGET /echo?smuggled HTTP/1.1\r\nHost: h\r\n\r\n"),
           std::string_view("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
       }) {
    std::string got = exchange(bad);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 400 Bad Request\r\n")) << got;
    EXPECT_FALSE(contains(got, "smuggled")) << got;
  }
}

// RFC 9112 3.2.2: "A server MUST accept the absolute-form in requests"; routing uses its path.
TEST_F(BadHttp, AbsoluteFormTargetIsRouted) {
  ASSERT_TRUE(server_);
  std::string got = exchange("GET http://h/echo?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
}

TEST_F(BadHttp, BodyOverMaxBodyIs413) {
  ASSERT_TRUE(server_);
  // Exactly the limit is fine.
  HttpResponse ok = http_request(server_->port(), "POST", "/echo", std::string(1024, 'a'));
  EXPECT_EQ(ok.status, 200u) << ok;
  EXPECT_EQ(ok.header("x-echo-body-length"), "1024");

  // One byte over, announced by Content-Length: refused from the head alone.
  std::string over = exchange("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n");
  EXPECT_TRUE(over.starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << over;
  EXPECT_TRUE(over.ends_with("\r\n\r\nrequest body over the size limit\n")) << over;

  // Over the limit in chunks.
  std::string chunked = exchange("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 "200\r\n" + std::string(512, 'a') + "\r\n"
                                 "201\r\n" + std::string(513, 'b') + "\r\n0\r\n\r\n");
  EXPECT_TRUE(chunked.starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << chunked;

  // Through Beast, body and all.
  HttpResponse big = http_request(server_->port(), "POST", "/echo", std::string(1025, 'a'));
  EXPECT_EQ(big.status, 413u);
  EXPECT_FALSE(big.keep_alive);
  EXPECT_FALSE(contains(server_->log(), "[/echo]"));
  EXPECT_EQ(http_get(server_->port(), "/echo").status, 200u);
}

TEST_F(BadHttp, HugeHeaderIs431) {
  ASSERT_TRUE(server_);
  std::string got = exchange("GET /echo HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(20 * 1024, 'h') + "\r\n\r\n");
  EXPECT_TRUE(got.starts_with("HTTP/1.1 431 ")) << got.substr(0, 200);
  EXPECT_EQ(http_get(server_->port(), "/echo").status, 200u);
}

TEST_F(BadHttp, Expect100Continue) {
  ASSERT_TRUE(server_);
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  std::string interim = raw.read_until("\r\n\r\n", 3s);
  ASSERT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(raw.send("hello"));
  std::string got = raw.read_until("hello", 3s);
  EXPECT_TRUE(contains(got, "HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(got.ends_with("POST /echo\nHost: h\nExpect: 100-continue\nContent-Length: 5\n\nhello")) << got;

  // Too big for the limit: refused before the client sends the body.
  RawConnection big(server_->port());
  ASSERT_TRUE(big.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4096\r\n\r\n"));
  std::string refused = big.read_to_eof(3s);
  EXPECT_TRUE(refused.starts_with("HTTP/1.1 413 ")) << refused;

  // Other expectations are refused.
  RawConnection odd(server_->port());
  ASSERT_TRUE(odd.send("POST /echo HTTP/1.1\r\nHost: h\r\nExpect: something\r\nContent-Length: 1\r\n\r\nx"));
  EXPECT_TRUE(odd.read_to_eof(3s).starts_with("HTTP/1.1 417 ")) << odd.received();
}

class Handlers : public WitserveTest {};

// Every request gets a fresh instance: the counter's global is always 1.
TEST_F(Handlers, FreshInstancePerRequest) {
  copy_handler("counter.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/count\"\ncomponent = \"counter.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  for (int i = 0; i < 8; ++i) {
    HttpResponse r = c.get("/count");
    ASSERT_EQ(r.status, 200u);
    ASSERT_EQ(r.body, "1") << "request " << i;
    ASSERT_EQ(r.header("content-type"), kTextPlain);
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(http_get(s->port(), "/count").body, "1");
}

// big.wasm: N bytes of 'x' (1 MiB without ?n=).
TEST_F(Handlers, BigResponseArrivesIntact) {
  copy_handler("big.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/big\"\ncomponent = \"big.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  HttpResponse r = c.get("/big");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.header("content-length"), "1048576");
  ASSERT_EQ(r.body.size(), 1048576u);
  EXPECT_EQ(r.body.find_first_not_of('x'), std::string::npos);
  EXPECT_EQ(c.get("/big?n=10").body, "xxxxxxxxxx");
  HttpResponse empty = c.get("/big?n=0");
  EXPECT_EQ(empty.status, 200u);
  EXPECT_EQ(empty.body, "");
  EXPECT_EQ(empty.header("content-length"), "0");
  HttpResponse larger = c.get("/big?a=1&n=3000000");
  ASSERT_EQ(larger.body.size(), 3000000u);
  EXPECT_EQ(larger.body.find_first_not_of('x'), std::string::npos);
  EXPECT_EQ(c.connects(), 1);
}

// A component whose records come from another package, version and interface, importing no host.
TEST_F(Handlers, OtherPackageIsServed) {
  copy_handler("other-package.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/other/...\"\ncomponent = \"other-package.wasm\"\n");
  ASSERT_TRUE(s);
  HttpResponse r = http_request(s->port(), "DELETE", "/other/x?y=1");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "other:pkg DELETE /other/x?y=1\n");
  EXPECT_EQ(r.header("content-type"), kTextPlain);
}

}  // namespace
}  // namespace witserve::itest
