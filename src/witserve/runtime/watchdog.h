// Deadlines for handler calls: one thread that interrupts a Store whose call runs past its
// deadline. Workers arm() before calling into a handler and disarm() after; a deadline that
// passes in between interrupts the Store, whose call then returns kInterrupted.
// Thread-safe: any worker may arm and disarm.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "witserve/engine/engine.h"

namespace witserve::runtime {

class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;
  Watchdog();
  ~Watchdog();

  uint64_t arm(std::shared_ptr<engine::InterruptHandle> handle, Clock::time_point deadline);
  void disarm(uint64_t ticket);
  // Shutdown past its grace period: every armed deadline, and every one armed from now on, is
  // due at once.
  void expire_all();
  // Whether expire_all() was called: an interrupted call was stopped by the shutdown, not by its
  // own deadline.
  bool expired() const { return expired_flag_.load(std::memory_order_relaxed); }

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::pair<uint64_t, std::shared_ptr<engine::InterruptHandle>>> armed_;
  std::map<uint64_t, decltype(armed_)::iterator> by_ticket_;
  uint64_t next_ = 1;
  bool stop_ = false;
  // When the thread wakes next (it sleeps at most kTick, so an idle watchdog costs a wake-up a
  // second); arm() notifies only for an earlier deadline.
  static constexpr std::chrono::milliseconds kTick{1000};
  Clock::time_point wake_at_ = Clock::time_point::min();
  bool expired_ = false;
  std::atomic<bool> expired_flag_{false};
  std::thread thread_;
};

// Arms on construction, disarms on destruction.
class Deadline {
 public:
  Deadline(Watchdog& w, std::shared_ptr<engine::InterruptHandle> h, Watchdog::Clock::time_point at)
      : w_(w), ticket_(w.arm(std::move(h), at)) {}
  ~Deadline() { w_.disarm(ticket_); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

 private:
  Watchdog& w_;
  uint64_t ticket_;
};

}  // namespace witserve::runtime
