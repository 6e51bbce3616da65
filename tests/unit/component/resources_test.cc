// Resource handle tables and the instance rules (issue 15, items 16 and 20), on
// tests/component-wat/resource_tables.wat: indices reused last-in-first-out as the spec's table,
// many handles in linear time, a handle lent as a borrow cannot be moved in the same call, each
// instance of a component owns its own resource type, and re-entering an instance traps.
#include <gtest/gtest.h>

#include <chrono>

#include "component_files.h"
#include "witserve/component/linker.h"
#include "witserve/engine/engine.h"

namespace witserve::component {
namespace {

class ResourceTables : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = *engine::make_engine("v8");
    auto c = CompiledComponent::compile(*engine_, testing::component_wat_file("resource_tables"));
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    store_ = std::move(*engine_->new_store());
    auto inst = ComponentInstance::instantiate(*c, *store_, linker_);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    instance_ = std::move(*inst);
  }

  Result<std::optional<Value>> call(const std::string& name, std::vector<Value> args = {}) {
    return instance_->call(name, args);
  }

  std::shared_ptr<engine::Engine> engine_;
  std::unique_ptr<engine::Store> store_;
  Linker linker_;
  std::unique_ptr<ComponentInstance> instance_;
};

TEST_F(ResourceTables, FreedIndicesAreReusedLastInFirstOut) {
  auto r = call("lifo");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)->as_unsigned(), 3u);  // new x3 -> 1, 2, 3; drop 1, 2, 3; new -> 3
}

TEST_F(ResourceTables, ManyHandlesTakeLinearTime) {
  auto start = std::chrono::steady_clock::now();
  auto r = call("many", {Value::u32(200'000)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ((*r)->as_unsigned(), 200'000u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(ResourceTables, OwnOfAHandleLentInTheSameCallTraps) {
  auto r = call("take-twice");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTrap) << r.error().to_string();
  EXPECT_NE(r.error().message().find("outstanding borrow"), std::string::npos) << r.error().to_string();
}

TEST_F(ResourceTables, EachInstanceOwnsItsResources) {
  // Each instance of $Def sees its own representation (7) when its own resource is lent to it.
  for (auto [make, rep] : {std::pair{"make1", "rep1"}, std::pair{"make2", "rep2"}}) {
    auto h = call(make);
    ASSERT_TRUE(h.ok()) << h.error().to_string();
    auto r = call(rep, {Value::borrow((*h)->handle())});
    ASSERT_TRUE(r.ok()) << rep << ": " << r.error().to_string();
    EXPECT_EQ((*r)->as_unsigned(), 7u) << rep;
  }
  // A handle of the first instance's resource is not one of the second's.
  auto h1 = call("make1");
  ASSERT_TRUE(h1.ok());
  EXPECT_FALSE(call("rep2", {Value::borrow((*h1)->handle())}).ok());
}

TEST_F(ResourceTables, ReenteringAnInstanceTraps) {
  auto r = call("reenter");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTrap) << r.error().to_string();
  EXPECT_NE(r.error().message().find("cannot enter component instance"), std::string::npos) << r.error().to_string();
}

}  // namespace
}  // namespace witserve::component
