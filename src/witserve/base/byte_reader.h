// ByteReader: bounds-checked reading of the WebAssembly binary encodings (LEB128 integers, names,
// vectors) shared by the core-module reader and the component decoder. Every failure is an Error
// naming the byte offset and what was expected; nothing reads past the end or allocates from an
// untrusted length. A plain value over borrowed bytes; one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "witserve/base/result.h"
#include "witserve/base/unicode.h"  // is_valid_utf8, for callers checking names

namespace witserve {

class ByteReader {
 public:
  // `base_offset` is added to positions in messages, so a reader over a section reports offsets
  // within the whole file.
  explicit ByteReader(std::span<const uint8_t> bytes, size_t base_offset = 0)
      : bytes_(bytes), base_(base_offset) {}

  size_t offset() const { return base_ + pos_; }   // absolute, for messages
  size_t position() const { return pos_; }          // relative to this reader
  size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  Result<uint8_t> u8();
  Result<uint8_t> peek_u8() const;
  Result<uint32_t> u32();  // unsigned LEB128, at most 5 bytes
  Result<uint64_t> u64();  // unsigned LEB128, at most 10 bytes
  Result<int32_t> s32();   // signed LEB128
  Result<int64_t> s64();
  Result<int64_t> s33();   // signed LEB128 of 33 bits (component valtypes: index or type code)
  Result<uint32_t> fixed_u32();  // little-endian, 4 bytes
  Result<std::span<const uint8_t>> bytes(size_t n);
  Status skip(size_t n);
  // A name: u32 length then that many bytes of valid UTF-8.
  Result<std::string> name();
  // A vector length, checked against the bytes left assuming each element takes at least
  // `min_element_size` bytes, so a hostile length cannot make a caller reserve gigabytes.
  Result<uint32_t> vec_length(size_t min_element_size = 1);

  // A sub-reader over the next n bytes; this reader advances past them.
  Result<ByteReader> sub(size_t n);

  // An Error of kind kMalformed at the current offset: "at byte N: what".
  Error error(std::string_view what) const { return error_at(offset(), what); }
  static Error error_at(size_t offset, std::string_view what);

 private:
  Result<uint64_t> leb_unsigned(int max_bits);
  Result<int64_t> leb_signed(int max_bits);

  std::span<const uint8_t> bytes_;
  size_t base_;
  size_t pos_ = 0;
};

}  // namespace witserve
