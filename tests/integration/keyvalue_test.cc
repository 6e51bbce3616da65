// Key-value stores and configuration for handlers on real servers: the C test handler
// tests/handlers/kv.c (wasi:keyvalue 0.2.0-draft and -draft2, fermyon:spin/key-value@2.0.0 and
// spin:key-value@3.0.0, wasi:config/store in three versions, Spin variables 2.0.0 and 3.0.0). SQLite in the data directory
// (values survive a restart), Redis shared by two witserve processes (a real redis-server started
// here on a free loopback port), grants, limits, and configuration from the manifest and the
// server's environment.
#include <atomic>
#include <mutex>
#include <set>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

// A redis-server of its own on a free loopback port, nothing saved, stopped at the end.
class RedisServer {
 public:
  RedisServer() : port_(free_port()) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::string port = std::to_string(port_);
      const char* argv[] = {"redis-server", "--port", port.c_str(), "--bind", "127.0.0.1", "--save", "",
                            "--appendonly", "no", "--dir", "/tmp", nullptr};
      ::execvp("redis-server", const_cast<char**>(argv));
      ::_exit(127);
    }
    for (auto until = Clock::now() + 10s; Clock::now() < until; std::this_thread::sleep_for(20ms)) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port_);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) {
        ready_ = true;
        return;
      }
    }
  }
  ~RedisServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st;
      ::waitpid(pid_, &st, 0);
    }
  }
  bool ready() const { return ready_; }
  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  uint16_t port_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

class KeyValue : public WitserveTest {
 protected:
  void SetUp() override { copy_handler("kv.wasm"); }
  static std::string route(std::string_view path, std::string_view extra) {
    return "[[route]]\npath = \"" + std::string(path) + "\"\ncomponent = \"kv.wasm\"\n" + std::string(extra) + "\n";
  }
};

TEST_F(KeyValue, SqliteValuesPersistAcrossRequestsVersionsAndARestart) {
  fs::path manifest = write_manifest(route("/...", "key_value_stores = [\"default\"]"));
  ServerProcess* s = serve(manifest);
  ASSERT_TRUE(s);
  {
    HttpClient c(s->port());
    EXPECT_EQ(c.get("/draft2/get?k=greeting").status, 404u);
    ASSERT_EQ(c.get("/draft2/set?k=greeting&v=hello%20world").body, "ok");
    // Every version sees the same store.
    EXPECT_EQ(c.get("/draft2/get?k=greeting").body, "hello world");
    EXPECT_EQ(c.get("/draft/get?k=greeting").body, "hello world");
    EXPECT_EQ(c.get("/spin2/get?k=greeting").body, "hello world");
    EXPECT_EQ(c.get("/spin3/get?k=greeting").body, "hello world");  // async functions, lowered synchronously
    ASSERT_EQ(c.get("/spin3/set?k=three&v=3").body, "ok");
    EXPECT_EQ(c.get("/draft2/get?k=three").body, "3");
    EXPECT_EQ(c.get("/spin3/exists?k=three").body, "true");
    ASSERT_EQ(c.get("/spin3/delete?k=three").body, "ok");
    EXPECT_EQ(c.get("/spin3/exists?k=three").body, "false");
    // Bytes, not text: the request body as the value.
    std::string bytes("a\0b\xff", 4);
    ASSERT_EQ(c.request("POST", "/spin2/set?k=bin", bytes).body, "ok");
    EXPECT_EQ(c.get("/draft/get?k=bin").body, bytes);
    EXPECT_EQ(c.get("/draft/exists?k=bin").body, "true");
    EXPECT_EQ(c.get("/spin2/exists?k=nothing").body, "false");
    EXPECT_EQ(c.get("/draft2/keys").body, "bin\ngreeting\n");
    EXPECT_EQ(c.get("/spin2/keys").body, "bin\ngreeting\n");
    ASSERT_EQ(c.get("/draft/delete?k=bin").body, "ok");
    EXPECT_EQ(c.get("/spin2/get?k=bin").status, 404u);
    EXPECT_EQ(c.get("/draft/keys").body, "greeting\n");
  }
  stop_cleanly(*s);
  EXPECT_TRUE(fs::exists(data_dir() / "key-value" / "default.sqlite"));
  ServerProcess* again = serve(manifest);
  ASSERT_TRUE(again);
  EXPECT_EQ(HttpClient(again->port()).get("/draft2/get?k=greeting").body, "hello world");
}

TEST_F(KeyValue, ListKeysPagesThroughManyKeys) {
  ServerProcess* s = serve_text(route("/...", "key_value_stores = [\"default\"]"));
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  // 2,500 keys in batches of 500: more than one page of list-keys (1,000) in both versions.
  std::set<std::string> expected;
  for (int batch = 0; batch < 5; ++batch) {
    std::string keys, values;
    for (int i = 0; i < 500; ++i) {
      std::string k = "k" + std::to_string(batch * 500 + i);
      expected.insert(k);
      keys += (i ? "," : "") + k;
      values += (i ? "," : "") + std::to_string(i);
    }
    ASSERT_EQ(c.get("/draft2/set-many?k=" + keys + "&v=" + values).body, "ok");
  }
  std::string want;
  for (const auto& k : expected) want += k + "\n";
  EXPECT_EQ(c.get("/draft/keys").body, want);
  EXPECT_EQ(c.get("/draft2/keys").body, want);
  EXPECT_EQ(c.get("/spin2/keys").body, want);
}

TEST_F(KeyValue, BatchIncrementAndCompareAndSwapOnSqlite) {
  ServerProcess* s = serve_text(route("/...", "key_value_stores = [\"default\"]"));
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  ASSERT_EQ(c.get("/draft/set-many?k=a,b&v=1,22").body, "ok");
  EXPECT_EQ(c.get("/draft/get-many?k=a,missing,b").body, "a=1\nmissing (none)\nb=22\n");
  EXPECT_EQ(c.get("/draft2/get-many?k=b,missing,a").body, "b=22\nmissing (none)\na=1\n");
  ASSERT_EQ(c.get("/draft2/delete-many?k=a,b").body, "ok");
  EXPECT_EQ(c.get("/draft2/get-many?k=a,b").body, "a (none)\nb (none)\n");

  EXPECT_EQ(c.get("/draft2/incr?k=n&d=5").body, "5");
  EXPECT_EQ(c.get("/draft2/incr?k=n&d=-7").body, "-2");
  EXPECT_EQ(c.get("/draft/incr?k=m&d=3").body, "3");
  EXPECT_EQ(c.get("/draft/incr?k=m").body, "4");
  EXPECT_EQ(c.get("/draft2/get?k=m").body, "4");  // counters are decimal text
  // draft's increment answers a u64: a negative counter is an error, not a wrapped number.
  HttpResponse neg = c.get("/draft/incr?k=n&d=1");
  EXPECT_EQ(neg.status, 500u) << neg;
  EXPECT_TRUE(contains(neg.body, "error: other: ")) << neg.body;
  ASSERT_EQ(c.get("/draft2/set?k=text&v=abc").body, "ok");
  HttpResponse bad = c.get("/draft2/incr?k=text");
  EXPECT_EQ(bad.status, 500u);
  EXPECT_TRUE(contains(bad.body, "not a decimal 64-bit integer")) << bad.body;

  EXPECT_EQ(c.get("/draft2/cas-incr?k=c").body, "1 retries 0");
  EXPECT_EQ(c.get("/draft2/cas-incr?k=c").body, "2 retries 0");
  EXPECT_EQ(c.get("/draft2/get?k=c").body, "2");
}

TEST_F(KeyValue, StoresAreGrantedByLabelOnly) {
  ServerProcess* s = serve_text(
      "[key_value_store.other]\ntype = \"sqlite\"\n" + route("/granted/...", "key_value_stores = [\"default\"]") +
      route("/none/...", "") + route("/other/...", "key_value_stores = [\"other\"]"));
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  for (std::string ver : {"draft", "draft2"}) {
    HttpResponse r = c.get("/none/" + ver + "/open");
    EXPECT_EQ(r.status, 403u) << ver << r;
    EXPECT_EQ(r.body, "error: access-denied");
    EXPECT_EQ(c.get("/granted/" + ver + "/open?s=other").body, "error: access-denied");
    EXPECT_EQ(c.get("/granted/" + ver + "/open").body, "ok");
  }
  EXPECT_EQ(c.get("/none/spin2/open").body, "error: access-denied");
  EXPECT_EQ(c.get("/none/spin3/open").body, "error: access-denied");
  // Two labels are two stores.
  ASSERT_EQ(c.get("/other/draft2/set?s=other&k=x&v=in-other").body, "ok");
  EXPECT_EQ(c.get("/granted/draft2/get?k=x").status, 404u);
  EXPECT_EQ(c.get("/other/spin2/get?s=other&k=x").body, "in-other");
  EXPECT_TRUE(fs::exists(data_dir() / "key-value" / "other.sqlite"));
}

TEST_F(KeyValue, AdminRegistrationsAreGrantedNoStoreButGetTheirConfig) {
  ServerProcess* s = serve_text(admin_table() + route("/m/...", "key_value_stores = [\"default\"]"));
  ASSERT_TRUE(s);
  HttpResponse reg = http_request(s->admin_port(), "POST", "/handler?route=/reg/...&config=greeting=hi",
                                  read_file(dir() / "kv.wasm"), bearer());
  ASSERT_EQ(reg.status, 201u) << reg;  // created
  HttpClient c(s->port());
  EXPECT_EQ(c.get("/m/draft2/open").body, "ok");
  EXPECT_EQ(c.get("/reg/draft2/open").body, "error: access-denied");
  EXPECT_EQ(c.get("/reg/config/draft/get?k=greeting").body, "hi");
  EXPECT_EQ(c.get("/reg/var?k=greeting").body, "hi");
}

TEST_F(KeyValue, ManifestRefusesAnUndeclaredStore) {
  fs::path manifest = write_manifest(route("/...", "key_value_stores = [\"nope\"]"));
  ServerProcess& p = spawn({"serve", manifest.string(), "--listen", "127.0.0.1:0", "--data-dir", data_dir().string()});
  auto st = p.wait_exit(10s);
  ASSERT_TRUE(st.has_value()) << p.describe();
  EXPECT_TRUE(exited_with(*st, 1)) << describe_status(*st);
  EXPECT_TRUE(contains(p.err(), manifest.string() +
                                    ":4:21: route.key_value_stores: no store \"nope\" (declare it as [key_value_store.nope])"))
      << p.describe();
  EXPECT_FALSE(fs::exists(data_dir()));
}

TEST_F(KeyValue, KeyAndValueSizeLimitsAreClearErrors) {
  ServerProcess* s = serve_text("[key_value_store.small]\nmax_value = \"1KiB\"\nmax_key = 16\n" +
                                route("/...", "key_value_stores = [\"default\", \"small\"]"));
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  std::string long_key(300, 'k');
  HttpResponse r = c.get("/draft2/set?k=" + long_key + "&v=x");
  EXPECT_EQ(r.status, 500u);
  EXPECT_EQ(r.body, "error: other: key of 300 bytes is too long: store 'default' takes keys of at most 256 bytes");
  EXPECT_EQ(c.get("/draft/set?k=" + std::string(256, 'k') + "&v=x").body, "ok");
  r = c.request("POST", "/spin2/set?s=small&k=big", std::string(1025, 'v'));
  EXPECT_EQ(r.body, "error: other: value of 1025 bytes is too large: store 'small' takes values of at most 1024 bytes");
  EXPECT_EQ(c.request("POST", "/spin2/set?s=small&k=big", std::string(1024, 'v')).body, "ok");
  r = c.get("/draft/get?s=small&k=" + std::string(17, 'k'));
  EXPECT_EQ(r.body, "error: other: key of 17 bytes is too long: store 'small' takes keys of at most 16 bytes");
}

TEST_F(KeyValue, TwoServersShareRedisAndTheirIncrementsAddUpExactly) {
  RedisServer redis;
  ASSERT_TRUE(redis.ready()) << "redis-server did not start";
  // No admin API: the two processes share the data directory the fixture gives them.
  std::string manifest = "[admin]\nenabled = false\n[key_value_store.shared]\ntype = \"redis\"\nurl = { env = \"KV_TEST_REDIS\" }\n" +
                         route("/...", "key_value_stores = [\"shared\"]");
  std::vector<std::pair<std::string, std::optional<std::string>>> env{{"KV_TEST_REDIS", redis.url()}};
  ServerProcess* a = serve(write_manifest(manifest, "a.toml"), {}, false, env);
  ServerProcess* b = serve(write_manifest(manifest, "b.toml"), {}, false, env);
  ASSERT_TRUE(a && b);
  HttpClient ca(a->port()), cb(b->port());
  ASSERT_EQ(ca.get("/draft2/set?s=shared&k=hello&v=from-a").body, "ok");
  EXPECT_EQ(cb.get("/spin2/get?s=shared&k=hello").body, "from-a");
  ASSERT_EQ(cb.get("/draft/set-many?s=shared&k=x,y&v=1,2").body, "ok");
  EXPECT_EQ(ca.get("/draft2/get-many?s=shared&k=x,y,z").body, "x=1\ny=2\nz (none)\n");
  EXPECT_EQ(ca.get("/draft2/keys?s=shared").body, "hello\nx\ny\n");
  EXPECT_EQ(cb.get("/draft/keys?s=shared").body, "hello\nx\ny\n");

  // Four clients per server increment one counter (draft2's increment) and another by
  // compare-and-swap: every increment answers a distinct value and the totals are exact.
  constexpr int kClients = 4, kEach = 50;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::multiset<std::string> seen;
  std::atomic<int> failures{0};
  for (int t = 0; t < 2 * kClients; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c((t % 2 ? a : b)->port());
      for (int i = 0; i < kEach; ++i) {
        HttpResponse r = c.get("/draft2/incr?s=shared&k=counter");
        HttpResponse cas = c.get("/draft2/cas-incr?s=shared&k=cas-counter");
        if (r.status != 200 || cas.status != 200) ++failures;
        std::lock_guard lock(mu);
        seen.insert(r.body);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::string total = std::to_string(2 * kClients * kEach);
  EXPECT_EQ(ca.get("/draft2/get?s=shared&k=counter").body, total);
  EXPECT_EQ(cb.get("/spin2/get?s=shared&k=cas-counter").body, total);
  std::set<std::string> distinct(seen.begin(), seen.end());
  EXPECT_EQ(distinct.size(), size_t(2 * kClients * kEach));
  EXPECT_TRUE(distinct.contains("1") && distinct.contains(total));
}

TEST_F(KeyValue, TwoServersShareOneSqliteFile) {
  // One file named by both manifests: increments (transactions holding SQLite's write lock) from
  // two processes add up exactly.
  std::string manifest = "[admin]\nenabled = false\n[key_value_store.shared]\npath = \"shared.sqlite\"\n" +
                         route("/...", "key_value_stores = [\"shared\"]");
  ServerProcess* a = serve(write_manifest(manifest, "a.toml"), {}, false);
  ServerProcess* b = serve(write_manifest(manifest, "b.toml"), {}, false);
  ASSERT_TRUE(a && b);
  constexpr int kClients = 3, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 2 * kClients; ++t)
    threads.emplace_back([&, t] {
      HttpClient c((t % 2 ? a : b)->port());
      for (int i = 0; i < kEach; ++i) {
        if (c.get("/draft/incr?s=shared&k=n").status != 200) ++failures;
        if (c.get("/draft2/cas-incr?s=shared&k=c").status != 200) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::string total = std::to_string(2 * kClients * kEach);
  EXPECT_EQ(HttpClient(a->port()).get("/spin2/get?s=shared&k=n").body, total);
  EXPECT_EQ(HttpClient(b->port()).get("/spin2/get?s=shared&k=c").body, total);
  EXPECT_TRUE(fs::exists(dir() / "shared.sqlite"));
}

TEST_F(KeyValue, RedisAwayIsAnErrorAndServingContinues) {
  uint16_t port = free_port();  // nothing listens there
  ServerProcess* s = serve_text("[key_value_store.gone]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:" +
                                std::to_string(port) + "\"\n" + route("/...", "key_value_stores = [\"gone\"]"));
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  HttpResponse r = c.get("/draft2/get?s=gone&k=x");
  EXPECT_EQ(r.status, 500u);
  EXPECT_TRUE(contains(r.body, "error: other: key-value store 'gone' (Redis 127.0.0.1:" + std::to_string(port) +
                                   "): cannot connect")) << r.body;
  // The server still serves.
  EXPECT_EQ(c.get("/draft2/open?s=gone").body, "ok");
}

class Config : public KeyValue {};

TEST_F(Config, ValuesFromTheManifestAndTheEnvironment) {
  fs::path manifest = write_manifest(route("/...",
                                           "[route.config]\ngreeting = \"hello\"\napi_key = { env = \"KV_TEST_SECRET\" }\n"
                                           "unset = { env = \"KV_TEST_UNSET\" }\n"));
  ServerProcess* s = serve(manifest, {}, true, {{"KV_TEST_SECRET", "s3cr3t"}, {"KV_TEST_UNSET", std::nullopt}});
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  for (std::string ver : {"draft", "rc1", "2024"}) {
    EXPECT_EQ(c.get("/config/" + ver + "/get?k=greeting").body, "hello") << ver;
    EXPECT_EQ(c.get("/config/" + ver + "/get?k=api_key").body, "s3cr3t") << ver;
    HttpResponse missing = c.get("/config/" + ver + "/get?k=missing");
    EXPECT_EQ(missing.status, 404u) << ver;
    EXPECT_EQ(missing.body, "none");
    EXPECT_EQ(c.get("/config/" + ver + "/get?k=unset").status, 404u) << ver;
    EXPECT_EQ(c.get("/config/" + ver + "/all").body, "api_key=s3cr3t\ngreeting=hello\n") << ver;
  }
  EXPECT_EQ(c.get("/var?k=greeting").body, "hello");
  EXPECT_EQ(c.get("/var?k=api_key").body, "s3cr3t");
  EXPECT_EQ(c.get("/var3?k=api_key").body, "s3cr3t");  // spin:variables@3.0.0, lowered synchronously
  EXPECT_EQ(c.get("/var3?k=missing").body, "error: undefined: no variable 'missing' in the route's config");
  HttpResponse undefined = c.get("/var?k=missing");
  EXPECT_EQ(undefined.status, 500u);
  EXPECT_EQ(undefined.body, "error: undefined: no variable 'missing' in the route's config");
  EXPECT_TRUE(contains(c.get("/var?k=Bad-Name").body, "error: invalid-name: 'Bad-Name' is not a variable name"));
  EXPECT_TRUE(contains(s->log() + s->err(), "config.unset comes from the environment variable KV_TEST_UNSET, which is not set"))
      << s->describe();
  // The secret is not in the manifest.
  EXPECT_FALSE(contains(read_file(manifest), "s3cr3t"));
}

}  // namespace
}  // namespace witserve::itest
