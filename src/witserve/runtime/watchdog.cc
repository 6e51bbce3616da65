// The deadline thread (see watchdog.h).
#include "witserve/runtime/watchdog.h"

namespace witserve::runtime {

Watchdog::Watchdog() : thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t Watchdog::arm(std::shared_ptr<engine::InterruptHandle> handle, Clock::time_point deadline) {
  std::lock_guard lock(mu_);
  uint64_t ticket = next_++;
  if (expired_) deadline = Clock::now();
  by_ticket_[ticket] = armed_.emplace(deadline, std::make_pair(ticket, std::move(handle)));
  // Wake the thread only if it would sleep past this deadline: with requests far shorter than
  // their deadlines, almost no arm() needs a wake-up (each one cost a futex call and two context
  // switches per request).
  if (deadline < wake_at_) cv_.notify_all();
  return ticket;
}

void Watchdog::disarm(uint64_t ticket) {
  std::lock_guard lock(mu_);
  if (auto it = by_ticket_.find(ticket); it != by_ticket_.end()) {
    armed_.erase(it->second);
    by_ticket_.erase(it);
  }
}

void Watchdog::expire_all() {
  std::lock_guard lock(mu_);
  expired_ = true;
  expired_flag_ = true;
  decltype(armed_) due;
  for (auto& [at, entry] : armed_) {
    auto it = due.emplace(Clock::now(), entry);
    by_ticket_[entry.first] = it;
  }
  armed_.swap(due);
  cv_.notify_all();
}

void Watchdog::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto now = Clock::now();
    auto first = armed_.begin();
    if (first == armed_.end() || now < first->first) {
      // Sleep until the first deadline, or a tick at most: arm() need not wake the thread for a
      // deadline later than that.
      wake_at_ = now + kTick;
      if (first != armed_.end()) wake_at_ = std::min(wake_at_, first->first);
      cv_.wait_until(lock, wake_at_);
      continue;
    }
    // Due: interrupt, and keep interrupting every 10 ms until disarmed, in case the interrupt
    // landed between the worker's calls into wasm.
    auto [ticket, handle] = first->second;
    armed_.erase(first);
    by_ticket_[ticket] = armed_.emplace(Clock::now() + std::chrono::milliseconds(10), std::make_pair(ticket, handle));
    lock.unlock();
    handle->interrupt();
    lock.lock();
  }
}

}  // namespace witserve::runtime
