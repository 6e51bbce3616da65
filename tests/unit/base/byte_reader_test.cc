// ByteReader: LEB128 edge cases, bounds, names and hostile vector lengths.
#include "witserve/base/byte_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace witserve {
namespace {

ByteReader reader(const std::vector<uint8_t>& b) { return ByteReader(b); }

TEST(ByteReader, UnsignedLeb) {
  std::vector<uint8_t> b{0xE5, 0x8E, 0x26, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  auto r = reader(b);
  EXPECT_EQ(*r.u32(), 624485u);
  EXPECT_EQ(*r.u32(), 0xFFFFFFFFu);
  EXPECT_TRUE(r.at_end());
}

TEST(ByteReader, UnsignedLebTooLargeFor32Bits) {
  std::vector<uint8_t> b{0xFF, 0xFF, 0xFF, 0xFF, 0x1F};
  auto r = reader(b);
  auto v = r.u32();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().kind(), ErrorKind::kMalformed);
  EXPECT_NE(v.error().message().find("at byte 0"), std::string::npos);
}

TEST(ByteReader, SignedLeb) {
  std::vector<uint8_t> b{0x7F, 0xC0, 0xBB, 0x78, 0x80, 0x80, 0x80, 0x80, 0x78};
  auto r = reader(b);
  EXPECT_EQ(*r.s32(), -1);
  EXPECT_EQ(*r.s32(), -123456);
  EXPECT_EQ(*r.s32(), INT32_MIN);
}

TEST(ByteReader, SignedLebRejectsInconsistentHighBits) {
  std::vector<uint8_t> b{0x80, 0x80, 0x80, 0x80, 0x70};  // unused bits disagree with the sign bit
  auto r = reader(b);
  EXPECT_FALSE(r.s32().ok());
}

TEST(ByteReader, Signed64Extremes) {
  std::vector<uint8_t> b{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F,
                         0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
  auto r = reader(b);
  EXPECT_EQ(*r.s64(), INT64_MIN);
  EXPECT_EQ(*r.s64(), INT64_MAX);
}

TEST(ByteReader, TruncatedInputNamesOffset) {
  std::vector<uint8_t> b{0x01, 0x80};
  auto r = ByteReader(b, 100);
  ASSERT_TRUE(r.u8().ok());
  auto v = r.u32();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message().find("at byte 101"), std::string::npos) << v.error().message();
}

TEST(ByteReader, NameMustBeUtf8) {
  std::vector<uint8_t> good{3, 'a', 'b', 'c'};
  EXPECT_EQ(*reader(good).name(), "abc");
  std::vector<uint8_t> bad{2, 0xC0, 0x80};  // overlong encoding of NUL
  auto r = reader(bad);
  EXPECT_FALSE(r.name().ok());
}

TEST(ByteReader, VectorLengthBoundedByInput) {
  std::vector<uint8_t> b{0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2, 3};
  auto r = reader(b);
  auto n = r.vec_length();
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.error().message().find("exceeds"), std::string::npos);
}

TEST(Utf8, RejectsSurrogatesAndOutOfRange) {
  EXPECT_TRUE(is_valid_utf8("h\xC3\xA9llo \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
}

}  // namespace
}  // namespace witserve

namespace witserve {
namespace {

// Found by the fuzzer: a 9-byte s64 whose sign bit is bit 62 must sign-extend from bit 63
// without overflowing.
TEST(ByteReader, Signed64NineByteSignExtension) {
  std::vector<uint8_t> b{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40};
  ByteReader r(b);
  EXPECT_EQ(*r.s64(), -(int64_t(1) << 62));
}

}  // namespace
}  // namespace witserve

namespace witserve {
namespace {

// The 8-bytes-at-a-time ASCII path must still find a bad byte right after, or inside, a run.
TEST(Utf8, LongAsciiRunsThenInvalidBytes) {
  EXPECT_TRUE(is_valid_utf8(std::string(1000, 'a')));
  EXPECT_FALSE(is_valid_utf8(std::string(16, 'a') + "\xff"));
  EXPECT_FALSE(is_valid_utf8(std::string(8, 'a') + "\xC3"));                  // truncated sequence at the end
  EXPECT_FALSE(is_valid_utf8("abc\xed\xa0\x80" + std::string(20, 'z')));     // a surrogate before a run
  EXPECT_TRUE(is_valid_utf8(std::string(9, 'a') + "\xC3\xA9" + std::string(9, 'b')));
}

}  // namespace
}  // namespace witserve
