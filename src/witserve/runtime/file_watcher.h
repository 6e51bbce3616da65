// Watches files for changes with inotify and reports each changed file once it has been quiet
// for a short while (so a file written in several steps is reported once, when complete). Watches
// the files' directories, so a file replaced by rename (how compilers and editors write) is seen.
// Threads: its own; the callback runs there. Construct and destroy on one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::runtime {

class FileWatcher {
 public:
  using Callback = std::function<void(const std::filesystem::path& file)>;
  static Result<std::unique_ptr<FileWatcher>> start(std::vector<std::filesystem::path> files, Callback callback,
                                                    std::chrono::milliseconds quiet = std::chrono::milliseconds(100));
  ~FileWatcher();

 private:
  FileWatcher() = default;
  void run();

  int inotify_ = -1;
  int wake_ = -1;  // eventfd that stops the thread
  std::set<std::filesystem::path> files_;
  std::chrono::milliseconds quiet_{};
  Callback callback_;
  std::thread thread_;
};

}  // namespace witserve::runtime
