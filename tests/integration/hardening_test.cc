// What a handler or a client sends must never take the server down or hold it: responses the
// HTTP rules forbid (a body with 204/304, an interim status as the final one, header fields too
// large for the wire), requests without exactly one Host, clients that stop reading a streamed
// response, and running out of file descriptors. Both handler worlds: the C handler world
// (tests/handlers/respond.c) and wasi:http (tests/handlers/wasi-http-test, /respond and /big).
#include <future>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

class ResponseRules : public WitserveTest {
 protected:
  void SetUp() override {
    copy_handler("respond.wasm");
    copy_handler("wasi-http-test.wasm");
    copy_handler("echo.wasm");
    server_ = serve_text(
        "[[route]]\npath = \"/c\"\ncomponent = \"respond.wasm\"\n"
        "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n"
        "[[route]]\npath = \"/respond\"\ncomponent = \"wasi-http-test.wasm\"\n");
  }
  // The path of the route that answers `query` in `world` ("c" or "js").
  static std::string target(std::string_view world, std::string_view query) {
    return world == "c" ? "/c?" + std::string(query) : "/respond?" + std::string(query);
  }
  // Sends one request on a raw connection and reads the whole response (the server closes it).
  std::string raw_exchange(std::string_view path) {
    RawConnection raw(server_->port());
    EXPECT_TRUE(raw.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
    return raw.read_to_eof();
  }
  void expect_still_serving() {
    for (int i = 0; i < 4; ++i) EXPECT_EQ(http_get(server_->port(), "/echo").status, 200u);
  }
  ServerProcess* server_ = nullptr;
};

TEST_F(ResponseRules, NoContentWithABodyIsSentWithoutIt) {
  ASSERT_TRUE(server_);
  for (std::string world : {"c", "js"}) {
    for (std::string extra : {"", "&stream=1"}) {
      if (world == "c" && !extra.empty()) continue;  // the handler world does not stream
      SCOPED_TRACE(world + extra);
      std::string got = raw_exchange(target(world, "status=204&body=should-not-be-sent" + extra));
      EXPECT_TRUE(got.starts_with("HTTP/1.1 204 No Content\r\n")) << got;
      EXPECT_TRUE(got.ends_with("\r\n\r\n")) << "no body after the head:\n" << got;
      EXPECT_FALSE(contains(got, "should-not-be-sent")) << got;
      std::string lower = got;
      for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_FALSE(contains(lower, "content-length")) << "RFC 9110 8.6: never with a 204\n" << got;
      EXPECT_FALSE(contains(lower, "transfer-encoding")) << got;

      got = raw_exchange(target(world, "status=304&body=should-not-be-sent" + extra));
      EXPECT_TRUE(got.starts_with("HTTP/1.1 304 Not Modified\r\n")) << got;
      EXPECT_TRUE(got.ends_with("\r\n\r\n")) << got;
      EXPECT_FALSE(contains(got, "should-not-be-sent")) << got;
    }
  }
  // The connection stays in step: a 204 then another request on the same connection.
  HttpClient c(server_->port());
  EXPECT_EQ(c.get(target("c", "status=204&body=x")).status, 204u);
  HttpResponse r = c.get("/echo");
  EXPECT_EQ(r.status, 200u) << r;
  EXPECT_TRUE(r.body.starts_with("GET /echo\n")) << r;
  EXPECT_EQ(c.connects(), 1);
  expect_still_serving();
}

TEST_F(ResponseRules, InterimStatusIsNotAFinalResponse) {
  ASSERT_TRUE(server_);
  for (std::string world : {"c", "js"}) {
    for (std::string status : {"100", "101", "199"}) {
      SCOPED_TRACE(world + " " + status);
      std::string got = raw_exchange(target(world, "status=" + status + "&body=interim"));
      EXPECT_TRUE(got.starts_with("HTTP/1.1 500 Internal Server Error\r\n")) << got;
      EXPECT_EQ(count_of(got, "HTTP/1.1 "), 1u) << "exactly one response\n" << got;
      EXPECT_FALSE(contains(got, "interim")) << got;
    }
  }
  expect_still_serving();
}

TEST_F(ResponseRules, HeaderFieldsTooLargeFor64KiBAre500) {
  ASSERT_TRUE(server_);
  for (std::string world : {"c", "js"}) {
    for (std::string q : {"hlen=65534", "hlen=70000", "nlen=65534", "nlen=70000", "hlen=70000&stream=1"}) {
      if (world == "c" && contains(q, "stream")) continue;
      SCOPED_TRACE(world + " " + q);
      std::string got = raw_exchange(target(world, q + "&body=big-head"));
      EXPECT_TRUE(got.starts_with("HTTP/1.1 500 Internal Server Error\r\n")) << got.substr(0, 200);
      EXPECT_LT(got.size(), 1024u) << "the oversized field is not sent";
    }
    // Large but within the limit: served as given.
    std::string got = raw_exchange(target(world, "hlen=30000&body=ok"));
    EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got.substr(0, 200);
    EXPECT_TRUE(contains(got, "\r\nx-big: " + std::string(30000, 'h') + "\r\n"));
    EXPECT_TRUE(got.ends_with("\r\n\r\nok")) << got.substr(got.size() - 50);
  }
  expect_still_serving();
  EXPECT_TRUE(server_->running());
}

// wasi:http fields take no value the response path would refuse: the same rule on both sides.
TEST_F(ResponseRules, FieldsRefuseControlCharactersAsTheResponsePathDoes) {
  ASSERT_TRUE(server_);
  HttpResponse r = http_get(server_->port(), "/respond?ctl=1");
  EXPECT_EQ(r.status, 200u) << r;
  EXPECT_EQ(r.body, "refused: invalid-syntax");
}

class RequestRules : public WitserveTest {};

TEST_F(RequestRules, ExactlyOneHostInHttp11) {
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/...\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  auto exchange = [&](std::string_view request) {
    RawConnection raw(s->port());
    EXPECT_TRUE(raw.send(request));
    return raw.read_to_eof();
  };
  std::string none = exchange("GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(none.starts_with("HTTP/1.1 400 Bad Request\r\n")) << none;
  std::string two = exchange("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(two.starts_with("HTTP/1.1 400 Bad Request\r\n")) << two;
  std::string one = exchange("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(one.starts_with("HTTP/1.1 200 OK\r\n")) << one;
  // HTTP/1.0 predates Host: none is fine, two are not.
  std::string old = exchange("GET /x HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(old.starts_with("HTTP/1.1 200 OK\r\n")) << old;
  std::string old_two = exchange("GET /x HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_TRUE(old_two.starts_with("HTTP/1.1 400 Bad Request\r\n")) << old_two;
}

// A client that asks for a large streamed response and never reads it holds a worker only until
// the route's deadline, not for the server's 30 s timeouts.
TEST_F(RequestRules, AClientThatStopsReadingIsCutAtTheDeadline) {
  copy_handler("wasi-http-test.wasm");
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text(
      "[[route]]\npath = \"/big\"\ncomponent = \"wasi-http-test.wasm\"\ndeadline = \"1s\"\n"
      "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  // Two stalled clients: enough to occupy both workers whichever way connections are spread.
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 4; ++i) {
    stalled.push_back(std::make_unique<RawConnection>(s->port()));
    ASSERT_TRUE(stalled.back()->send("GET /big?kb=262144 HTTP/1.1\r\nHost: h\r\n\r\n"));
  }
  std::this_thread::sleep_for(200ms);  // let them start streaming and fill the socket buffers
  auto t0 = Clock::now();
  for (int i = 0; i < 4; ++i) {
    HttpResponse r = http_get(s->port(), "/echo");
    EXPECT_EQ(r.status, 200u) << r;
  }
  auto took = Clock::now() - t0;
  EXPECT_LT(took, 6s) << "four stalled 1 s streams, at most two per worker, then normal service";
  // The stalled connections were cut: each sees the end of its stream without having read it all.
  for (auto& c : stalled) {
    c->read_to_eof(10s);
    EXPECT_TRUE(c->eof());
    EXPECT_LT(c->received().size(), size_t(262144) * 1024);
  }
}

// Out of file descriptors: the accept loop backs off instead of spinning, logs rarely, and the
// server serves again once descriptors are free.
TEST_F(RequestRules, OutOfFileDescriptorsBacksOff) {
  copy_handler("echo.wasm");
  ServerProcess& s = spawn({"serve", write_manifest("[[route]]\npath = \"/...\"\ncomponent = \"echo.wasm\"\n").string(),
                            "--listen", "127.0.0.1:0", "--threads", "2", "--data-dir", data_dir().string()},
                           {}, {}, 128);
  auto ready = s.wait_ready(false);
  ASSERT_TRUE(ready) << ready.message();
  ASSERT_EQ(http_get(s.port(), "/x").status, 200u);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 200; ++i) idle.push_back(std::make_unique<RawConnection>(s.port()));
  auto cpu_seconds = [&] {
    std::ifstream stat("/proc/" + std::to_string(s.pid()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i)
      if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    return ticks / double(sysconf(_SC_CLK_TCK));
  };
  std::this_thread::sleep_for(300ms);
  double before = cpu_seconds();
  std::this_thread::sleep_for(2s);
  double used = cpu_seconds() - before;
  EXPECT_LT(used, 0.5) << "CPU seconds used in 2 s while out of descriptors";
  EXPECT_TRUE(s.wait_for_log("accept failed: Too many open files", 2s)) << s.log();
  EXPECT_LE(count_of(s.log(), "accept failed"), 4u) << "logged at most once per interval per worker";
  idle.clear();
  HttpResponse r;
  for (int i = 0; i < 50; ++i) {  // the idle ones close on their side; the server catches up
    r = http_get(s.port(), "/x");
    if (r.status == 200) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(r.status, 200u) << r;
  EXPECT_TRUE(s.running());
}

}  // namespace
}  // namespace witserve::itest
