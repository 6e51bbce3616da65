// Copy-on-write images of linear memories, for resetting an instance (Instance::capture/reset).
// Plain POSIX on memory V8 allocated: V8 keeps a wasm memory's pages at one page-aligned address
// while the memory does not grow or grows in place, so they can be replaced underneath it. Any
// thread, on memory that no wasm code is running on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include "witserve/base/result.h"

namespace witserve::engine::v8backend {

class MemoryImage {
 public:
  // Copies [base, base + length) into an anonymous file (pages that are all zero stay holes) and
  // maps that file over the same range, private and writable: the contents do not change, and
  // from now on a page written is a private copy. `base` and `length` are page-aligned. On
  // failure the memory must not be used again.
  static Result<std::shared_ptr<const MemoryImage>> map_under(uint8_t* base, size_t length);
  // An image of `length` zero bytes with `segments` (offset, bytes) written in order, to map
  // over new memories with map_over (a module's initial contents, module_rewrite.h point 5).
  static Result<std::shared_ptr<const MemoryImage>> from_segments(
      size_t length, std::span<const std::pair<uint32_t, std::span<const uint8_t>>> segments);
  ~MemoryImage();

  size_t length() const { return length_; }
  // Maps the image over a new memory of exactly length() bytes, private and writable (an image
  // made by from_segments).
  Status map_over(uint8_t* base, size_t length) const;
  // Whether no page of [base, base + length) has been written since the image was mapped there.
  bool unchanged(const uint8_t* base, size_t length) const;
  MemoryImage(const MemoryImage&) = delete;
  MemoryImage& operator=(const MemoryImage&) = delete;

  // Puts the memory back as it was at map_under: a page written since (a private copy, as
  // /proc/self/pagemap tells) gets the image's bytes again; past the image's length (a memory
  // that grew in place up to `length` bytes) written pages become zeros. Pages only read cost
  // nothing. Without /proc, every page is dropped (madvise) instead, which costs a page fault
  // per page touched afterwards.
  Status restore(uint8_t* base, size_t length) const;

 private:
  MemoryImage(const uint8_t* view, size_t length, int fd) : view_(view), length_(length), fd_(fd) {}
  const uint8_t* view_;  // the file, mapped read-only elsewhere
  size_t length_;
  int fd_;  // kept open for map_over; -1 once nothing maps it again
};

}  // namespace witserve::engine::v8backend
