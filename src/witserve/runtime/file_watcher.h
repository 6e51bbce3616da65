// Watches files for changes with inotify and reports each changed file once it has been quiet
// for a short while (so a file written in several steps is reported once, when complete). Watches
// the files' directories, so a file replaced by rename (how compilers and editors write) is seen.
// Symlinks are followed the way deploys use them: a file that is a symlink is also watched where
// it points (its target edited in place), and a symlink anywhere on its path is watched in its
// own directory (`current -> release-2` swapped); after a change the links are resolved again.
// Threads: its own; the callback runs there. Construct and destroy on one thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
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

  // Resolves every file's triggers again and watches their directories (see above).
  void rewatch();

  int inotify_ = -1;
  int wake_ = -1;  // eventfd that stops the thread
  std::set<std::filesystem::path> files_;
  // Watch descriptor -> directory (several spellings of one directory share a descriptor), and
  // "directory/name" -> the files a change there concerns.
  std::map<int, std::set<std::filesystem::path>> dirs_;
  std::map<std::filesystem::path, std::set<std::filesystem::path>> triggers_;
  std::chrono::milliseconds quiet_{};
  Callback callback_;
  std::thread thread_;
};

}  // namespace witserve::runtime
