// inotify-based file watching (see file_watcher.h).
#include "witserve/runtime/file_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "witserve/base/log.h"

namespace witserve::runtime {

Result<std::unique_ptr<FileWatcher>> FileWatcher::start(std::vector<std::filesystem::path> files, Callback callback,
                                                        std::chrono::milliseconds quiet) {
  std::unique_ptr<FileWatcher> w(new FileWatcher());
  w->inotify_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  w->wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->inotify_ < 0 || w->wake_ < 0) return Error(ErrorKind::kIo, std::string("inotify: ") + std::strerror(errno));
  for (auto& f : files) w->files_.insert(std::filesystem::absolute(f).lexically_normal());
  w->rewatch();
  if (w->dirs_.empty() && !w->files_.empty())
    return Error(ErrorKind::kIo, "cannot watch " + w->files_.begin()->parent_path().string() + ": " + std::strerror(errno));
  w->quiet_ = quiet;
  w->callback_ = std::move(callback);
  w->thread_ = std::thread([p = w.get()] { p->run(); });
  return w;
}

void FileWatcher::rewatch() {
  namespace fs = std::filesystem;
  std::map<fs::path, std::set<fs::path>> triggers;
  for (const auto& f : files_) {
    triggers[f].insert(f);
    // Every symlink on the way, the file's own included: a change to the link itself shows in
    // the directory holding it; then on through where it points.
    std::error_code ec;
    fs::path walked;
    for (const auto& part : f) {
      walked = walked.empty() ? part : walked / part;
      if (fs::is_symlink(walked, ec)) triggers[walked].insert(f);
    }
    fs::path target = fs::canonical(f, ec);
    if (!ec && target != f) triggers[target].insert(f);
  }
  std::set<fs::path> want;
  for (const auto& [at, _] : triggers) want.insert(at.parent_path());
  std::map<int, std::set<fs::path>> dirs;
  for (const auto& d : want) {
    int wd = inotify_add_watch(inotify_, d.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY);
    if (wd >= 0) dirs[wd].insert(d);
    else spdlog::debug("file watcher: cannot watch {}: {}", d.string(), std::strerror(errno));
  }
  for (const auto& [wd, d] : dirs_)
    if (!dirs.count(wd)) inotify_rm_watch(inotify_, wd);
  dirs_ = std::move(dirs);
  triggers_ = std::move(triggers);
}

FileWatcher::~FileWatcher() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!write(wake_, &one, sizeof one);
    thread_.join();
  }
  if (inotify_ >= 0) close(inotify_);
  if (wake_ >= 0) close(wake_);
}

void FileWatcher::run() {
  using Clock = std::chrono::steady_clock;
  std::map<std::filesystem::path, Clock::time_point> pending;
  alignas(inotify_event) char buf[16 * 1024];
  for (;;) {
    int timeout = -1;
    if (!pending.empty()) {
      auto next = std::min_element(pending.begin(), pending.end(),
                                   [](auto& a, auto& b) { return a.second < b.second; })->second + quiet_;
      timeout = int(std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count()));
    }
    pollfd fds[2] = {{inotify_, POLLIN, 0}, {wake_, POLLIN, 0}};
    if (poll(fds, 2, timeout) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (fds[0].revents) {
      ssize_t n;
      while ((n = read(inotify_, buf, sizeof buf)) > 0) {
        for (char* p = buf; p < buf + n;) {
          auto* ev = reinterpret_cast<inotify_event*>(p);
          p += sizeof(inotify_event) + ev->len;
          if (!ev->len) continue;
          auto dir = dirs_.find(ev->wd);
          if (dir == dirs_.end()) continue;
          for (const auto& spelling : dir->second) {
            auto hit = triggers_.find(spelling / ev->name);
            if (hit == triggers_.end()) continue;
            for (const auto& f : hit->second) pending[f] = Clock::now();
          }
        }
      }
    }
    auto now = Clock::now();
    bool changed = false;
    for (auto it = pending.begin(); it != pending.end();) {
      if (now - it->second >= quiet_) {
        auto file = it->first;
        it = pending.erase(it);
        changed = true;
        if (std::filesystem::exists(file)) callback_(file);
      } else {
        ++it;
      }
    }
    // A link may point elsewhere now: follow it there.
    if (changed) rewatch();
  }
}

}  // namespace witserve::runtime
