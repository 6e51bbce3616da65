// The key-value backends behind kv::Store, each run through the same cases: SQLite in a temporary
// file, and Redis on a redis-server this test starts on a free loopback port. Limits, pages of
// keys, counters (decimal text; overflow and non-numbers refused), compare-and-swap, batches, and
// increments from many threads at once adding up exactly.
#include "witserve/kv/store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include <gtest/gtest.h>

namespace witserve::kv {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// One redis-server for the whole test program, stopped at exit.
struct Redis {
  uint16_t port = free_port();
  pid_t pid = -1;
  Redis() {
    pid = ::fork();
    if (pid == 0) {
      std::string p = std::to_string(port);
      freopen("/dev/null", "w", stdout);
      execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 500; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) return;
      std::this_thread::sleep_for(20ms);
    }
  }
  ~Redis() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
};
Redis& redis() {
  static Redis r;
  return r;
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.limits.max_key = 8;
    o.limits.max_value = 16;
    o.limits.max_batch = 3000;
    if (GetParam() == "sqlite") {
      char templ[] = "/tmp/witserve-kv-XXXXXX";
      ASSERT_TRUE(::mkdtemp(templ));
      dir_ = templ;
      o.path = dir_ / "sub" / "s.sqlite";
    } else {
      o.type = StoreOptions::Type::kRedis;
      // A database of its own per test: FLUSHDB-free isolation.
      static int db = 0;
      o.url = "redis://127.0.0.1:" + std::to_string(redis().port) + "/" + std::to_string(++db % 16);
      auto s = open_store("t", o);
      ASSERT_TRUE(s.ok()) << s.error().message();
      auto page = (*s)->list_keys(std::nullopt);
      ASSERT_TRUE(page.ok()) << page.error().message();
      std::vector<std::string> keys;
      for (std::optional<std::string> c;;) {
        auto p = (*s)->list_keys(c);
        ASSERT_TRUE(p.ok());
        keys.insert(keys.end(), p->keys.begin(), p->keys.end());
        if (!(c = p->cursor)) break;
      }
      ASSERT_TRUE((*s)->remove_many(keys).ok());
    }
    auto s = open_store("t", o);
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = *s;
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
  std::shared_ptr<Store> store_;
};

TEST_P(StoreTest, GetSetDeleteExists) {
  Store& s = *store_;
  EXPECT_EQ(*s.get("a"), std::nullopt);
  EXPECT_FALSE(*s.exists("a"));
  ASSERT_TRUE(s.set("a", std::string("x\0y", 3)).ok());
  EXPECT_EQ(*s.get("a"), std::string("x\0y", 3));
  EXPECT_TRUE(*s.exists("a"));
  ASSERT_TRUE(s.set("a", "").ok());  // empty, not absent
  EXPECT_EQ(*s.get("a"), std::string());
  ASSERT_TRUE(s.remove("a").ok());
  ASSERT_TRUE(s.remove("a").ok());  // absent: still fine
  EXPECT_EQ(*s.get("a"), std::nullopt);
}

TEST_P(StoreTest, Limits) {
  EXPECT_TRUE(store_->check_key("12345678").ok());
  Status k = store_->check_key("123456789");
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message(), "key of 9 bytes is too long: store 't' takes keys of at most 8 bytes");
  Status v = store_->check_value(std::string(17, 'v'));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message(), "value of 17 bytes is too large: store 't' takes values of at most 16 bytes");
}

TEST_P(StoreTest, ListKeysInPages) {
  std::vector<std::pair<std::string, std::string>> entries;
  std::set<std::string> want;
  for (int i = 0; i < 2500; ++i) {
    entries.emplace_back("k" + std::to_string(i), "v");
    want.insert("k" + std::to_string(i));
  }
  ASSERT_TRUE(store_->set_many(entries).ok());
  std::multiset<std::string> got;
  int pages = 0;
  for (std::optional<std::string> c;;) {
    auto p = store_->list_keys(c);
    ASSERT_TRUE(p.ok()) << p.error().message();
    ++pages;
    got.insert(p->keys.begin(), p->keys.end());
    if (!(c = p->cursor)) break;
  }
  EXPECT_GT(pages, 1);
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), want);
  EXPECT_FALSE(store_->list_keys(std::string("x")).ok());
}

TEST_P(StoreTest, CountersAreDecimalText) {
  EXPECT_EQ(*store_->increment("n", 5), 5);
  EXPECT_EQ(*store_->increment("n", -8), -3);
  EXPECT_EQ(*store_->get("n"), "-3");
  ASSERT_TRUE(store_->set("t", "abc").ok());
  auto bad = store_->increment("t", 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidArgument);
  ASSERT_TRUE(store_->set("big", "9223372036854775807").ok());
  auto over = store_->increment("big", 1);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(*store_->get("big"), "9223372036854775807");  // unchanged
}

TEST_P(StoreTest, CompareAndSwap) {
  EXPECT_TRUE(*store_->compare_and_swap("c", std::nullopt, "1"));   // absent, as expected
  EXPECT_FALSE(*store_->compare_and_swap("c", std::nullopt, "2"));  // no longer absent
  EXPECT_FALSE(*store_->compare_and_swap("c", std::string("0"), "2"));
  EXPECT_EQ(*store_->get("c"), "1");
  EXPECT_TRUE(*store_->compare_and_swap("c", std::string("1"), "2"));
  EXPECT_EQ(*store_->get("c"), "2");
}

TEST_P(StoreTest, Batches) {
  ASSERT_TRUE(store_->set_many({{"a", "1"}, {"b", "2"}}).ok());
  auto got = store_->get_many({"b", "none", "a"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, (std::vector<std::optional<std::string>>{"2", std::nullopt, "1"}));
  ASSERT_TRUE(store_->remove_many({"a", "b"}).ok());
  EXPECT_EQ(*store_->get_many({"a", "b"}), (std::vector<std::optional<std::string>>{std::nullopt, std::nullopt}));
}

TEST_P(StoreTest, ConcurrentIncrementsAndSwapsAddUp) {
  constexpr int kThreads = 8, kEach = 200;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!store_->increment("n", 1).ok()) ++errors;
        for (;;) {  // an increment by compare-and-swap
          auto cur = store_->get("c");
          if (!cur.ok()) { ++errors; break; }
          std::string next = std::to_string((*cur ? std::stoll(**cur) : 0) + 1);
          auto done = store_->compare_and_swap("c", *cur, next);
          if (!done.ok()) { ++errors; break; }
          if (*done) break;
        }
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(*store_->get("n"), std::to_string(kThreads * kEach));
  EXPECT_EQ(*store_->get("c"), std::to_string(kThreads * kEach));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "redis"),
                         [](const auto& info) { return info.param; });

TEST(RedisStore, UrlsAreChecked) {
  StoreOptions o;
  o.type = StoreOptions::Type::kRedis;
  for (const char* bad : {"http://h", "redis://h:0", "redis://h:x", "redis://h/db"}) {
    o.url = bad;
    EXPECT_FALSE(open_store("t", o).ok()) << bad;
  }
  o.url = "redis://127.0.0.1:" + std::to_string(free_port());  // nobody there: opens, then fails on use
  auto s = open_store("t", o);
  ASSERT_TRUE(s.ok());
  auto got = (*s)->get("a");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind(), ErrorKind::kIo);
  EXPECT_NE(got.error().message().find("cannot connect"), std::string::npos) << got.error().message();
}

}  // namespace
}  // namespace witserve::kv
