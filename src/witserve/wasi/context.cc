// WasiContext, its table of host objects and the log lines of handler output (context.h).
#include "witserve/wasi/context.h"

#include <thread>

#include "witserve/base/log.h"

namespace witserve::wasi {

uint32_t Table::add(std::unique_ptr<Object> o) {
  ++live_;
  if (!free_.empty()) {
    uint32_t rep = free_.back();
    free_.pop_back();
    objects_[rep] = std::move(o);
    return rep;
  }
  objects_.push_back(std::move(o));
  return uint32_t(objects_.size() - 1);
}

void Table::remove(uint32_t rep) {
  if (rep == 0 || rep >= objects_.size() || !objects_[rep]) return;
  objects_[rep].reset();
  free_.push_back(rep);
  --live_;
}

namespace {
thread_local WasiContext* current_context = nullptr;
thread_local uint64_t waits_on_thread = 0;
constexpr size_t kMaxLine = 16 * 1024;
}  // namespace

WasiContext::WasiContext(std::shared_ptr<const Grants> grants) : grants_(std::move(grants)) {}
WasiContext::~WasiContext() { flush_output(); }

WasiContext* WasiContext::current() { return current_context; }
uint64_t WasiContext::waits_on_this_thread() { return waits_on_thread; }
void WasiContext::note_wait() { ++waits_on_thread; }
WasiContext::Enter::Enter(WasiContext* c) : saved_(current_context) { current_context = c; }
WasiContext::Enter::~Enter() { current_context = saved_; }

Status WasiContext::check_deadline() const {
  if (Clock::now() >= deadline) return Error(ErrorKind::kInterrupted, "the request deadline passed while the handler waited");
  return ok();
}

Status WasiContext::sleep_until(Clock::time_point until) {
  if (before_block) before_block();
  if (until > Clock::now()) note_wait();
  if (until > deadline) {
    std::this_thread::sleep_until(deadline);
    return check_deadline();
  }
  std::this_thread::sleep_until(until);
  return ok();
}

void WasiContext::output(int fd, std::span<const uint8_t> data) {
  std::string& line = line_[fd == 2];
  for (uint8_t c : data) {
    if (c == '\n' || line.size() >= kMaxLine) {
      flush_output();  // both streams: keeps their order roughly right
      if (c == '\n') continue;
    }
    line.push_back(char(c));
  }
}

void WasiContext::flush_output() {
  for (int i = 0; i < 2; ++i) {
    if (line_[i].empty()) continue;
    if (i == 0) spdlog::info("[{}] stdout: {}", grants_->route, line_[i]);
    else spdlog::warn("[{}] stderr: {}", grants_->route, line_[i]);
    line_[i].clear();
  }
}

}  // namespace witserve::wasi
