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
  std::unique_lock lock(mu_);
  --starting_;
  if (made.ok()) {
    worker = std::move(*made);
    for (;;) {
      if (queue_.empty()) {
        if (stopping_) break;
        ++idle_;
        bool woken = cv_.wait_for(lock, options_.idle_timeout, [&] { return !queue_.empty() || stopping_; });
        --idle_;
        if (!woken && live_ > options_.min_threads) break;
        continue;
      }
      std::unique_ptr<Job> job = std::move(queue_.front());
      queue_.pop_front();
      ++busy_;
      lock.unlock();
      // The pool's exception boundary: a job that throws ends that job, not the thread.
      try {
        job->run(*worker);
      } catch (const std::exception& e) {
        spdlog::error("{}: internal error in a job: {}", options_.name, e.what());
      } catch (...) {
        spdlog::error("{}: internal error in a job", options_.name);
      }
      job.reset();  // answers (a Job's Responder) before the thread counts as free
      lock.lock();
      --busy_;
    }
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
  // Threads on their way to take a job: the idle ones and those starting.
  size_t coming = idle_ + starting_;
  if (queue_.size() >= coming) {
    // This job would wait: start a thread for it if the pool may grow, else queue it if the
    // queue has room.
    if (live_ < options_.max_threads) spawn_locked();
    else if (queue_.size() - coming >= options_.max_queue) return job;
  }
  queue_.push_back(std::move(job));
  if (idle_) cv_.notify_one();
  return nullptr;
}

void Executor::stop() {
  std::deque<std::unique_ptr<Job>> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    dropped.swap(queue_);
  }
  cv_.notify_all();
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
