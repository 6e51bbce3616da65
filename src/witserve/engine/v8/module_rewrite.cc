// Moves a core module's start function to an export (see module_rewrite.h).
#include "witserve/engine/v8/module_rewrite.h"

#include <cstring>

namespace witserve::engine::v8_backend {
namespace {

constexpr uint8_t kMemorySection = 5;
constexpr uint8_t kExportSection = 7;
constexpr uint8_t kStartSection = 8;

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

// One export entry: the start function under kStartExport.
void write_start_export(std::vector<uint8_t>& out, uint32_t func) {
  size_t len = std::strlen(kStartExport);
  write_u32(out, uint32_t(len));
  out.insert(out.end(), kStartExport, kStartExport + len);
  out.push_back(0x00);  // function
  write_u32(out, func);
}

struct Section {
  uint8_t id;
  std::span<const uint8_t> payload;
};

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

std::optional<RewrittenModule> rewrite_module(std::span<const uint8_t> module, uint32_t max_memory_pages) {
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
  if (max_memory_pages)
    for (const auto& s : sections)
      if (s.id == kMemorySection) memories = cap_memories(s.payload, max_memory_pages);
  if (!start && !memories) return std::nullopt;

  bool has_exports = false;
  for (const auto& s : sections) has_exports |= s.id == kExportSection;
  std::vector<uint8_t> out(module.begin(), module.begin() + 8);
  for (const auto& s : sections) {
    if (s.id == kMemorySection && memories) {
      write_section(out, kMemorySection, *memories);
    } else if (s.id == kExportSection && start) {
      size_t p = 0;
      uint32_t count;
      if (!read_u32(s.payload, p, count)) return std::nullopt;
      std::vector<uint8_t> payload;
      write_u32(payload, count + 1);
      payload.insert(payload.end(), s.payload.begin() + p, s.payload.end());
      write_start_export(payload, *start);
      write_section(out, kExportSection, payload);
    } else if (s.id == kStartSection) {
      if (has_exports) continue;
      // No export section: one goes where the start section was (exports precede start).
      std::vector<uint8_t> payload;
      write_u32(payload, 1);
      write_start_export(payload, *start);
      write_section(out, kExportSection, payload);
    } else {
      write_section(out, s.id, s.payload);
    }
  }
  return RewrittenModule{std::move(out), start.has_value()};
}

}  // namespace witserve::engine::v8_backend
