// The execution pool: threads beside the I/O threads that run the handlers which may wait or run
// long, so that one of them holds only its own thread. Each execution thread owns a
// runtime::Worker (its engine Store, a V8 isolate, and its instances), made and destroyed on that
// thread. V8 cannot suspend running wasm, so a waiting handler holds its thread whatever the
// design: the pool is elastic — it starts a thread when a job arrives and none is idle, up to
// max_threads, and a thread idle past idle_timeout ends (down to min_threads).
//
// Execution threads run at a lower scheduling priority than the I/O threads (`nice`, Linux's
// per-thread nice value): a handler that loops, or many that compute, cannot take the CPU from
// the threads that accept, parse, answer fast routes and write; they get what those leave.
//
// The thread that finished a job last is first in line for the next one (idle threads are a
// stack), and it answers a job (Job::finish) only once it is back in line: a client's next request
// on the same connection finds the same thread, hence the same Store and the same kept instance of
// an instance = "reuse" route, and few threads stay warm under light load.
//
// Admission is bounded: at most max_queue jobs wait for a thread; submit() refuses more, and the
// caller answers 503. stop() drops the jobs still queued (Job::drop) and waits for the running
// ones; making those return (the watchdog) is the caller's business.
//
// Threads: submit() from any thread; stop() from one controlling thread; jobs run on the pool's
// threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/runtime/worker.h"

namespace witserve::runtime {

// One request handed to the pool.
class Job {
 public:
  virtual ~Job() = default;
  virtual void run(Worker& worker) = 0;  // on an execution thread
  virtual void finish() = 0;             // after run(), on the same thread: answer
  virtual void drop() = 0;               // never to run (the server stops): answer without it
};

struct ExecutorOptions {
  unsigned min_threads = 1;    // started at once and kept when idle
  unsigned max_threads = 256;  // manifest server.max_executors
  size_t max_queue = 1024;     // manifest server.max_queue
  std::chrono::milliseconds idle_timeout{30'000};
  int nice = 10;               // added to each execution thread's nice value (0: none)
  // Threads making their Store at once, at most: a burst of requests starts threads a few at a
  // time (each takes jobs as soon as it is up) rather than hundreds of isolates at once.
  unsigned max_starting = 2;
  std::string name = "exec";   // thread names (exec-N) and log lines
};

class Executor {
 public:
  // Makes a Worker on the execution thread that will own it.
  using WorkerFactory = std::function<Result<std::unique_ptr<Worker>>()>;

  // Starts min_threads threads and returns once each has made its Worker; a factory failing is
  // an Error.
  static Result<std::unique_ptr<Executor>> start(ExecutorOptions options, WorkerFactory factory);
  ~Executor();  // stop()s

  // Queues `job` for the next free thread (starting one if none is free and max_threads allows).
  // Returns the job back when the queue is full or the pool stopped: the caller answers it.
  std::unique_ptr<Job> submit(std::unique_ptr<Job> job);

  // Drops the queued jobs, then waits for the running ones and joins every thread.
  void stop();

  struct Counts {
    size_t threads = 0, busy = 0, queued = 0;
  };
  Counts counts() const;

 private:
  explicit Executor(ExecutorOptions options, WorkerFactory factory);
  struct Thread {
    std::thread thread;
    bool done = false;             // its loop ended; join it
    std::condition_variable cv;    // a job was handed to it, or the pool stops
    std::unique_ptr<Job> handed;   // set by submit() while the thread is idle
  };
  // Starts a thread (mu_ held). `ready`, if given, learns whether its Worker was made.
  void spawn_locked(std::function<void(bool)> ready = {});
  void run(Thread* self, std::function<void(bool)> ready);
  void reap_locked();  // joins threads whose loop ended

  const ExecutorOptions options_;
  const WorkerFactory factory_;
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<Job>> queue_;
  std::vector<std::unique_ptr<Thread>> threads_;
  std::vector<Thread*> idle_;  // waiting for a job; the last one idle last
  size_t live_ = 0;      // threads started and not ended
  size_t starting_ = 0;  // threads started that have not taken a job or waited yet
  size_t busy_ = 0;
  unsigned next_id_ = 0;
  bool stopping_ = false;
};

}  // namespace witserve::runtime
