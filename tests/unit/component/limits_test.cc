// Loader limits (issue 15, items 4 and 5): types that nest too deep, types whose written-out size
// explodes, and fixed-length lists over the spec's maximum byte size are refused quickly, with a
// clear message, instead of overflowing the stack or growing memory without bound.
#include <gtest/gtest.h>

#include <chrono>

#include "binary_builder.h"
#include "witserve/component/resolver.h"

namespace witserve::component {
namespace {

using namespace witserve::testing;

std::string load_error(const std::vector<uint8_t>& bytes) {
  auto r = load_component(bytes);
  if (r.ok()) return "";
  return r.error().message();
}

// (type $t0 (list u8)) (type $tN (list $tN-1)) ... and a function taking the last one.
std::vector<uint8_t> list_chain(uint32_t n) {
  Bytes defs;
  defs.u8(0x70).u8(kU8);
  for (uint32_t i = 1; i < n; ++i) defs.u8(0x70).s33(i - 1);
  defs.u8(0x40).u32(1).name("x").s33(n - 1).u8(0x01).u8(0x00);  // func (param "x" $tN)
  return testing::component({type_section(n + 1, defs)});
}

TEST(Limits, DeeplyNestedTypesAreRefusedNotOverflowed) {
  auto start = std::chrono::steady_clock::now();
  std::string why = load_error(list_chain(100'000));
  EXPECT_NE(why.find("type nesting is too deep"), std::string::npos) << why;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Exactly kMaxTypeDepth levels are fine: list<u8> is 2 deep, so 99 lists.
  EXPECT_EQ(load_error(list_chain(kMaxTypeDepth - 1)), "");
  EXPECT_NE(load_error(list_chain(kMaxTypeDepth)).find("too deep"), std::string::npos);
}

TEST(Limits, TypesThatExplodeWhenWrittenOutAreRefused) {
  // (type $t0 (tuple u8 u8)) (type $tN (tuple $tN-1 $tN-1)): 60 definitions, 2^60 nodes.
  Bytes defs;
  defs.u8(0x6f).u32(2).u8(kU8).u8(kU8);
  for (uint32_t i = 1; i < 60; ++i) defs.u8(0x6f).u32(2).s33(i - 1).s33(i - 1);
  std::string why = load_error(testing::component({type_section(60, defs)}));
  EXPECT_NE(why.find("effective type size"), std::string::npos) << why;
}

// (component (type (list (list (list u8 65536) 65536) 65536))): 26 bytes.
TEST(Limits, HugeFixedLengthListIsRefusedFast) {
  Bytes defs;  // the text format's inline types become three definitions
  defs.u8(0x67).u8(kU8).u32(65536);
  defs.u8(0x67).s33(0).u32(65536);
  defs.u8(0x67).s33(1).u32(65536);
  auto bytes = testing::component({type_section(3, defs)});
  EXPECT_EQ(bytes.size(), 26u);
  auto start = std::chrono::steady_clock::now();
  std::string why = load_error(bytes);
  EXPECT_NE(why.find("exceeds maximum byte size"), std::string::npos) << why;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

std::vector<uint8_t> fixed_list(uint8_t elem, uint32_t n) {
  Bytes defs;
  defs.u8(0x67).u8(elem).u32(n);
  return testing::component({type_section(1, defs)});
}

// The boundaries of test/validation/max-value-size.wast: elem_size(t, i64) < 2^28.
TEST(Limits, MaxValueSizeFollowsTheSpec) {
  EXPECT_EQ(load_error(fixed_list(kU8, (1u << 28) - 1)), "");
  EXPECT_NE(load_error(fixed_list(kU8, 1u << 28)).find("exceeds maximum byte size"), std::string::npos);
  EXPECT_NE(load_error(fixed_list(kU64, 1u << 25)).find("exceeds maximum byte size"), std::string::npos);
  // 2^29 * 8 is 2^32: a u32 product would wrap to 0.
  EXPECT_NE(load_error(fixed_list(kU64, 1u << 29)).find("exceeds maximum byte size"), std::string::npos);
  // A string is 8 bytes with 32-bit pointers but 16 with 64-bit ones.
  EXPECT_EQ(load_error(fixed_list(kString, (1u << 24) - 1)), "");
  EXPECT_NE(load_error(fixed_list(kString, 1u << 24)).find("exceeds maximum byte size"), std::string::npos);

  // A fixed list of 2^28 - 1 bytes flattens to more than 16 core values: a function taking it
  // passes it through memory, and its flattening is never materialised.
  auto ok = load_component(fixed_list(kU8, (1u << 28) - 1));
  ASSERT_TRUE(ok.ok());
  TypeRef t = (*ok)->spaces.types.at(0).value;
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->flat.size(), kFlatCap);
  EXPECT_EQ(t->size, (1u << 28) - 1);
}

}  // namespace
}  // namespace witserve::component
