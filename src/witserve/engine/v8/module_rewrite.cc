// Rewrites core modules before V8 compiles them (see module_rewrite.h).
#include "witserve/engine/v8/module_rewrite.h"

#include <cstring>
#include <string>
#include <string_view>

namespace witserve::engine::v8_backend {
namespace {

constexpr uint8_t kTypeSection = 1;
constexpr uint8_t kFunctionSection = 3;
constexpr uint8_t kMemorySection = 5;
constexpr uint8_t kGlobalSection = 6;
constexpr uint8_t kExportSection = 7;
constexpr uint8_t kStartSection = 8;
constexpr uint8_t kCodeSection = 10;
constexpr uint8_t kDataSection = 11;

bool read_u32(std::span<const uint8_t> b, size_t& pos, uint32_t& out) {
  out = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (pos >= b.size()) return false;
    uint8_t byte = b[pos++];
    out |= uint32_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

void write_u32(std::vector<uint8_t>& out, uint32_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    out.push_back(v ? byte | 0x80 : byte);
  } while (v);
}

void write_section(std::vector<uint8_t>& out, uint8_t id, std::span<const uint8_t> payload) {
  out.push_back(id);
  write_u32(out, uint32_t(payload.size()));
  out.insert(out.end(), payload.begin(), payload.end());
}

// One export entry.
void write_export(std::vector<uint8_t>& out, std::string_view name, uint8_t kind, uint32_t index) {
  write_u32(out, uint32_t(name.size()));
  out.insert(out.end(), name.begin(), name.end());
  out.push_back(kind);
  write_u32(out, index);
}

void write_s32(std::vector<uint8_t>& out, int32_t v) {
  while (true) {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    if ((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40))) {
      out.push_back(byte);
      return;
    }
    out.push_back(byte | 0x80);
  }
}

struct Section {
  uint8_t id;
  std::span<const uint8_t> payload;
};

// A vector section with `extra` (already encoded entries) appended and its count raised.
std::optional<std::vector<uint8_t>> append_entries(std::span<const uint8_t> payload, uint32_t added,
                                                   std::span<const uint8_t> extra) {
  size_t p = 0;
  uint32_t count;
  if (!read_u32(payload, p, count)) return std::nullopt;
  std::vector<uint8_t> out;
  write_u32(out, count + added);
  out.insert(out.end(), payload.begin() + p, payload.end());
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

// The minimum of the first memory in a memory section.
std::optional<uint32_t> first_memory_min(std::span<const uint8_t> payload) {
  size_t p = 0;
  uint32_t count, min;
  if (!read_u32(payload, p, count) || count == 0 || p >= payload.size()) return std::nullopt;
  if (payload[p++] > 1 || !read_u32(payload, p, min)) return std::nullopt;
  return min;
}

// The virtual memory size (module_rewrite.h): `grow(delta) -> old` over the global `size`. Grows
// the real memory only by what the virtual size needs beyond it; -1 if that fails.
std::vector<uint8_t> grow_body(uint32_t size) {
  std::vector<uint8_t> b = {0x01, 0x01, 0x7F};  // one local: $old i32 (local 1; $delta is 0)
  auto global_get = [&] { b.push_back(0x23); write_u32(b, size); };
  global_get();
  b.insert(b.end(), {0x21, 0x01});                                     // local.set $old
  b.insert(b.end(), {0x20, 0x00, 0x3F, 0x00, 0x20, 0x01, 0x6B, 0x4B});  // delta >u real - old
  b.insert(b.end(), {0x04, 0x40});                                     // if
  b.insert(b.end(), {0x20, 0x00, 0x3F, 0x00, 0x20, 0x01, 0x6B, 0x6B});  //   delta - (real - old)
  b.insert(b.end(), {0x40, 0x00, 0x41, 0x7F, 0x46});                   //   memory.grow == -1
  b.insert(b.end(), {0x04, 0x40, 0x41, 0x7F, 0x0F, 0x0B});             //   if: return -1
  b.push_back(0x0B);                                                   // end
  global_get();
  b.insert(b.end(), {0x20, 0x00, 0x6A, 0x24});                         // size += delta
  write_u32(b, size);
  b.insert(b.end(), {0x20, 0x01, 0x0B});                               // old
  std::vector<uint8_t> out;
  write_u32(out, uint32_t(b.size()));
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// The code section with memory.size read from global `size` and memory.grow calling `grow`,
// and the body of `grow` appended.
std::optional<std::vector<uint8_t>> virtualize_code(std::span<const uint8_t> payload, uint32_t size,
                                                    uint32_t grow) {
  size_t p = 0;
  uint32_t count;
  if (!read_u32(payload, p, count)) return std::nullopt;
  std::vector<uint8_t> out;
  write_u32(out, count + 1);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t body_size;
    if (!read_u32(payload, p, body_size) || body_size > payload.size() - p) return std::nullopt;
    auto body = payload.subspan(p, body_size);
    p += body_size;
    auto ops = find_memory_size_ops(body);
    if (!ops.ok()) return std::nullopt;
    if (ops->empty()) {
      write_u32(out, body_size);
      out.insert(out.end(), body.begin(), body.end());
      continue;
    }
    std::vector<uint8_t> rewritten;
    size_t from = 0;
    for (const MemorySizeOp& op : *ops) {
      rewritten.insert(rewritten.end(), body.begin() + from, body.begin() + op.offset);
      rewritten.push_back(op.grow ? 0x10 : 0x23);  // call $grow / global.get $size
      write_u32(rewritten, op.grow ? grow : size);
      from = op.offset + op.length;
    }
    rewritten.insert(rewritten.end(), body.begin() + from, body.end());
    write_u32(out, uint32_t(rewritten.size()));
    out.insert(out.end(), rewritten.begin(), rewritten.end());
  }
  if (p != payload.size()) return std::nullopt;
  auto g = grow_body(size);
  out.insert(out.end(), g.begin(), g.end());
  return out;
}

// The active data segments of a module whose one memory it defines, if every one of them has a
// constant offset and fits the memory's first size (so instantiation cannot fail on them), and
// the data section with each of them made passive and empty. Passive and empty behaves as a
// dropped active segment does after instantiation (memory.init of more than 0 bytes traps, of 0
// bytes does nothing), so segment indices and the data count stay as they were.
struct StrippedData {
  std::vector<DataSegment> segments;
  std::vector<uint8_t> section;
};
std::optional<StrippedData> take_out_data(std::span<const uint8_t> payload, uint64_t memory_bytes) {
  size_t p = 0;
  uint32_t count;
  if (!read_u32(payload, p, count)) return std::nullopt;
  StrippedData out;
  write_u32(out.section, count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t flags;
    if (!read_u32(payload, p, flags) || flags > 2) return std::nullopt;
    uint32_t memory = 0;
    if (flags == 2 && !read_u32(payload, p, memory)) return std::nullopt;
    if (memory != 0) return std::nullopt;
    std::optional<uint32_t> offset;
    if (flags != 1) {  // active: the offset must be (i32.const N) end
      if (p >= payload.size() || payload[p++] != 0x41) return std::nullopt;
      int32_t v = 0;
      int shift = 0;
      uint8_t byte;
      do {
        if (p >= payload.size() || shift >= 35) return std::nullopt;
        byte = payload[p++];
        v |= int32_t(uint32_t(byte & 0x7f) << shift);
        shift += 7;
      } while (byte & 0x80);
      if (shift < 32 && (byte & 0x40)) v |= int32_t(~0u << shift);
      if (p >= payload.size() || payload[p++] != 0x0B) return std::nullopt;
      offset = uint32_t(v);
    }
    uint32_t size;
    if (!read_u32(payload, p, size) || size > payload.size() - p) return std::nullopt;
    auto bytes = payload.subspan(p, size);
    p += size;
    if (offset) {
      if (uint64_t(*offset) + size > memory_bytes) return std::nullopt;  // V8 must report it
      out.segments.push_back({*offset, bytes});
      out.section.insert(out.section.end(), {0x01, 0x00});  // passive, no bytes
    } else {
      out.section.push_back(0x01);
      write_u32(out.section, size);
      out.section.insert(out.section.end(), bytes.begin(), bytes.end());
    }
  }
  if (p != payload.size()) return std::nullopt;
  return out;
}

}  // namespace

// The memory section with every 32-bit, unshared memory's maximum capped at `cap` pages;
// nullopt if nothing changes (or the section does not parse, which validation will report).
std::optional<std::vector<uint8_t>> cap_memories(std::span<const uint8_t> payload, uint32_t cap) {
  size_t p = 0;
  uint32_t count;
  if (!read_u32(payload, p, count)) return std::nullopt;
  std::vector<uint8_t> out;
  write_u32(out, count);
  bool changed = false;
  for (uint32_t i = 0; i < count; ++i) {
    if (p >= payload.size()) return std::nullopt;
    uint8_t flags = payload[p++];
    uint32_t min, max = 0;
    if (flags > 1) return std::nullopt;  // shared or 64-bit: left alone
    if (!read_u32(payload, p, min)) return std::nullopt;
    if (flags == 1 && !read_u32(payload, p, max)) return std::nullopt;
    uint32_t capped = std::max(min, flags == 1 ? std::min(max, cap) : cap);
    changed |= flags == 0 || capped != max;
    out.push_back(1);
    write_u32(out, min);
    write_u32(out, capped);
  }
  if (p != payload.size() || !changed) return std::nullopt;
  return out;
}

std::optional<RewrittenModule> rewrite_module(std::span<const uint8_t> module, uint32_t max_memory_pages,
                                              const ModuleState* state, bool strip_data) {
  if (module.size() < 8) return std::nullopt;
  std::vector<Section> sections;
  std::optional<uint32_t> start;
  for (size_t pos = 8; pos < module.size();) {
    uint8_t id = module[pos++];
    uint32_t size;
    if (!read_u32(module, pos, size) || size > module.size() - pos) return std::nullopt;
    Section s{id, module.subspan(pos, size)};
    pos += size;
    if (id == kStartSection) {
      size_t p = 0;
      uint32_t f;
      if (!read_u32(s.payload, p, f) || p != s.payload.size() || start) return std::nullopt;
      start = f;
    }
    sections.push_back(s);
  }
  std::optional<std::vector<uint8_t>> memories;
  std::optional<uint32_t> memory_min;
  for (const auto& s : sections) {
    if (s.id != kMemorySection) continue;
    if (max_memory_pages) memories = cap_memories(s.payload, max_memory_pages);
    memory_min = first_memory_min(s.payload);
  }

  // The memory's initial contents as an image instead of data segments.
  std::optional<StrippedData> stripped;
  const bool one_own_memory = state && state->imported_memories == 0 && state->defined_memories == 1;
  if (strip_data && one_own_memory && memory_min && *memory_min > 0)
    for (const auto& s : sections)
      if (s.id == kDataSection) stripped = take_out_data(s.payload, uint64_t(*memory_min) * 65536);
  if (stripped && stripped->segments.empty()) stripped.reset();

  // The virtual memory size: a new global (the last of state->defined_globals, so it is exported
  // and reset with the others), a new function type and function for memory.grow.
  const bool virt = state && state->virtual_memory_size;
  if (virt && (!memory_min || state->defined_globals.empty())) return std::nullopt;
  const uint32_t size_global = virt ? state->imported_globals + uint32_t(state->defined_globals.size()) - 1 : 0;
  const uint32_t grow_type = virt ? state->types : 0;
  const uint32_t grow_func = virt ? state->imported_funcs + state->defined_funcs : 0;
  std::vector<uint8_t> size_global_entry;
  if (virt) {
    size_global_entry = {0x7F, 0x01, 0x41};  // (mut i32) (i32.const min)
    write_s32(size_global_entry, int32_t(*memory_min));
    size_global_entry.push_back(0x0B);
  }

  // The exports added: the start function, and for a resettable module the state a reset restores.
  std::vector<uint8_t> added;
  uint32_t added_count = 0;
  if (start) {
    write_export(added, kStartExport, 0x00, *start);
    ++added_count;
  }
  if (state) {
    for (uint32_t i = 0; i < state->defined_globals.size() && state->resettable(); ++i) {
      if (!state->defined_globals[i].mutable_) continue;
      uint32_t index = state->imported_globals + i;
      write_export(added, kGlobalExportPrefix + std::to_string(index), 0x03, index);
      ++added_count;
    }
    for (uint32_t i = 0; i < state->defined_memories; ++i) {
      uint32_t index = state->imported_memories + i;
      write_export(added, kMemoryExportPrefix + std::to_string(index), 0x02, index);
      ++added_count;
    }
  }
  if (!added_count && !memories && !virt && !stripped) return std::nullopt;

  bool has_exports = false, has_globals = false, has_types = false, has_funcs = false, has_code = false;
  for (const auto& s : sections) {
    has_exports |= s.id == kExportSection;
    has_globals |= s.id == kGlobalSection;
    has_types |= s.id == kTypeSection;
    has_funcs |= s.id == kFunctionSection;
    has_code |= s.id == kCodeSection;
  }
  if (virt && !(has_types && has_funcs && has_code)) return std::nullopt;
  // New sections go before the first section that must follow them.
  auto after_exports = [](uint8_t id) { return id == 8 || id == 9 || id == 10 || id == 11 || id == 12; };
  bool exports_placed = has_exports || !added_count;
  bool globals_placed = has_globals || !virt;
  std::vector<uint8_t> out(module.begin(), module.begin() + 8);
  auto place_new_sections = [&](std::optional<uint8_t> before) {
    if (!globals_placed && (!before || *before == kExportSection || after_exports(*before))) {
      std::vector<uint8_t> payload;
      write_u32(payload, 1);
      payload.insert(payload.end(), size_global_entry.begin(), size_global_entry.end());
      write_section(out, kGlobalSection, payload);
      globals_placed = true;
    }
    if (!exports_placed && (!before || after_exports(*before))) {
      std::vector<uint8_t> payload;
      write_u32(payload, added_count);
      payload.insert(payload.end(), added.begin(), added.end());
      write_section(out, kExportSection, payload);
      exports_placed = true;
    }
  };
  for (const auto& s : sections) {
    if (s.id != 0) place_new_sections(s.id);
    std::optional<std::vector<uint8_t>> payload;
    if (s.id == kMemorySection && memories) {
      payload = memories;
    } else if (s.id == kExportSection && added_count) {
      payload = append_entries(s.payload, added_count, added);
    } else if (s.id == kStartSection) {
      continue;  // now an export
    } else if (virt && s.id == kTypeSection) {
      const uint8_t grow_sig[] = {0x60, 0x01, 0x7F, 0x01, 0x7F};  // (i32) -> (i32)
      payload = append_entries(s.payload, 1, grow_sig);
    } else if (virt && s.id == kFunctionSection) {
      std::vector<uint8_t> entry;
      write_u32(entry, grow_type);
      payload = append_entries(s.payload, 1, entry);
    } else if (virt && s.id == kGlobalSection) {
      payload = append_entries(s.payload, 1, size_global_entry);
    } else if (virt && s.id == kCodeSection) {
      payload = virtualize_code(s.payload, size_global, grow_func);
    } else if (stripped && s.id == kDataSection) {
      payload = stripped->section;
    } else {
      write_section(out, s.id, s.payload);
      continue;
    }
    if (!payload) return std::nullopt;
    write_section(out, s.id, *payload);
  }
  place_new_sections(std::nullopt);
  RewrittenModule result;
  result.bytes = std::move(out);
  result.start_exported = start.has_value();
  result.memory_size_virtualized = virt;
  if (stripped) {
    result.initial_memory_bytes = uint64_t(*memory_min) * 65536;
    result.initial_segments = std::move(stripped->segments);
  }
  return result;
}

}  // namespace witserve::engine::v8_backend
