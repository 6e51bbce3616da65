// V8 process setup and per-isolate task runners. See platform.h.
// initialize_v8_once: any thread. ForegroundTaskRunner posting: any thread; running: the isolate's.
#include "witserve/engine/v8/platform.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <thread>

namespace witserve::engine::v8backend {

void ForegroundTaskRunner::PostTask(std::unique_ptr<v8::Task> task) {
  std::lock_guard lock(mu_);
  ready_.push_back(std::move(task));
}

void ForegroundTaskRunner::PostDelayedTask(std::unique_ptr<v8::Task> task, double delay_seconds) {
  auto due = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(delay_seconds));
  std::lock_guard lock(mu_);
  delayed_.emplace_back(due, std::move(task));
}

size_t ForegroundTaskRunner::run_ready() {
  std::deque<std::unique_ptr<v8::Task>> batch;
  {
    std::lock_guard lock(mu_);
    auto now = Clock::now();
    auto due = std::partition(delayed_.begin(), delayed_.end(),
                              [&](const auto& d) { return d.first > now; });
    for (auto it = due; it != delayed_.end(); ++it) ready_.push_back(std::move(it->second));
    delayed_.erase(due, delayed_.end());
    batch.swap(ready_);
  }
  // Tasks posted while these run wait for the next call, so this always returns.
  for (auto& t : batch) t->Run();
  return batch.size();
}

void ForegroundTaskRunner::clear() {
  std::lock_guard lock(mu_);
  ready_.clear();
  delayed_.clear();
}

namespace {

struct Process {
  EngineOptions options;
  std::unique_ptr<node::MultiIsolatePlatform> platform;
};

std::mutex g_process_mu;
Process* g_process = nullptr;  // set once, never freed: V8 cannot be torn down and set up again

// Flags every witserve process runs with: wasm proposals that standard toolchains emit and
// V8 10.2 implements behind flags (jco's QuickJS backend needs extended-const).
constexpr const char* kDefaultFlags[] = {
    "--experimental-wasm-extended-const",
    "--experimental-wasm-return-call",
};

}  // namespace

Status initialize_v8_once(const EngineOptions& options) {
  std::lock_guard lock(g_process_mu);
  if (g_process) {
    if (g_process->options.flags != options.flags ||
        g_process->options.compile_threads != options.compile_threads ||
        g_process->options.max_memory_pages != options.max_memory_pages)
      return Error(ErrorKind::kInvalidArgument,
                   "V8 is already set up in this process with other engine options");
    return ok();
  }
  for (const char* flag : kDefaultFlags) v8::V8::SetFlagsFromString(flag);
  for (const auto& flag : options.flags) v8::V8::SetFlagsFromString(flag.c_str(), flag.size());
  // For tuning and diagnosis: extra V8 flags from the environment, applied last.
  if (const char* extra = std::getenv("WITSERVE_V8_FLAGS")) v8::V8::SetFlagsFromString(extra);
  // For measurement (bench/cpu_bench.sh): V8's signal-based bounds checks, which reserve guard
  // regions around every memory instead of checking each access. Off by default (see
  // docs/execution-engine.md, item 6).
  if (const char* trap = std::getenv("WITSERVE_WASM_TRAP_HANDLER"); trap && std::string_view(trap) == "1")
    v8::V8::EnableWebAssemblyTrapHandler(true);
  int threads = options.compile_threads > 0
                    ? options.compile_threads
                    : std::max(1, int(std::thread::hardware_concurrency()));
  auto* p = new Process{options, node::MultiIsolatePlatform::Create(threads)};
  v8::V8::InitializePlatform(p->platform.get());
  if (!v8::V8::Initialize())
    return Error(ErrorKind::kInternal, "V8 failed to initialise");
  g_process = p;
  return ok();
}

class OwnedIsolate::Delegate final : public node::IsolatePlatformDelegate {
 public:
  explicit Delegate(std::shared_ptr<ForegroundTaskRunner> runner) : runner_(std::move(runner)) {}
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner() override { return runner_; }
  bool IdleTasksEnabled() override { return false; }

 private:
  std::shared_ptr<ForegroundTaskRunner> runner_;
};

Result<std::unique_ptr<OwnedIsolate>> OwnedIsolate::create() {
  node::MultiIsolatePlatform* platform;
  {
    std::lock_guard lock(g_process_mu);
    if (!g_process) return Error(ErrorKind::kInternal, "V8 is not set up");
    platform = g_process->platform.get();
  }
  std::unique_ptr<OwnedIsolate> owned(new OwnedIsolate());
  owned->allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  owned->runner_ = std::make_shared<ForegroundTaskRunner>();
  owned->delegate_ = std::make_unique<Delegate>(owned->runner_);
  owned->isolate_ = v8::Isolate::Allocate();
  platform->RegisterIsolate(owned->isolate_, owned->delegate_.get());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = owned->allocator_.get();
  v8::Isolate::Initialize(owned->isolate_, params);
  return owned;
}

OwnedIsolate::~OwnedIsolate() {
  if (!isolate_) return;
  runner_->clear();
  g_process->platform->UnregisterIsolate(isolate_);
  isolate_->Dispose();
}

}  // namespace witserve::engine::v8backend
