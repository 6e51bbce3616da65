// Spec validation of the loader (issue 15, items 14 and 15): import/export names and labels,
// the `[constructor]`/`[method]`/`[static]` rules, strong uniqueness, core module types checked
// where a module is passed to a component, and valid components that were refused.
#include <gtest/gtest.h>

#include "component_files.h"
#include "witserve/component/names.h"
#include "witserve/component/resolver.h"
#include "witserve/component/wit_printer.h"

namespace witserve::component {
namespace {

using testing::component_wat_file;
using K = ExternType::Kind;

bool valid_name(const std::string& n) {
  ExternName out;
  std::string why;
  return parse_extern_name(n, &out, &why);
}

TEST(Names, LabelsAreKebabCase) {
  for (auto ok : {"a", "a-b-c", "a1-2-3", "A", "A-B-C", "A1-2-3", "a11-w0rds", "A11-4CR0NYMS", "m1x3d-4CR0NYMS", "is-XML"})
    EXPECT_TRUE(is_label(ok)) << ok;
  for (auto bad : {"", "1", "1-a", "a-", "a--b", "-a", "aBc", "a_b", "a.b", "é"}) EXPECT_FALSE(is_label(bad)) << bad;
}

TEST(Names, ExternNameGrammar) {
  for (auto ok : {"foo", "[constructor]r", "[method]r.get", "[static]r.make", "wasi:http/types",
                  "wasi:http/types@0.2.0", "a-b:c-d/e-f@123456.7890.488", "a:b/c@0.0.0-abcd.1.2+efg.4.ee.5",
                  "a:b/C-D"})
    EXPECT_TRUE(valid_name(ok)) << ok;
  for (auto bad : {"", "1", "[method]r", "[foo]r.get", "wasi:http/TyPeS", "WaSi:http/types", "A:b/c", "ns:1/a",
                   "wasi/http", "wasi:", "a:b/c@", "a:b/c@1.", "a:b/c@01.0.0", "a:b/c@2.0.0+", "foo:bar:baz/qux",
                   "foo:bar/baz/qux"})
    EXPECT_FALSE(valid_name(bad)) << bad;
}

TEST(Names, StrongUniqueness) {
  EXPECT_EQ(uniqueness_key("foo"), uniqueness_key("FOO"));
  EXPECT_EQ(uniqueness_key("[method]foo.foo"), uniqueness_key("foo"));
  EXPECT_EQ(uniqueness_key("[method]foo.bar"), uniqueness_key("[static]foo.BAR"));
  EXPECT_NE(uniqueness_key("[constructor]foo"), uniqueness_key("foo"));
  EXPECT_NE(uniqueness_key("foo-bar"), uniqueness_key("[method]foo.bar"));
  EXPECT_NE(check_labels({"a", "b", "A"}, "record field").find("conflicts"), std::string::npos);
  EXPECT_NE(check_labels({"a", "b-"}, "record field").find("kebab"), std::string::npos);
}

TEST(Names, AnnotatedNamesFollowTheirResource) {
  TypeArena a;
  const ResourceType* r = a.new_resource("r", false);
  ExternType res;
  res.kind = K::kType;
  res.resource = r;
  ValueType borrow;
  borrow.kind = TypeKind::kBorrow;
  borrow.resource = r;
  ValueType own = borrow;
  own.kind = TypeKind::kOwn;
  FuncType method, bad_method, ctor;
  method.params = {{"self", a.add(borrow)}};
  bad_method.params = {{"x", a.primitive(TypeKind::kU32)}};
  ctor.result = a.add(own);
  auto func = [&](const FuncType& f) {
    ExternType t;
    t.kind = K::kFunc;
    t.func = a.add(f);
    return t;
  };
  NameScope scope;
  EXPECT_NE(scope.add("[method]r.get", func(method), true), "") << "r is not declared yet";
  EXPECT_EQ(scope.add("r", res, true), "");
  EXPECT_EQ(scope.add("[method]r.get", func(method), true), "");
  EXPECT_NE(scope.add("[method]r.set", func(bad_method), true).find("self"), std::string::npos);
  EXPECT_EQ(scope.add("[constructor]r", func(ctor), true), "");
  EXPECT_NE(scope.add("[constructor]r", func(ctor), true).find("conflicts"), std::string::npos);
  EXPECT_NE(scope.add("R", res, true).find("conflicts"), std::string::npos);
  EXPECT_EQ(scope.add("r", res, false), "");  // exports are a separate namespace
}

TEST(Names, ImplementsNamesAnInterfaceOnAnInstance) {
  TypeArena a;
  ExternType inst;
  inst.kind = K::kInstance;
  inst.instance = a.add(InstanceType{});
  ExternType func;
  func.kind = K::kFunc;
  func.func = a.add(FuncType{});
  NameScope scope;
  EXPECT_EQ(scope.add("a", inst, true, std::string("wasi:http/types")), "");
  EXPECT_NE(scope.add("b", inst, true, std::string("not-valid")).find("must be an interface"), std::string::npos);
  EXPECT_NE(scope.add("c", func, true, std::string("a:b/c")).find("only instances"), std::string::npos);
  EXPECT_NE(scope.add("a1:b/c", inst, true, std::string("a2:b/c")).find("not valid with `implements`"), std::string::npos);
}

// Explainer.md, "External Visibility of Types": the function uses $Rec, not the exported $Rec'.
TEST(Validation, ExportedFunctionsUseExportedTypeNames) {
  auto c = load_component(component_wat_file("bad_visibility"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("func not valid to be used as export"), std::string::npos) << c.error().message();
}

TEST(Validation, CoreModulePassedToAComponentMustFitItsImportType) {
  auto f = load_component(component_wat_file("bad_core_func_arg"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("core export 'f' is a func () -> (), expected a func () -> (i32)"),
            std::string::npos) << f.error().message();
  auto g = load_component(component_wat_file("bad_core_global_arg"));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message().find("core export 'f' is a global, expected a func () -> (i32)"),
            std::string::npos) << g.error().message();
}

TEST(Validation, CoreModuleTypeMayAliasAnOuterFunctionType) {
  auto c = load_component(component_wat_file("valid_outer_core_type"));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const auto& imports = (*c)->type->imports;
  ASSERT_EQ(imports.size(), 1u);
  ASSERT_EQ(imports[0].type.kind, K::kCoreModule);
  const CoreModuleType& m = *imports[0].type.core_module;
  ASSERT_EQ(m.imports.size(), 1u);
  engine::FuncType want{{engine::ValType::kI32}, {engine::ValType::kI32}};
  EXPECT_EQ(std::get<engine::FuncType>(m.imports[0].type), want);
  ASSERT_EQ(m.exports.size(), 1u);
  EXPECT_EQ(std::get<engine::FuncType>(m.exports[0].type), want);
}

TEST(Validation, InstanceAndFunctionTypesMayBeExportedAsTypes) {
  auto c = load_component(component_wat_file("valid_type_export"));
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  const auto& exports = (*c)->type->exports;
  ASSERT_EQ(exports.size(), 2u);
  EXPECT_EQ(exports[0].type.kind, K::kType);
  ASSERT_NE(exports[0].type.instance, nullptr);
  EXPECT_NE(exports[0].type.instance->find("f"), nullptr);
  EXPECT_EQ(exports[1].type.kind, K::kType);
  ASSERT_NE(exports[1].type.func, nullptr);
  std::string wit = print_wit(**c);
  EXPECT_NE(wit.find("/* instance type */ type x;"), std::string::npos) << wit;
}

}  // namespace
}  // namespace witserve::component
