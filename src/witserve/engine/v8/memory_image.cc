// Copy-on-write images of linear memories (see memory_image.h).
#include "witserve/engine/v8/memory_image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace witserve::engine::v8backend {
namespace {

Error os_error(const char* what) {
  return Error(ErrorKind::kInternal, std::string(what) + ": " + std::strerror(errno));
}

size_t page_size() {
  static const size_t page = size_t(sysconf(_SC_PAGESIZE));
  return page;
}

bool all_zero(const uint8_t* p, size_t n) {
  static const uint8_t zeros[4096] = {};
  for (size_t at = 0; at < n; at += sizeof zeros) {
    size_t len = std::min(n - at, sizeof zeros);
    if (std::memcmp(p + at, zeros, len) != 0) return false;
  }
  return true;
}

// /proc/self/pagemap, opened once for the process; -1 where there is none. pread on it is
// thread-safe.
int pagemap_fd() {
  static const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  return fd;
}

// A pagemap entry's bits: the page is present, and it maps a file (or shared memory) page
// rather than a private anonymous one.
constexpr uint64_t kPresent = 1ull << 63;
constexpr uint64_t kFilePage = 1ull << 61;

// The pagemap entries of [base, base + length), in a buffer of this thread's (valid until its
// next call); null where there is no pagemap to read.
const std::vector<uint64_t>* read_pagemap(const uint8_t* base, size_t length) {
  thread_local std::vector<uint64_t> entries;
  const size_t page = page_size();
  entries.resize(length / page);
  int fd = pagemap_fd();
  off_t at = off_t(reinterpret_cast<uintptr_t>(base) / page * sizeof(uint64_t));
  size_t want = entries.size() * sizeof(uint64_t);
  if (fd < 0 || pread(fd, entries.data(), want, at) != ssize_t(want)) return nullptr;
  return &entries;
}

}  // namespace

namespace {

Status write_all(int fd, const uint8_t* data, size_t size, size_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = pwrite(fd, data + done, size - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return os_error("writing a memory image");
    done += size_t(n);
  }
  return ok();
}

// An anonymous file of `length` bytes and a read-only view of it; the file descriptor is
// returned open.
Result<std::pair<int, const uint8_t*>> new_file(size_t length, const std::function<Status(int)>& fill) {
  int fd = memfd_create("witserve-memory-image", MFD_CLOEXEC);
  if (fd < 0) return os_error("memfd_create");
  if (ftruncate(fd, off_t(length)) != 0) {
    close(fd);
    return os_error("ftruncate");
  }
  if (Status st = fill(fd); !st.ok()) {
    close(fd);
    return st.error();
  }
  void* view = mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
  if (view == MAP_FAILED) {
    close(fd);
    return os_error("mapping a memory image");
  }
  return std::pair{fd, static_cast<const uint8_t*>(view)};
}

}  // namespace

Result<std::shared_ptr<const MemoryImage>> MemoryImage::map_under(uint8_t* base, size_t length) {
  const size_t page = page_size();
  WITSERVE_ASSIGN_OR_RETURN(auto file, new_file(length, [&](int fd) -> Status {
    for (size_t at = 0; at < length; at += page)
      if (!all_zero(base + at, page)) WITSERVE_TRY(write_all(fd, base + at, page, at));  // zeros stay holes
    return ok();
  }));
  std::shared_ptr<MemoryImage> image(new MemoryImage(file.second, length, -1));
  void* mapped = mmap(base, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, file.first, 0);
  close(file.first);
  if (mapped == MAP_FAILED) return os_error("mapping a memory image over a memory");
  return std::shared_ptr<const MemoryImage>(std::move(image));
}

namespace {
// Images made by from_segments keep a file descriptor open for as long as their module lives; a
// registry of thousands of components must not run the process out of descriptors, so past
// this many the modules keep their data segments instead.
constexpr int kMaxOpenImages = 256;
std::atomic<int> g_open_images{0};
}  // namespace

Result<std::shared_ptr<const MemoryImage>> MemoryImage::from_segments(
    size_t length, std::span<const std::pair<uint32_t, std::span<const uint8_t>>> segments) {
  if (g_open_images.fetch_add(1) >= kMaxOpenImages) {
    g_open_images.fetch_sub(1);
    return Error(ErrorKind::kUnsupported, "too many memory images open");
  }
  auto file = new_file(length, [&](int fd) -> Status {
    for (const auto& [offset, bytes] : segments) {
      if (uint64_t(offset) + bytes.size() > length) return Error(ErrorKind::kInternal, "a segment is out of bounds");
      WITSERVE_TRY(write_all(fd, bytes.data(), bytes.size(), offset));
    }
    return ok();
  });
  if (!file.ok()) {
    g_open_images.fetch_sub(1);
    return std::move(file).error();
  }
  return std::shared_ptr<const MemoryImage>(new MemoryImage(file->second, length, file->first));
}

MemoryImage::~MemoryImage() {
  munmap(const_cast<uint8_t*>(view_), length_);
  if (fd_ >= 0) {
    close(fd_);
    g_open_images.fetch_sub(1);
  }
}

Status MemoryImage::map_over(uint8_t* base, size_t length) const {
  if (fd_ < 0 || length != length_) return Error(ErrorKind::kInternal, "the memory does not fit its image");
  void* mapped = mmap(base, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd_, 0);
  if (mapped == MAP_FAILED) return os_error("mapping a memory image over a new memory");
  return ok();
}

bool MemoryImage::unchanged(const uint8_t* base, size_t length) const {
  const std::vector<uint64_t>* entries = read_pagemap(base, length);
  if (!entries) return false;
  for (uint64_t e : *entries)
    if ((e & kPresent) && !(e & kFilePage)) return false;
  return true;
}

Status MemoryImage::restore(uint8_t* base, size_t length) const {
  const size_t page = page_size();
  const std::vector<uint64_t>* entries = read_pagemap(base, length);
  if (!entries) {
    if (length && madvise(base, length, MADV_DONTNEED) != 0) return os_error("madvise");
    return ok();
  }
  for (size_t i = 0; i < entries->size(); ++i) {
    uint64_t e = (*entries)[i];
    if (!(e & kPresent) || (e & kFilePage)) continue;  // never written since the image was mapped
    size_t off = i * page;
    if (off < length_) std::memcpy(base + off, view_ + off, page);
    else std::memset(base + off, 0, page);
  }
  return ok();
}

}  // namespace witserve::engine::v8backend
