// A table of resource handles as the spec's `Table` (CanonicalABI.md, "Table state"): index 0 is
// never a handle, a removed index goes on a free list, and the next add takes the most recently
// freed index first (last in, first out), so allocation and removal are O(1) and indices are
// exactly those the spec's reference implementation hands out. At most kMaxLength entries.
// `Entry` is a plain struct with a `bool live`. Belongs to one component instance: its Store's
// thread only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::component {

template <typename Entry>
class HandleTable {
 public:
  static constexpr uint32_t kMaxLength = (1u << 28) - 1;

  // `first` is the lowest index ever handed out: 1 for guest tables (index 0 is never valid), 0
  // for the host's.
  explicit HandleTable(uint32_t first = 1) : slots_(first), first_(first) {}

  Result<uint32_t> add(Entry e) {
    e.live = true;
    if (!free_.empty()) {
      uint32_t i = free_.back();
      free_.pop_back();
      slots_[i] = std::move(e);
      return i;
    }
    if (slots_.size() > kMaxLength)
      return Error(ErrorKind::kTrap, "the handle table is full (" + std::to_string(kMaxLength) + " handles)");
    slots_.push_back(std::move(e));
    return uint32_t(slots_.size() - 1);
  }

  // The live entry at `i`, or null.
  Entry* get(uint32_t i) { return i < slots_.size() && slots_[i].live ? &slots_[i] : nullptr; }
  const Entry* get(uint32_t i) const { return i < slots_.size() && slots_[i].live ? &slots_[i] : nullptr; }

  // Frees a live index for reuse.
  void remove(uint32_t i) {
    if (!get(i)) return;
    slots_[i].live = false;
    free_.push_back(i);
  }

  size_t live_count() const { return slots_.size() - first_ - free_.size(); }

 private:
  std::vector<Entry> slots_;
  std::vector<uint32_t> free_;
  uint32_t first_;
};

}  // namespace witserve::component
