// Component decoder: a real component decodes into the definitions it was written with; every
// malformed variant is an error with an offset, never a crash.
#include "witserve/component/decoder.h"

#include <gtest/gtest.h>

#include <cstring>

#include "component_files.h"

namespace witserve::component {
namespace {

using testing::component_wat_file;

template <typename T>
size_t count(const ast::Component& c) {
  size_t n = 0;
  for (const auto& d : c.defs) n += std::holds_alternative<T>(d);
  return n;
}

TEST(Decoder, DecodesEveryKindOfDefinition) {
  auto c = decode_component(component_wat_file("kitchen"));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const ast::Component& k = **c;
  EXPECT_EQ(count<ast::CoreModuleDef>(k), 2u);
  EXPECT_EQ(count<ast::CoreInstanceDef>(k), 3u);
  EXPECT_EQ(count<std::shared_ptr<const ast::Component>>(k), 1u);
  EXPECT_EQ(count<ast::InstanceDef>(k), 1u);
  EXPECT_EQ(count<ast::ImportDef>(k), 1u);
  EXPECT_EQ(count<ast::ExportDef>(k), 4u);

  // The canon definitions carry their options: the utf16 lift of "echo" and the resource built-ins.
  bool saw_utf16_lift = false;
  int resource_builtins = 0;
  for (const auto& d : k.defs) {
    auto* canon = std::get_if<ast::CanonDef>(&d);
    if (!canon) continue;
    if (canon->kind == ast::CanonDef::Kind::kLift &&
        canon->opts.string_encoding == ast::StringEncoding::kUtf16) {
      saw_utf16_lift = true;
      EXPECT_TRUE(canon->opts.memory.has_value());
      EXPECT_TRUE(canon->opts.realloc.has_value());
    }
    if (canon->kind == ast::CanonDef::Kind::kResourceNew || canon->kind == ast::CanonDef::Kind::kResourceDrop ||
        canon->kind == ast::CanonDef::Kind::kResourceRep)
      ++resource_builtins;
  }
  EXPECT_TRUE(saw_utf16_lift);
  EXPECT_EQ(resource_builtins, 3);

  // Every type form written in the source decodes to its own kind.
  std::vector<size_t> kinds;
  for (const auto& d : k.defs)
    if (auto* t = std::get_if<std::shared_ptr<const ast::TypeDef>>(&d)) kinds.push_back((*t)->def.index());
  auto has = [&](auto tag) {
    using T = decltype(tag);
    for (const auto& d : k.defs)
      if (auto* t = std::get_if<std::shared_ptr<const ast::TypeDef>>(&d))
        if (std::holds_alternative<T>((*t)->def)) return true;
    return false;
  };
  EXPECT_TRUE(has(ast::RecordType{}));
  EXPECT_TRUE(has(ast::VariantType{}));
  EXPECT_TRUE(has(ast::ListType{}));
  EXPECT_TRUE(has(ast::TupleType{}));
  EXPECT_TRUE(has(ast::FlagsType{}));
  EXPECT_TRUE(has(ast::EnumType{}));
  EXPECT_TRUE(has(ast::OptionType{}));
  EXPECT_TRUE(has(ast::ResultType{}));
  EXPECT_TRUE(has(ast::InstanceType{}));
  EXPECT_TRUE(has(ast::ResourceType{}));
  EXPECT_TRUE(has(ast::FuncType{}));
}

TEST(Decoder, CoreModulesPointIntoTheFile) {
  auto bytes = component_wat_file("kitchen");
  auto c = decode_component(bytes);
  ASSERT_TRUE(c.ok());
  for (const auto& d : (*c)->defs) {
    if (auto* m = std::get_if<ast::CoreModuleDef>(&d)) {
      ASSERT_LE(m->offset + m->bytes.size(), bytes.size());
      EXPECT_EQ(0, std::memcmp(m->bytes.data(), bytes.data() + m->offset, m->bytes.size()));
      EXPECT_EQ(m->bytes[4], 1);  // core version 1
    }
  }
}

TEST(Decoder, EveryTruncationFailsWithAnOffset) {
  auto full = component_wat_file("kitchen");
  size_t failures = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    auto c = decode_component(std::vector<uint8_t>(full.begin(), full.begin() + n));
    if (c.ok()) continue;  // a cut between sections leaves a valid, shorter component
    ++failures;
    EXPECT_EQ(c.error().kind(), ErrorKind::kMalformed);
    EXPECT_NE(c.error().message().find("at byte"), std::string::npos) << c.error().message();
  }
  EXPECT_GT(failures, full.size() / 2);
}

TEST(Decoder, RejectsWrongPreambles) {
  auto good = component_wat_file("kitchen");
  auto v = good;
  v[4] = 0x0a;  // an older pre-standard version
  auto c = decode_component(v);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("version 0x0a"), std::string::npos) << c.error().message();

  std::vector<uint8_t> core{0, 'a', 's', 'm', 1, 0, 0, 0};
  c = decode_component(core);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("core module, not a component"), std::string::npos);
}

TEST(Decoder, RejectsUnknownSectionAndBadType) {
  std::vector<uint8_t> preamble{0, 'a', 's', 'm', 0x0d, 0, 1, 0};
  auto with = [&](std::vector<uint8_t> tail) {
    auto b = preamble;
    b.insert(b.end(), tail.begin(), tail.end());
    return decode_component(b);
  };
  auto c = with({13, 0});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("unknown component section id 13"), std::string::npos);
  EXPECT_NE(c.error().message().find("at byte 8"), std::string::npos);

  c = with({7, 2, 1, 0x55});  // a type section with one type of unknown form
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("expected a type definition, found 0x55"), std::string::npos)
      << c.error().message();

  c = with({7, 3, 1, 0x6e, 0});  // flags with no labels
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("flags must have between 1 and 32 labels"), std::string::npos)
      << c.error().message();

  c = with({7, 4, 1, 0x70, 0x7f, 0xAA});  // one type, then bytes left over in the section
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("left over"), std::string::npos) << c.error().message();
}

TEST(Decoder, DeepNestingIsBoundedNotAStackOverflow) {
  // 200 nested component sections, each wrapping the next.
  std::vector<uint8_t> inner{0, 'a', 's', 'm', 0x0d, 0, 1, 0};
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> outer{0, 'a', 's', 'm', 0x0d, 0, 1, 0, 4};
    uint32_t n = uint32_t(inner.size());
    do {
      uint8_t b = n & 0x7f;
      n >>= 7;
      outer.push_back(b | (n ? 0x80 : 0));
    } while (n);
    outer.insert(outer.end(), inner.begin(), inner.end());
    inner = std::move(outer);
  }
  auto c = decode_component(inner);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("nest deeper"), std::string::npos) << c.error().message();
}

}  // namespace
}  // namespace witserve::component
