// Copy-on-write images of linear memories, for resetting an instance (Instance::capture/reset).
// Plain POSIX on memory V8 allocated: V8 keeps a wasm memory's pages at one page-aligned address
// while the memory does not grow or grows in place, so they can be replaced underneath it. Any
// thread, on memory that no wasm code is running on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "witserve/base/result.h"

namespace witserve::engine::v8backend {

class MemoryImage {
 public:
  // Copies [base, base + length) into an anonymous file (pages that are all zero stay holes) and
  // maps that file over the same range, private and writable: the contents do not change, and
  // from now on a page written is a private copy. `base` and `length` are page-aligned. On
  // failure the memory must not be used again.
  static Result<std::unique_ptr<MemoryImage>> map_under(uint8_t* base, size_t length);
  ~MemoryImage();
  MemoryImage(const MemoryImage&) = delete;
  MemoryImage& operator=(const MemoryImage&) = delete;

  // Puts the memory back as it was at map_under: a page written since (a private copy, as
  // /proc/self/pagemap tells) gets the image's bytes again; past the image's length (a memory
  // that grew in place up to `length` bytes) written pages become zeros. Pages only read cost
  // nothing. Without /proc, every page is dropped (madvise) instead, which costs a page fault
  // per page touched afterwards.
  Status restore(uint8_t* base, size_t length) const;

 private:
  MemoryImage(const uint8_t* view, size_t length) : view_(view), length_(length) {}
  const uint8_t* view_;  // the file, mapped read-only elsewhere
  size_t length_;
};

}  // namespace witserve::engine::v8backend
