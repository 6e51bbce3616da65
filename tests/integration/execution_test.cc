// No handler can stall another (issue 10 item 4): handlers that loop (tests/handlers/loop.c) or
// wait in the host (wasi-sleep.c: wasi:clocks through the preview1 adapter; wasi-http-test's
// /fetch: outgoing wasi:http to a slow upstream) run on execution threads, so other routes answer
// at once even with a single I/O thread; and admission is bounded: a route's max_concurrency and
// a full execution pool answer 503 with Retry-After.
#include <future>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

class Execution : public WitserveTest {
 protected:
  // `witserve serve` with the manifest text, one I/O thread (the case where a handler on the I/O
  // thread would stall every other connection), no admin listener.
  ServerProcess* serve_one_thread(std::string_view manifest_text) {
    ServerProcess& s = spawn({"serve", write_manifest(manifest_text).string(), "--listen", "127.0.0.1:0", "--threads",
                              "1", "--data-dir", data_dir().string()});
    auto ready = s.wait_ready(false);
    if (!ready) {
      ADD_FAILURE() << ready.message();
      return nullptr;
    }
    return &s;
  }
  static std::string manifest_without_admin(std::string_view routes) {
    return "[admin]\nenabled = false\n" + std::string(routes);
  }
  // A GET on a fresh connection, timed.
  static std::pair<HttpResponse, Clock::duration> timed_get(uint16_t port, std::string_view target) {
    auto start = Clock::now();
    HttpResponse r = http_get(port, target);
    return {r, Clock::now() - start};
  }
  static long ms(Clock::duration d) { return long(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); }
};

// Four looping handlers (3 s deadline) and four sleeping ones (2 s) in flight on a server with
// one I/O thread: another route answers each of ten requests well before any of them ends.
// (Before the execution pool, the same requests waited for the loops' deadlines: 2.7-5.7 s.)
TEST_F(Execution, LoopingAndWaitingHandlersDoNotDelayOtherRoutes) {
  copy_handler("loop.wasm");
  copy_handler("wasi-sleep.wasm");
  copy_handler("echo.wasm");
  ServerProcess* s = serve_one_thread(manifest_without_admin(
      "[[route]]\npath = \"/loop\"\ncomponent = \"loop.wasm\"\ndeadline = \"3s\"\n"
      "[[route]]\npath = \"/sleep\"\ncomponent = \"wasi-sleep.wasm\"\n"
      "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n"));
  ASSERT_TRUE(s);
  uint16_t port = s->port();
  std::vector<std::future<std::pair<HttpResponse, Clock::duration>>> slow;
  auto start = Clock::now();
  for (int i = 0; i < 4; ++i) slow.push_back(std::async(std::launch::async, timed_get, port, "/loop"));
  for (int i = 0; i < 4; ++i) slow.push_back(std::async(std::launch::async, timed_get, port, "/sleep?ms=2000"));
  std::this_thread::sleep_for(300ms);  // they have arrived and are running
  for (int i = 0; i < 10; ++i) {
    auto [r, took] = timed_get(port, "/echo?i=" + std::to_string(i));
    EXPECT_EQ(r.status, 200u) << r;
    EXPECT_TRUE(r.body.starts_with("GET /echo?i=" + std::to_string(i) + "\n")) << r;
    EXPECT_LT(ms(took), 1000) << "request " << i << " waited for a handler of another route";
  }
  auto others_done = Clock::now() - start;
  EXPECT_LT(ms(others_done), 1900) << "the other route's requests all ended before the first slow one could";
  for (int i = 0; i < 8; ++i) {
    auto [r, took] = slow[size_t(i)].get();
    if (i < 4) {
      EXPECT_EQ(r.status, 504u) << r;  // stopped at its deadline
      EXPECT_GE(ms(took), 2900);
    } else {
      EXPECT_EQ(r.status, 200u) << r;
      EXPECT_EQ(r.body, "slept 2000 ms\n");
      EXPECT_GE(ms(took), 1990);
      // They slept side by side, not one after another.
      EXPECT_LT(ms(took), 3900);
    }
  }
}

// Outgoing wasi:http to a slow upstream (another witserve whose handler sleeps 1.5 s) waits on an
// execution thread: the I/O thread keeps answering.
TEST_F(Execution, OutgoingRequestDoesNotDelayOtherRoutes) {
  copy_handler("wasi-sleep.wasm");
  copy_handler("wasi-http-test.wasm");
  copy_handler("echo.wasm");
  ServerProcess* upstream = serve_one_thread(
      manifest_without_admin("[[route]]\npath = \"/...\"\ncomponent = \"wasi-sleep.wasm\"\n"));
  ASSERT_TRUE(upstream);
  std::string up = "http://127.0.0.1:" + std::to_string(upstream->port());
  ServerProcess& s = spawn({"serve",
                            write_manifest(manifest_without_admin(
                                               "[[route]]\npath = \"/fetch\"\ncomponent = \"wasi-http-test.wasm\"\n"
                                               "allowed_outbound_hosts = [\"" + up + "\"]\n"
                                               "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n"),
                                           "main.toml")
                                .string(),
                            "--listen", "127.0.0.1:0", "--threads", "1", "--data-dir", data_dir().string()});
  auto ready = s.wait_ready(false);
  ASSERT_TRUE(ready) << ready.message();
  auto fetch = std::async(std::launch::async, timed_get, s.port(), "/fetch?url=" + up + "/slow?ms=1500");
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 5; ++i) {
    auto [r, took] = timed_get(s.port(), "/echo");
    EXPECT_EQ(r.status, 200u) << r;
    EXPECT_LT(ms(took), 700) << "request " << i << " waited for the outgoing request";
  }
  auto [r, took] = fetch.get();
  EXPECT_EQ(r.status, 200u) << r;
  EXPECT_EQ(r.body, "upstream 200: slept 1500 ms\n") << r;
  EXPECT_GE(ms(took), 1490);
}

// A route's max_concurrency: requests past it are answered 503 with Retry-After at once, and
// admitted again once the ones in flight are done. Other routes are not limited by it.
TEST_F(Execution, RouteMaxConcurrencyAnswers503WithRetryAfter) {
  copy_handler("wasi-sleep.wasm");
  copy_handler("echo.wasm");
  ServerProcess* s = serve(write_manifest(
      "[[route]]\npath = \"/sleep\"\ncomponent = \"wasi-sleep.wasm\"\nmax_concurrency = 2\n"
      "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n"));
  ASSERT_TRUE(s);
  uint16_t port = s->port();
  auto a = std::async(std::launch::async, timed_get, port, "/sleep?ms=1500");
  auto b = std::async(std::launch::async, timed_get, port, "/sleep?ms=1500");
  std::this_thread::sleep_for(400ms);
  auto [refused, took] = timed_get(port, "/sleep?ms=10");
  EXPECT_EQ(refused.status, 503u) << refused;
  EXPECT_EQ(refused.header("retry-after"), "1") << refused;
  EXPECT_LT(ms(took), 500) << "refused at once, not after waiting";
  EXPECT_EQ(http_get(port, "/echo").status, 200u) << "another route is not limited";
  EXPECT_EQ(a.get().first.status, 200u);
  EXPECT_EQ(b.get().first.status, 200u);
  auto [again, _] = timed_get(port, "/sleep?ms=10");
  EXPECT_EQ(again.status, 200u) << again;
  EXPECT_EQ(again.body, "slept 10 ms\n");
}

// A full execution pool: one execution thread (server.max_executors = 1) and one place in the
// queue (server.max_queue = 1). A first request runs, a second waits in the queue and runs next,
// a third is answered 503 with Retry-After at once.
TEST_F(Execution, FullPoolAnswers503WithRetryAfter) {
  copy_handler("wasi-sleep.wasm");
  ServerProcess* s = serve(write_manifest(
      "[server]\nmax_executors = 1\nmax_queue = 1\n"
      "[[route]]\npath = \"/sleep\"\ncomponent = \"wasi-sleep.wasm\"\nexecution = \"pool\"\n"));
  ASSERT_TRUE(s);
  uint16_t port = s->port();
  auto start = Clock::now();
  auto first = std::async(std::launch::async, timed_get, port, "/sleep?ms=1000");
  std::this_thread::sleep_for(300ms);
  auto second = std::async(std::launch::async, timed_get, port, "/sleep?ms=1000");
  std::this_thread::sleep_for(300ms);
  auto [refused, took] = timed_get(port, "/sleep?ms=1");
  EXPECT_EQ(refused.status, 503u) << refused;
  EXPECT_EQ(refused.header("retry-after"), "1") << refused;
  EXPECT_LT(ms(took), 500);
  auto [r1, t1] = first.get();
  auto [r2, t2] = second.get();
  EXPECT_EQ(r1.status, 200u) << r1;
  EXPECT_EQ(r2.status, 200u) << r2;
  // The second waited for the only execution thread: it ended about a second after the first.
  EXPECT_GE(ms(Clock::now() - start), 1950);
  EXPECT_GE(ms(t2), 1300) << "queued behind the first";
}

}  // namespace
}  // namespace witserve::itest
