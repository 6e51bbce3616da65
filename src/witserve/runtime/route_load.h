// Where one route's requests run, and how many of them run at once: the execution mode a route
// asks for (manifest `execution`), and what its handlers have shown so far, from which the
// dispatcher (dispatcher.h) decides, request by request, between the I/O thread and the
// execution pool (executor.h).
//
// The automatic rule: a route starts in the pool. Each pool run that took under kFastRun and
// neither waited in the host (a sleep, a poll, an outgoing request) nor streamed its response
// scores a point, each slower one loses kSlowRunPenalty; at kFastRunsToInline points it runs on
// the I/O thread. There, an inline run over kVerySlowInline, or two in a row over kSlowInline,
// send it back to the pool (to earn its way back); one that waits or streams sends it back for
// good (blocked(): a handler that has waited once may wait again, and a wait on an I/O thread
// stalls every connection of that thread).
// Times are wall times (a thread's CPU clock costs a system call, ~0.7 us here, twice per
// request): a run can look slow because its thread was preempted, which is why one slow run is
// not enough, in either direction, while one long run is.
//
// Thread-safe: one RouteLoad is shared by every copy of its Route (route tables, I/O threads and
// execution threads); everything is an atomic, relaxed: a stale read only moves one request.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace witserve::runtime {

enum class Execution : uint8_t {
  kAuto,    // by the rule above
  kInline,  // always on the I/O thread (handlers known to be fast and never to wait)
  kPool,    // always on an execution thread
};

class RouteLoad {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::microseconds kFastRun{2'000};
  static constexpr int kFastRunsToInline = 16;
  static constexpr int kSlowRunPenalty = 4;
  static constexpr std::chrono::microseconds kSlowInline{20'000};
  static constexpr std::chrono::microseconds kVerySlowInline{250'000};

  // Whether the automatic rule runs the next request on the I/O thread.
  bool runs_inline() const {
    return inline_.load(std::memory_order_relaxed) && !blocked_.load(std::memory_order_relaxed);
  }
  bool blocked() const { return blocked_.load(std::memory_order_relaxed); }

  // What ran() changed, for the log.
  enum class Change { kNone, kToInline, kToPool, kBlocked };

  // A request ran for `took` (wall time, from the call to the handler to its return); `waited`:
  // it waited in the host or streamed its response; `in_pool`: on an execution thread.
  Change ran(Clock::duration took, bool waited, bool in_pool) {
    if (waited) {
      if (blocked_.exchange(true, std::memory_order_relaxed)) return Change::kNone;
      inline_.store(false, std::memory_order_relaxed);
      return Change::kBlocked;
    }
    if (in_pool) {
      int score = score_.load(std::memory_order_relaxed);
      int next = took < kFastRun ? score + 1 : std::max(0, score - kSlowRunPenalty);
      score_.store(std::min(next, kFastRunsToInline), std::memory_order_relaxed);
      if (next >= kFastRunsToInline && !inline_.exchange(true, std::memory_order_relaxed)) {
        slow_inline_.store(false, std::memory_order_relaxed);
        return Change::kToInline;
      }
      return Change::kNone;
    }
    if (took < kSlowInline) {
      slow_inline_.store(false, std::memory_order_relaxed);
      return Change::kNone;
    }
    if (took < kVerySlowInline && !slow_inline_.exchange(true, std::memory_order_relaxed)) return Change::kNone;
    score_.store(0, std::memory_order_relaxed);
    demotions_.fetch_add(1, std::memory_order_relaxed);
    if (inline_.exchange(false, std::memory_order_relaxed)) return Change::kToPool;
    return Change::kNone;
  }

  // Requests of the route admitted and not yet answered (queued or running), for the route's
  // max_concurrency. try_enter() admits one unless `limit` (> 0) are in already.
  bool try_enter(int limit) {
    if (limit <= 0) return true;
    int now = in_flight_.load(std::memory_order_relaxed);
    while (now < limit)
      if (in_flight_.compare_exchange_weak(now, now + 1, std::memory_order_relaxed)) return true;
    return false;
  }
  void leave(int limit) {
    if (limit > 0) in_flight_.fetch_sub(1, std::memory_order_relaxed);
  }

  uint64_t demotions() const { return demotions_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> inline_{false};
  std::atomic<bool> blocked_{false};
  std::atomic<int> score_{0};             // fast pool runs, less penalties
  std::atomic<bool> slow_inline_{false};  // the last inline run was over kSlowInline
  std::atomic<int> in_flight_{0};
  std::atomic<uint64_t> demotions_{0};
};

}  // namespace witserve::runtime
