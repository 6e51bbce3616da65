// Resolver: types of imports and exports of a real component, canonical ABI layouts, and the
// checks that reject invalid components with the item and both types named.
#include "witserve/component/resolver.h"

#include <gtest/gtest.h>

#include "component_files.h"
#include "witserve/component/wit_printer.h"

namespace witserve::component {
namespace {

using testing::component_wat_file;
using K = ExternType::Kind;

const NamedExtern* find(const std::vector<NamedExtern>& v, const std::string& name) {
  for (const auto& e : v)
    if (e.name == name) return &e;
  return nullptr;
}

TEST(Resolver, TypesOfImportsAndExports) {
  auto c = load_component(component_wat_file("kitchen"));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const ComponentType& t = *(*c)->type;

  const NamedExtern* host = find(t.imports, "host");
  ASSERT_NE(host, nullptr);
  ASSERT_EQ(host->type.kind, K::kInstance);
  const NamedExtern* thing = host->type.instance->find("thing");
  ASSERT_NE(thing, nullptr);
  ASSERT_NE(thing->type.resource, nullptr);
  EXPECT_FALSE(thing->type.resource->defined);  // imported: abstract
  const NamedExtern* make = host->type.instance->find("make");
  ASSERT_NE(make, nullptr);
  ASSERT_EQ(make->type.kind, K::kFunc);
  ASSERT_NE(make->type.func->result, nullptr);
  EXPECT_EQ(make->type.func->result->kind, TypeKind::kOwn);
  EXPECT_EQ(make->type.func->result->resource, thing->type.resource);  // the same resource

  const NamedExtern* echo = find(t.exports, "echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(to_string(*echo->type.func), "func(s: string) -> string");
  // A string flattens to (ptr, len); a string result spills through a return pointer.
  EXPECT_EQ(echo->type.func->core_lift(),
            (engine::FuncType{{engine::ValType::kI32, engine::ValType::kI32}, {engine::ValType::kI32}}));
  EXPECT_EQ(echo->type.func->core_lower(),
            (engine::FuncType{{engine::ValType::kI32, engine::ValType::kI32, engine::ValType::kI32}, {}}));

  const NamedExtern* inner = find(t.exports, "inner");
  ASSERT_NE(inner, nullptr);
  ASSERT_EQ(inner->type.kind, K::kInstance);
  ASSERT_NE(inner->type.instance->find("g"), nullptr);
  EXPECT_EQ(to_string(*inner->type.instance->find("g")->type.func), "func() -> u32");
}

TEST(Resolver, CanonicalAbiLayouts) {
  TypeArena a;
  auto u8 = a.primitive(TypeKind::kU8), u32 = a.primitive(TypeKind::kU32);
  auto f32 = a.primitive(TypeKind::kF32), u64 = a.primitive(TypeKind::kU64);
  auto str = a.primitive(TypeKind::kString);

  ValueType rec;
  rec.kind = TypeKind::kRecord;
  rec.fields = {{"a", u8}, {"b", u64}, {"c", u8}};
  TypeRef r = a.add(rec);
  EXPECT_EQ(r->align, 8u);
  EXPECT_EQ(r->size, 24u);  // 1, pad to 8, 8, 1, pad to 24
  EXPECT_EQ(r->flat.size(), 3u);

  ValueType var;  // variant { a(u32), b(f32), c(u64), d }
  var.kind = TypeKind::kVariant;
  var.cases = {{"a", u32}, {"b", f32}, {"c", u64}, {"d", nullptr}};
  TypeRef v = a.add(var);
  EXPECT_EQ(v->size, 16u);
  EXPECT_EQ(v->align, 8u);
  // discriminant, then the join of i32, f32 and i64 = i64
  EXPECT_EQ(v->flat, (std::vector<engine::ValType>{engine::ValType::kI32, engine::ValType::kI64}));

  ValueType opt;
  opt.kind = TypeKind::kOption;
  opt.element = str;
  opt.cases = {{"none", nullptr}, {"some", str}};
  TypeRef o = a.add(opt);
  EXPECT_EQ(o->size, 12u);
  EXPECT_EQ(o->flat.size(), 3u);

  ValueType flags;
  flags.kind = TypeKind::kFlags;
  for (int i = 0; i < 9; ++i) flags.labels.push_back("f" + std::to_string(i));
  TypeRef fl = a.add(flags);
  EXPECT_EQ(fl->size, 2u);
  EXPECT_EQ(fl->flat.size(), 1u);

  // 17 u32 parameters spill to memory; a string result spills through a return pointer.
  FuncType f;
  for (int i = 0; i < 17; ++i) f.params.push_back({"p" + std::to_string(i), u32});
  f.result = str;
  const FuncType* ft = a.add(f);
  EXPECT_TRUE(ft->params_spilled);
  EXPECT_TRUE(ft->results_spilled);
  EXPECT_EQ(ft->core_lift(), (engine::FuncType{{engine::ValType::kI32}, {engine::ValType::kI32}}));
  EXPECT_EQ(ft->core_lower(), (engine::FuncType{{engine::ValType::kI32, engine::ValType::kI32}, {}}));
}

TEST(Resolver, RejectsInvalidComponentsNamingTheProblem) {
  struct Case {
    const char* file;
    const char* message_part;
  } cases[] = {
      {"bad_lift_signature", "the core function has type (i32) -> (i32), the canonical ABI wants () -> (i32)"},
      {"bad_missing_memory", "no memory option"},
      {"bad_core_instantiate", "import 'a' 'y' is missing"},
      {"bad_component_arg", "argument 'h' does not fit"},
  };
  for (const auto& c : cases) {
    auto r = load_component(component_wat_file(c.file));
    ASSERT_FALSE(r.ok()) << c.file;
    EXPECT_NE(r.error().message().find(c.message_part), std::string::npos)
        << c.file << ": " << r.error().message();
    EXPECT_NE(r.error().message().find("definition "), std::string::npos) << r.error().message();
  }
}

TEST(Resolver, MatcherBindsAbstractResources) {
  TypeArena a;
  auto mine = a.new_resource("fields", /*defined=*/true);
  auto abstract = a.new_resource("fields", /*defined=*/false);
  auto other = a.new_resource("other", true);
  ValueType own_mine;
  own_mine.kind = TypeKind::kOwn;
  own_mine.resource = mine;
  ValueType own_abs;
  own_abs.kind = TypeKind::kOwn;
  own_abs.resource = abstract;
  ValueType own_other;
  own_other.kind = TypeKind::kOwn;
  own_other.resource = other;
  TypeRef m = a.add(own_mine), x = a.add(own_abs), o = a.add(own_other);
  Matcher matcher;
  std::string why;
  EXPECT_TRUE(matcher.value(m, x, &why)) << why;  // binds abstract -> mine
  EXPECT_FALSE(matcher.value(o, x, &why));        // now bound: another resource does not fit
  EXPECT_NE(why.find("bound to"), std::string::npos) << why;
  Matcher fresh;
  EXPECT_FALSE(fresh.value(o, m, &why));  // defined resources compare by identity
}

TEST(WitPrinter, PrintsWorldWithNamedTypesAndResources) {
  auto c = load_component(component_wat_file("kitchen"));
  ASSERT_TRUE(c.ok());
  std::string wit = print_wit(**c);
  EXPECT_NE(wit.find("import host: interface {\n    resource thing;\n    make: func(x: u32) -> thing;"),
            std::string::npos) << wit;
  EXPECT_NE(wit.find("export run: func() -> u32;"), std::string::npos) << wit;
  EXPECT_NE(wit.find("type color = enum { red, green, blue };"), std::string::npos) << wit;
}

}  // namespace
}  // namespace witserve::component
