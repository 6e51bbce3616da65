// Hot reload: a manifest route's component file replaced while clients keep sending requests.
#include <atomic>
#include <mutex>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

constexpr std::string_view kV1 = "version 1\n", kV2 = "version 2\n";

// Sends GET requests in a loop on one keep-alive connection (reconnecting when the server closes
// it) and records every outcome.
class RequestLoop {
 public:
  RequestLoop(uint16_t port, std::string target) : port_(port), target_(std::move(target)) {
    thread_ = std::thread([this] { run(); });
  }
  ~RequestLoop() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  struct Outcome {
    unsigned status;
    std::string body;  // or the exception's message (status 0)
  };
  std::vector<Outcome> outcomes() {
    std::lock_guard lock(mu_);
    return outcomes_;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return outcomes_.size();
  }

 private:
  void run() {
    HttpClient c(port_, 5s);
    while (!stop_) {
      Outcome o;
      try {
        HttpResponse r = c.get(target_);
        o = {r.status, r.body};
      } catch (const std::exception& e) {
        o = {0, e.what()};
        c.close();
      }
      {
        std::lock_guard lock(mu_);
        outcomes_.push_back(std::move(o));
      }
      std::this_thread::sleep_for(2ms);  // a steady stream, leaving the CPUs to the server
    }
  }

  uint16_t port_;
  std::string target_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Outcome> outcomes_;
  std::thread thread_;
};

class HotReload : public WitserveTest {
 protected:
  // app.wasm (version 1) at /v, plus an unrelated route /echo.
  void SetUp() override {
    app_ = copy_handler("version-1.wasm", "app.wasm");
    copy_handler("echo.wasm");
    server_ = serve_text(
        "[[route]]\npath = \"/v\"\ncomponent = \"app.wasm\"\n"
        "[[route]]\npath = \"/echo\"\ncomponent = \"echo.wasm\"\n");
  }

  // Polls /v until it answers `body`; the time that took, or nullopt after `limit`.
  std::optional<Clock::duration> await_body(std::string_view body, std::chrono::milliseconds limit = 3s) {
    auto t0 = Clock::now();
    HttpClient c(server_->port());
    for (;;) {
      HttpResponse r = c.get("/v");
      if (r.status == 200 && r.body == body) return Clock::now() - t0;
      if (Clock::now() - t0 > limit) return std::nullopt;
      std::this_thread::sleep_for(10ms);
    }
  }

  // Every response of the loop was 200 with version 1 or 2, and never 1 again after a 2.
  void expect_no_failures(RequestLoop& loop) {
    auto outcomes = loop.outcomes();
    EXPECT_GT(outcomes.size(), 10u);
    bool seen_v2 = false;
    size_t failures = 0, regressions = 0;
    for (const auto& o : outcomes) {
      if (o.status != 200 || (o.body != kV1 && o.body != kV2)) {
        if (++failures <= 5) ADD_FAILURE() << "request failed during reload: " << o.status << " " << o.body;
      }
      if (o.body == kV2) seen_v2 = true;
      if (o.body == kV1 && seen_v2) ++regressions;
    }
    EXPECT_EQ(failures, 0u) << "of " << outcomes.size();
    EXPECT_EQ(regressions, 0u) << "version 1 answered after version 2 had";
  }

  fs::path app_;
  ServerProcess* server_ = nullptr;
};

// The way compilers and editors write: a temporary file in the same directory, renamed over.
TEST_F(HotReload, ReplaceByRenameUnderLoad) {
  ASSERT_TRUE(server_);
  ASSERT_EQ(http_get(server_->port(), "/v").body, kV1);
  RequestLoop loop(server_->port(), "/v");
  std::this_thread::sleep_for(100ms);

  replace_file_by_rename(app_, read_file(test_handler("version-2.wasm")));
  auto took = await_body(kV2);
  ASSERT_TRUE(took) << "still not version 2 after 3 s\n" << server_->log();
  EXPECT_LT(*took, 1s);
  std::this_thread::sleep_for(100ms);
  loop.stop();
  expect_no_failures(loop);
  EXPECT_TRUE(server_->wait_for_log("reloaded " + app_.string() + " (", 1s)) << server_->log();
  EXPECT_EQ(count_of(server_->log(), "reloaded "), 1u) << "one change, one reload\n" << server_->log();
  EXPECT_TRUE(http_get(server_->port(), "/echo").body.starts_with("GET /echo\n"));
}

// cp-like: the file truncated and rewritten in place, in small chunks.
TEST_F(HotReload, OverwriteInPlaceUnderLoad) {
  ASSERT_TRUE(server_);
  ASSERT_EQ(http_get(server_->port(), "/v").body, kV1);
  RequestLoop loop(server_->port(), "/v");
  std::this_thread::sleep_for(100ms);

  write_file(app_, read_file(test_handler("version-2.wasm")), /*chunk=*/4096);
  auto took = await_body(kV2);
  ASSERT_TRUE(took) << "still not version 2 after 3 s\n" << server_->log();
  EXPECT_LT(*took, 1s);
  std::this_thread::sleep_for(100ms);
  loop.stop();
  expect_no_failures(loop);
  EXPECT_TRUE(contains(server_->log(), "reloaded " + app_.string() + " (")) << server_->log();

  // And back again.
  write_file(app_, read_file(test_handler("version-1.wasm")));
  EXPECT_TRUE(await_body(kV1)) << server_->log();
}

// A broken file does not replace a working component: the old version keeps serving and the log
// says why; a good file afterwards is picked up.
TEST_F(HotReload, InvalidFileKeepsThePreviousVersion) {
  ASSERT_TRUE(server_);
  ASSERT_EQ(http_get(server_->port(), "/v").body, kV1);
  RequestLoop loop(server_->port(), "/v");

  using namespace std::string_view_literals;
  const std::string why = "reload of " + app_.string() + ": keeping the previous version: " + app_.string() + ": ";
  replace_file_by_rename(app_, "\0asm garbage, not a component at all \xff\xfe"sv);
  ASSERT_TRUE(server_->wait_for_log_count(why, 1, 3s)) << server_->log();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(http_get(server_->port(), "/v").body, kV1);

  // A component cut short (as a half-finished copy would be) is refused the same way.
  replace_file_by_rename(app_, read_file(test_handler("version-2.wasm")).substr(0, 3000));
  ASSERT_TRUE(server_->wait_for_log_count(why, 2, 3s)) << server_->log();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(http_get(server_->port(), "/v").body, kV1);

  replace_file_by_rename(app_, read_file(test_handler("version-2.wasm")));
  auto took = await_body(kV2);
  EXPECT_TRUE(took) << server_->log();
  loop.stop();
  expect_no_failures(loop);
  EXPECT_FALSE(contains(server_->log(), "[error] [/v]")) << "no request failed\n" << server_->log();
}

// A deleted file keeps serving what was loaded; when it comes back, it is loaded.
TEST_F(HotReload, DeletedFileKeepsServingUntilItReturns) {
  ASSERT_TRUE(server_);
  fs::remove(app_);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(http_get(server_->port(), "/v").body, kV1);
  fs::copy_file(test_handler("version-2.wasm"), app_);
  EXPECT_TRUE(await_body(kV2)) << server_->log();
}

// A file that is written but unchanged (same bytes) is not swapped.
TEST_F(HotReload, UnchangedContentIsNotReloaded) {
  ASSERT_TRUE(server_);
  write_file(app_, read_file(test_handler("version-1.wasm")));
  replace_file_by_rename(app_, read_file(test_handler("version-1.wasm")));
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(http_get(server_->port(), "/v").body, kV1);
  EXPECT_FALSE(contains(server_->log(), "reloaded ")) << server_->log();
  EXPECT_FALSE(contains(server_->log(), "reload of ")) << server_->log();
}

// Deploys by symlink. A component file that is a link, whose target is rewritten in place:
// the new content is served.
TEST_F(HotReload, SymlinkedFileWhoseTargetIsEditedInPlace) {
  fs::create_directories(dir() / "releases");
  copy_handler("version-1.wasm", "releases/app.wasm");
  fs::create_symlink(dir() / "releases" / "app.wasm", dir() / "linked.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/v\"\ncomponent = \"linked.wasm\"\n");
  ASSERT_TRUE(s);
  server_ = s;
  ASSERT_EQ(http_get(s->port(), "/v").body, kV1);
  write_file(dir() / "releases" / "app.wasm", read_file(test_handler("version-2.wasm")));
  EXPECT_TRUE(await_body(kV2)) << "the link's target changed in place\n" << s->log();
}

// A directory link swapped to a new release (`current -> release-2`), twice: each release is
// served in turn.
TEST_F(HotReload, SwappedDirectorySymlink) {
  for (int v : {1, 2}) {
    fs::create_directories(dir() / ("release-" + std::to_string(v)));
    copy_handler("version-" + std::to_string(v) + ".wasm", "release-" + std::to_string(v) + "/app.wasm");
  }
  fs::create_directory_symlink(dir() / "release-1", dir() / "current");
  ServerProcess* s = serve_text("[[route]]\npath = \"/v\"\ncomponent = \"current/app.wasm\"\n");
  ASSERT_TRUE(s);
  server_ = s;
  ASSERT_EQ(http_get(s->port(), "/v").body, kV1);
  auto swap_to = [&](const char* release) {
    // As deploy tools do it: a new link beside the old one, renamed over it (atomic).
    fs::create_directory_symlink(dir() / release, dir() / "current.new");
    fs::rename(dir() / "current.new", dir() / "current");
  };
  swap_to("release-2");
  EXPECT_TRUE(await_body(kV2)) << s->log();
  swap_to("release-1");
  EXPECT_TRUE(await_body(kV1)) << "the watch follows the link to its new target\n" << s->log();
  // And the release it points to now is watched: an edit there is served.
  write_file(dir() / "release-1" / "app.wasm", read_file(test_handler("version-2.wasm")));
  EXPECT_TRUE(await_body(kV2)) << s->log();
}

}  // namespace
}  // namespace witserve::itest
