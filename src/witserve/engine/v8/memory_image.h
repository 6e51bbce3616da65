// Copy-on-write images of linear memories, for resetting an instance (Instance::capture/reset).
// Plain POSIX on memory V8 allocated: V8 keeps a wasm memory's pages at one page-aligned address
// while the memory does not grow, so they can be replaced underneath it. Any thread, on memory
// that no wasm code is running on.
#pragma once

#include <cstddef>
#include <cstdint>

#include "witserve/base/result.h"

namespace witserve::engine::v8backend {

// Copies [base, base + length) into an anonymous file (pages that are all zero stay holes) and
// maps that file over the same range, private and writable. The contents do not change; from now
// on a page written is a private copy, and discard_written_pages drops those copies. `base` and
// `length` are page-aligned. On failure the memory must not be used again.
Status map_copy_on_write(uint8_t* base, size_t length);

// Puts every page of a range mapped by map_copy_on_write back to the file's contents.
Status discard_written_pages(uint8_t* base, size_t length);

}  // namespace witserve::engine::v8backend
