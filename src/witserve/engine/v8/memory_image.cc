// Copy-on-write images of linear memories (see memory_image.h).
#include "witserve/engine/v8/memory_image.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace witserve::engine::v8backend {
namespace {

Error os_error(const char* what) { return Error(ErrorKind::kInternal, std::string(what) + ": " + std::strerror(errno)); }

bool all_zero(const uint8_t* p, size_t n) {
  static const uint8_t zeros[4096] = {};
  for (size_t at = 0; at < n; at += sizeof zeros) {
    size_t len = std::min(n - at, sizeof zeros);
    if (std::memcmp(p + at, zeros, len) != 0) return false;
  }
  return true;
}

}  // namespace

Status map_copy_on_write(uint8_t* base, size_t length) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  int fd = memfd_create("witserve-memory-image", MFD_CLOEXEC);
  if (fd < 0) return os_error("memfd_create");
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  if (ftruncate(fd, off_t(length)) != 0) return os_error("ftruncate");
  for (size_t at = 0; at < length; at += page) {
    if (all_zero(base + at, page)) continue;  // a hole reads as zeros
    size_t done = 0;
    while (done < page) {
      ssize_t n = pwrite(fd, base + at + done, page - done, off_t(at + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return os_error("writing a memory image");
      done += size_t(n);
    }
  }
  void* mapped = mmap(base, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
  if (mapped == MAP_FAILED) return os_error("mapping a memory image");
  return ok();
}

Status discard_written_pages(uint8_t* base, size_t length) {
  if (length && madvise(base, length, MADV_DONTNEED) != 0) return os_error("madvise");
  return ok();
}

}  // namespace witserve::engine::v8backend
