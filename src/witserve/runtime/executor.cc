// The execution pool (see executor.h). Everything shared is guarded by mu_; a Worker is touched
// only by the thread that made it.
#include "witserve/runtime/executor.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "witserve/base/log.h"

namespace witserve::runtime {

Executor::Executor(ExecutorOptions options, WorkerFactory factory)
    : options_(std::move(options)), factory_(std::move(factory)) {}

Executor::~Executor() { stop(); }

Result<std::unique_ptr<Executor>> Executor::start(ExecutorOptions options, WorkerFactory factory) {
  if (options.max_threads == 0) return Error(ErrorKind::kInvalidArgument, "an execution pool needs a thread");
  options.min_threads = std::min(options.min_threads, options.max_threads);
  std::unique_ptr<Executor> e(new Executor(std::move(options), std::move(factory)));
  std::mutex ready_mu;
  std::condition_variable ready_cv;
  unsigned reported = 0, failed = 0;
  {
    std::lock_guard lock(e->mu_);
    for (unsigned i = 0; i < e->options_.min_threads; ++i)
      e->spawn_locked([&](bool ok) {
        std::lock_guard l(ready_mu);
        ++reported;
        failed += !ok;
        ready_cv.notify_all();
      });
  }
  std::unique_lock lock(ready_mu);
  ready_cv.wait(lock, [&] { return reported == e->options_.min_threads; });
  if (failed) {
    lock.unlock();
    e->stop();
    return Error(ErrorKind::kInternal, "execution threads: " + std::to_string(failed) + " could not make their engine Store");
  }
  return e;
}

void Executor::spawn_locked(std::function<void(bool)> ready) {
  reap_locked();
  auto t = std::make_unique<Thread>();
  Thread* self = t.get();
  ++live_;
  ++starting_;
  threads_.push_back(std::move(t));
  self->thread = std::thread([this, self, ready = std::move(ready)]() mutable { run(self, std::move(ready)); });
}

void Executor::reap_locked() {
  std::erase_if(threads_, [](std::unique_ptr<Thread>& t) {
    if (!t->done) return false;
    t->thread.join();  // its loop ended: it is only returning
    return true;
  });
}

void Executor::run(Thread* self, std::function<void(bool)> ready) {
  {
    std::lock_guard lock(mu_);
    std::string name = options_.name + "-" + std::to_string(next_id_++);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  }
  if (options_.nice) {
    // On Linux a nice value belongs to the thread (its tid), not the whole process.
    pid_t tid = pid_t(::syscall(SYS_gettid));
    errno = 0;
    int now = ::getpriority(PRIO_PROCESS, id_t(tid));
    if (errno == 0 && ::setpriority(PRIO_PROCESS, id_t(tid), std::min(19, now + options_.nice)) != 0)
      spdlog::debug("{}: cannot lower an execution thread's priority: {}", options_.name, std::strerror(errno));
  }
  auto made = factory_();
  if (ready) ready(made.ok());
  std::unique_ptr<Worker> worker;
  std::deque<std::unique_ptr<Job>> orphans;  // jobs no thread is left to run
  // Calls `f` on `job` without the lock; a job that throws ends that job, not the thread.
  auto unlocked = [&](std::unique_lock<std::mutex>& lock, const char* what, auto&& f) {
    lock.unlock();
    try {
      f();
    } catch (const std::exception& e) {
      spdlog::error("{}: internal error in a job's {}: {}", options_.name, what, e.what());
    } catch (...) {
      spdlog::error("{}: internal error in a job's {}", options_.name, what);
    }
    lock.lock();
  };
  std::unique_lock lock(mu_);
  --starting_;
  // More jobs wait than this thread and those starting will take: start the next ones.
  while (made.ok() && !stopping_ && queue_.size() > starting_ + 1 && live_ < options_.max_threads &&
         starting_ < options_.max_starting)
    spawn_locked();
  if (made.ok()) {
    worker = std::move(*made);
    std::unique_ptr<Job> job;   // to run next
    std::unique_ptr<Job> done;  // ran: answered once this thread is in line for the next job
    for (;;) {
      if (!job && !queue_.empty()) {
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      if (job) {
        if (done) unlocked(lock, "answer", [&] { done->finish(); }), done.reset();
        ++busy_;
        unlocked(lock, "run", [&] { job->run(*worker); });
        --busy_;
        done = std::move(job);
        continue;
      }
      if (stopping_) break;
      idle_.push_back(self);
      if (done) unlocked(lock, "answer", [&] { done->finish(); }), done.reset();
      bool woken = self->cv.wait_for(lock, options_.idle_timeout, [&] { return self->handed || stopping_; });
      if (self->handed) {  // submit() took it off idle_
        job = std::move(self->handed);
        continue;
      }
      std::erase(idle_, self);
      if (!woken && live_ > options_.min_threads) break;
    }
    if (done) unlocked(lock, "answer", [&] { done->finish(); }), done.reset();
  } else {
    spdlog::error("{}: an execution thread could not start: {}", options_.name, made.error().message());
  }
  --live_;
  if (live_ == 0) orphans.swap(queue_);
  lock.unlock();
  for (auto& job : orphans) job->drop();
  orphans.clear();
  worker.reset();  // the Store goes on the thread that made it
  lock.lock();
  self->done = true;
}

std::unique_ptr<Job> Executor::submit(std::unique_ptr<Job> job) {
  std::lock_guard lock(mu_);
  if (stopping_) return job;
  if (!idle_.empty()) {
    // The thread idle last (its Store and instances are the warmest) takes it.
    Thread* t = idle_.back();
    idle_.pop_back();
    t->handed = std::move(job);
    t->cv.notify_one();
    return nullptr;
  }
  // Threads starting take from the queue; past them, this job would wait: start a thread for it
  // if the pool may grow, else queue it if the queue has room.
  if (queue_.size() >= starting_) {
    if (live_ < options_.max_threads) {
      if (starting_ < options_.max_starting) spawn_locked();  // else a thread that starts spawns the next
    } else if (queue_.size() - starting_ >= options_.max_queue) {
      return job;
    }
  }
  queue_.push_back(std::move(job));
  return nullptr;
}

void Executor::stop() {
  std::deque<std::unique_ptr<Job>> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(queue_);
    for (auto& t : threads_) t->cv.notify_one();
  }
  for (auto& job : dropped) job->drop();
  dropped.clear();
  std::vector<std::unique_ptr<Thread>> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads)
    if (t->thread.joinable()) t->thread.join();
}

Executor::Counts Executor::counts() const {
  std::lock_guard lock(mu_);
  return {live_, busy_, queue_.size()};
}

}  // namespace witserve::runtime
