// V8 process setup and per-isolate task plumbing. Internal to the V8 backend (includes V8).
//
// V8 is initialised exactly once per process, on the first make_engine("v8") call, with node's
// MultiIsolatePlatform (libnode does not export V8's default platform). Each isolate registers a
// delegate whose foreground task queue witserve pumps itself (Store::run_pending_tasks), so no
// libuv loop is involved. Background compilation runs on the platform's worker threads.
#pragma once

#include <node.h>
#include <v8.h>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/engine/engine.h"

namespace witserve::engine::v8backend {

// Tasks V8 posts for an isolate's own thread. Posting may happen on any thread; running happens
// on the isolate's thread in run_ready().
class ForegroundTaskRunner final : public v8::TaskRunner {
 public:
  void PostTask(std::unique_ptr<v8::Task> task) override;
  void PostNonNestableTask(std::unique_ptr<v8::Task> task) override { PostTask(std::move(task)); }
  void PostDelayedTask(std::unique_ptr<v8::Task> task, double delay_seconds) override;
  void PostNonNestableDelayedTask(std::unique_ptr<v8::Task> task, double delay_seconds) override {
    PostDelayedTask(std::move(task), delay_seconds);
  }
  void PostIdleTask(std::unique_ptr<v8::IdleTask> task) override {}  // idle tasks are disabled
  bool IdleTasksEnabled() override { return false; }
  bool NonNestableTasksEnabled() const override { return true; }
  bool NonNestableDelayedTasksEnabled() const override { return true; }

  // Runs every task that is due. Returns how many ran.
  size_t run_ready();
  // Drops every queued task without running it (before the isolate is disposed).
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  std::mutex mu_;
  std::deque<std::unique_ptr<v8::Task>> ready_;
  std::vector<std::pair<Clock::time_point, std::unique_ptr<v8::Task>>> delayed_;
};

// An isolate registered with the process platform, with its own allocator and task runner.
// Create and dispose on the thread that will use it, unless every use takes a v8::Locker.
class OwnedIsolate {
 public:
  static Result<std::unique_ptr<OwnedIsolate>> create();
  ~OwnedIsolate();
  OwnedIsolate(const OwnedIsolate&) = delete;
  OwnedIsolate& operator=(const OwnedIsolate&) = delete;

  v8::Isolate* get() const { return isolate_; }
  ForegroundTaskRunner& tasks() { return *runner_; }

 private:
  class Delegate;
  OwnedIsolate() = default;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  std::shared_ptr<ForegroundTaskRunner> runner_;
  std::unique_ptr<Delegate> delegate_;
  v8::Isolate* isolate_ = nullptr;
};

// Sets V8 up once for the process with `options` (flags, worker threads). Later calls with other
// options fail: V8 cannot be re-initialised.
Status initialize_v8_once(const EngineOptions& options);

}  // namespace witserve::engine::v8backend
