// Test helper: writes small component binaries byte by byte (Binary.md), for inputs that the text
// tools cannot express or that are too large to keep as fixtures (100,000 nested types). Test
// code only; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace witserve::testing {

class Bytes {
 public:
  Bytes& u8(uint8_t b) { out_.push_back(b); return *this; }
  Bytes& u32(uint64_t v) {  // unsigned LEB128
    do {
      uint8_t b = v & 0x7f;
      v >>= 7;
      out_.push_back(uint8_t(b | (v ? 0x80 : 0)));
    } while (v);
    return *this;
  }
  Bytes& s33(int64_t v) {  // signed LEB128, as a valtype's type index is written
    bool more = true;
    while (more) {
      uint8_t b = v & 0x7f;
      v >>= 7;
      more = !((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40)));
      out_.push_back(uint8_t(b | (more ? 0x80 : 0)));
    }
    return *this;
  }
  Bytes& name(const std::string& s) {
    u32(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(const std::vector<uint8_t>& b) {
    out_.insert(out_.end(), b.begin(), b.end());
    return *this;
  }
  size_t size() const { return out_.size(); }
  const std::vector<uint8_t>& bytes() const { return out_; }

 private:
  std::vector<uint8_t> out_;
};

// Value type codes (Binary.md `primvaltype`).
inline constexpr uint8_t kU8 = 0x7d, kU64 = 0x77, kString = 0x73;

// A component preamble followed by `sections`, each given as (id, contents).
inline std::vector<uint8_t> component(const std::vector<std::pair<uint8_t, Bytes>>& sections) {
  Bytes c;
  c.raw({0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00});
  for (const auto& [id, body] : sections) c.u8(id).u32(body.size()).raw(body.bytes());
  return c.bytes();
}

// A type section (id 7) holding `count` type definitions already written to `defs`.
inline std::pair<uint8_t, Bytes> type_section(uint32_t count, const Bytes& defs) {
  Bytes s;
  s.u32(count).raw(defs.bytes());
  return {7, s};
}

}  // namespace witserve::testing
