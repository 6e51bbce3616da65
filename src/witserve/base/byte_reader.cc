// ByteReader implementation. See byte_reader.h.
#include "witserve/base/byte_reader.h"

#include "witserve/base/unicode.h"

#include <string>

namespace witserve {

Error ByteReader::error_at(size_t offset, std::string_view what) {
  return Error(ErrorKind::kMalformed, "at byte " + std::to_string(offset) + ": " + std::string(what));
}

Result<uint8_t> ByteReader::u8() {
  if (pos_ >= bytes_.size()) return error("unexpected end of input, expected a byte");
  return bytes_[pos_++];
}

Result<uint8_t> ByteReader::peek_u8() const {
  if (pos_ >= bytes_.size()) return error("unexpected end of input, expected a byte");
  return bytes_[pos_];
}

Result<uint64_t> ByteReader::leb_unsigned(int max_bits) {
  size_t start = offset();
  uint64_t result = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ >= bytes_.size()) return error_at(start, "unexpected end of input in LEB128 integer");
    uint8_t b = bytes_[pos_++];
    int remaining_bits = max_bits - shift;
    if (remaining_bits < 7) {
      // Last byte: no continuation bit and no bits beyond the integer's width.
      if ((b & 0x80) || (b >> remaining_bits) != 0)
        return error_at(start, "LEB128 integer too large for " + std::to_string(max_bits) + " bits");
    }
    result |= uint64_t(b & 0x7f) << shift;
    if (!(b & 0x80)) return result;
  }
}

Result<int64_t> ByteReader::leb_signed(int max_bits) {
  size_t start = offset();
  int64_t result = 0;
  int shift = 0;
  uint8_t b;
  while (true) {
    if (pos_ >= bytes_.size()) return error_at(start, "unexpected end of input in LEB128 integer");
    b = bytes_[pos_++];
    int remaining_bits = max_bits - shift;
    if (remaining_bits < 7) {
      // Last byte: the unused high bits must all equal the sign bit.
      if (b & 0x80) return error_at(start, "LEB128 integer too large");
      int8_t sign_and_unused = int8_t(b << 1) >> remaining_bits;
      if (sign_and_unused != 0 && sign_and_unused != -1)
        return error_at(start, "LEB128 integer too large for " + std::to_string(max_bits) + " bits");
    }
    result |= int64_t(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
  }
  if (shift < 64 && (b & 0x40)) result |= int64_t(~uint64_t(0) << shift);  // sign-extend
  return result;
}

Result<uint32_t> ByteReader::u32() {
  WITSERVE_ASSIGN_OR_RETURN(uint64_t v, leb_unsigned(32));
  return uint32_t(v);
}
Result<uint64_t> ByteReader::u64() { return leb_unsigned(64); }
Result<int32_t> ByteReader::s32() {
  WITSERVE_ASSIGN_OR_RETURN(int64_t v, leb_signed(32));
  return int32_t(v);
}
Result<int64_t> ByteReader::s64() { return leb_signed(64); }
Result<int64_t> ByteReader::s33() { return leb_signed(33); }

Result<uint32_t> ByteReader::fixed_u32() {
  WITSERVE_ASSIGN_OR_RETURN(auto b, bytes(4));
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

Result<std::span<const uint8_t>> ByteReader::bytes(size_t n) {
  if (n > remaining())
    return error("expected " + std::to_string(n) + " bytes, only " + std::to_string(remaining()) +
                 " left");
  auto out = bytes_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Status ByteReader::skip(size_t n) {
  WITSERVE_TRY(bytes(n));
  return ok();
}

Result<std::string> ByteReader::name() {
  size_t start = offset();
  WITSERVE_ASSIGN_OR_RETURN(uint32_t len, u32());
  WITSERVE_ASSIGN_OR_RETURN(auto raw, bytes(len));
  std::string s(reinterpret_cast<const char*>(raw.data()), raw.size());
  if (!is_valid_utf8(s)) return error_at(start, "name is not valid UTF-8");
  return s;
}

Result<uint32_t> ByteReader::vec_length(size_t min_element_size) {
  size_t start = offset();
  WITSERVE_ASSIGN_OR_RETURN(uint32_t n, u32());
  if (min_element_size > 0 && n > remaining() / min_element_size)
    return error_at(start, "vector length " + std::to_string(n) + " exceeds the bytes left");
  return n;
}

Result<ByteReader> ByteReader::sub(size_t n) {
  size_t start = offset();
  WITSERVE_ASSIGN_OR_RETURN(auto b, bytes(n));
  return ByteReader(b, start);
}

}  // namespace witserve
