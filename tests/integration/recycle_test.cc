// Recycled instances on a real server: a fresh-instance route (the default) resets an instance to
// its state after instantiation instead of building a new one, and a request still never sees
// what an earlier one left: tests/handlers/seed.c draws random bytes in its start function
// (through the preview1 adapter and wasi:random) and counts requests in a static. A reused
// instance, for contrast, keeps both.
#include <set>
#include <thread>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

class Recycling : public WitserveTest {};

struct Seeded {
  std::string seed;
  std::string served;
};

Seeded parse_seed(const HttpResponse& r) {
  // "seed=HEX served=N\n"
  Seeded s;
  auto sp = r.body.find(' ');
  if (!r.body.starts_with("seed=") || sp == std::string::npos || !r.body.ends_with("\n")) return s;
  s.seed = r.body.substr(5, sp - 5);
  auto eq = r.body.find("served=", sp);
  if (eq != std::string::npos) s.served = r.body.substr(eq + 7, r.body.size() - eq - 8);
  return s;
}

TEST_F(Recycling, FreshRequestsNeverSeeAnEarlierRequestsStateOrRandomBytes) {
  copy_handler("seed.wasm");
  // One worker, so that every request goes through the same recycled instance.
  ServerProcess* s = serve_text(
      "[server]\nthreads = 1\n"
      "[[route]]\npath = \"/fresh\"\ncomponent = \"seed.wasm\"\n"
      "[[route]]\npath = \"/reuse\"\ncomponent = \"seed.wasm\"\ninstance = \"reuse\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  std::set<std::string> seeds;
  for (int i = 0; i < 30; ++i) {
    HttpResponse r = c.get("/fresh");
    ASSERT_EQ(r.status, 200u) << r;
    Seeded got = parse_seed(r);
    ASSERT_EQ(got.seed.size(), 32u) << r.body;
    EXPECT_EQ(got.served, "1") << "request " << i << " saw an earlier request's counter";
    EXPECT_TRUE(seeds.insert(got.seed).second) << "request " << i << " saw an earlier request's random bytes";
  }
  // The component was recycled, not rebuilt for each request.
  EXPECT_FALSE(contains(s->log(), "not recycled")) << s->describe();

  Seeded first = parse_seed(c.get("/reuse"));
  Seeded second = parse_seed(c.get("/reuse"));
  EXPECT_EQ(first.served, "1");
  EXPECT_EQ(second.served, "2");
  EXPECT_EQ(first.seed, second.seed);
  EXPECT_EQ(seeds.count(first.seed), 0u);
}

// An instance whose request trapped is not recycled, and one whose memory grew cannot be reset
// (a memory cannot shrink) and is replaced: either way the next request sees a new instance.
TEST_F(Recycling, AnInstanceThatTrappedOrGrewIsReplaced) {
  copy_handler("seed.wasm");
  ServerProcess* s = serve_text("[server]\nthreads = 1\n[[route]]\npath = \"/fresh\"\ncomponent = \"seed.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  std::set<std::string> seeds;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c.get("/fresh?trap").status, 500u);
    Seeded after_trap = parse_seed(c.get("/fresh"));
    EXPECT_EQ(after_trap.served, "1");
    EXPECT_TRUE(seeds.insert(after_trap.seed).second);
    Seeded grew = parse_seed(c.get("/fresh?grow"));
    EXPECT_EQ(grew.served, "1");
    EXPECT_TRUE(seeds.insert(grew.seed).second);
    Seeded after_growth = parse_seed(c.get("/fresh"));
    EXPECT_EQ(after_growth.served, "1");
    EXPECT_TRUE(seeds.insert(after_growth.seed).second);
  }
}

// server.kept_instances bounds what a worker keeps: with room for one instance, two reused routes
// take turns and each starts over; an instance unused past server.instance_idle_timeout goes too.
TEST_F(Recycling, KeptInstancesStayWithinTheBudget) {
  copy_handler("counter.wasm");
  copy_handler("seed.wasm");
  ServerProcess* s = serve_text(
      "[server]\nthreads = 1\nkept_instances = 1\ninstance_idle_timeout = \"1s\"\n"
      "[[route]]\npath = \"/a\"\ncomponent = \"counter.wasm\"\ninstance = \"reuse\"\n"
      "[[route]]\npath = \"/b\"\ncomponent = \"seed.wasm\"\ninstance = \"reuse\"\n"
      "[[route]]\npath = \"/fresh\"\ncomponent = \"seed.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  EXPECT_EQ(c.get("/a").body, "1");
  EXPECT_EQ(c.get("/a").body, "2");  // kept
  EXPECT_EQ(parse_seed(c.get("/b")).served, "1");
  EXPECT_EQ(c.get("/a").body, "1");  // /b's instance took the only place
  EXPECT_EQ(c.get("/a").body, "2");
  EXPECT_EQ(parse_seed(c.get("/fresh")).served, "1");  // a recycled instance counts too
  EXPECT_EQ(c.get("/a").body, "1");

}

// An instance unused for longer than server.instance_idle_timeout is dropped at the next check
// (every 256 handler requests of its worker), within the budget.
TEST_F(Recycling, IdleInstancesAreDropped) {
  copy_handler("counter.wasm");
  copy_handler("seed.wasm");
  ServerProcess* s = serve_text(
      // Both routes on the one I/O thread's Worker: idle instances are dropped by the Worker that
      // keeps them, as its own requests arrive (an execution thread's Worker, by its own requests,
      // or when the thread ends after 30 s idle).
      "[server]\nthreads = 1\nkept_instances = 8\ninstance_idle_timeout = \"1s\"\n"
      "[[route]]\npath = \"/a\"\ncomponent = \"counter.wasm\"\ninstance = \"reuse\"\nexecution = \"inline\"\n"
      "[[route]]\npath = \"/fresh\"\ncomponent = \"seed.wasm\"\nexecution = \"inline\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  EXPECT_EQ(c.get("/a").body, "1");
  for (int i = 0; i < 256; ++i) ASSERT_EQ(parse_seed(c.get("/fresh")).served, "1");
  EXPECT_EQ(c.get("/a").body, "2");  // still kept: not idle long enough
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  for (int i = 0; i < 256; ++i) ASSERT_EQ(parse_seed(c.get("/fresh")).served, "1");
  EXPECT_EQ(c.get("/a").body, "1");
}

}  // namespace
}  // namespace witserve::itest
