// Linking and calling real components built from source (tests/components): every value type
// through the canonical ABI in both directions (host -> guest exports, guest -> host imports),
// parameter and result spilling, and traps for invalid arguments.
#include "witserve/component/linker.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "built_components.h"
#include "component_files.h"
#include "test_hosts.h"
#include "witserve/engine/engine.h"

namespace witserve::component {
namespace {

using testing::built_component;

class ValuesComponent : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = *engine::make_engine("v8");
    auto c = CompiledComponent::compile(*engine_, built_component("values"));
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    compiled_ = *c;
  }

  void SetUp() override {
    store_ = std::move(*engine_->new_store());
    testing::define_values_host(linker_);
    auto inst = ComponentInstance::instantiate(compiled_, *store_, linker_);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    instance_ = std::move(*inst);
  }

  Value call(const std::string& name, std::vector<Value> args) {
    auto r = instance_->call(name, args);
    if (!r.ok()) throw std::runtime_error(name + ": " + r.error().to_string());
    if (!r->has_value()) throw std::runtime_error(name + " returned nothing");
    return **r;
  }

  void expect_echo(const std::string& name, const Value& v) {
    EXPECT_EQ(call(name, {v}), v) << name;
  }

  static inline std::shared_ptr<engine::Engine> engine_;
  static inline std::shared_ptr<const CompiledComponent> compiled_;
  std::unique_ptr<engine::Store> store_;
  Linker linker_;
  std::unique_ptr<ComponentInstance> instance_;
};

TEST_F(ValuesComponent, EchoesEveryPrimitive) {
  expect_echo("echo-bool", Value::boolean(true));
  expect_echo("echo-bool", Value::boolean(false));
  expect_echo("echo-s8", Value::s8(-128));
  expect_echo("echo-u8", Value::u8(255));
  expect_echo("echo-s16", Value::s16(-32768));
  expect_echo("echo-u16", Value::u16(65535));
  expect_echo("echo-s32", Value::s32(INT32_MIN));
  expect_echo("echo-u32", Value::u32(UINT32_MAX));
  expect_echo("echo-s64", Value::s64(INT64_MIN));
  expect_echo("echo-u64", Value::u64(UINT64_MAX));
  expect_echo("echo-f32", Value::f32(-1.5f));
  expect_echo("echo-f64", Value::f64(3.141592653589793));
  expect_echo("echo-char", Value::character(U'\U0001F600'));
  expect_echo("echo-string", Value::string("h\xC3\xA9llo \xF0\x9F\x98\x80"));
  expect_echo("echo-string", Value::string(""));
}

TEST_F(ValuesComponent, NanIsCanonicalised) {
  Value r = call("echo-f64", {Value::f64(std::nan("0x1234"))});
  EXPECT_TRUE(std::isnan(r.as_float()));
}

TEST_F(ValuesComponent, EchoesCompoundValues) {
  expect_echo("echo-list-u8", Value::list({Value::u8(1), Value::u8(2), Value::u8(250)}));
  expect_echo("echo-list-u8", Value::list({}));
  expect_echo("echo-list-string", Value::list({Value::string("a"), Value::string(""), Value::string("long string here")}));
  Value rec = Value::record({Value::u8(7), Value::string("bee"),
                             Value::list({Value::tuple({Value::string("k1"), Value::string("v1")}),
                                          Value::tuple({Value::string("k2"), Value::string("v2")})}),
                             Value::f64(2.5)});
  expect_echo("echo-record", rec);
  expect_echo("echo-tuple", Value::tuple({Value::u32(9), Value::string("x"), Value::boolean(true)}));
  expect_echo("echo-variant", Value::variant(0));
  expect_echo("echo-variant", Value::variant(1, Value::u32(77)));
  expect_echo("echo-variant", Value::variant(2, Value::string("str")));
  expect_echo("echo-variant", Value::variant(3, Value::tuple({Value::u64(1ull << 40), Value::f32(0.25f)})));
  expect_echo("echo-enum", Value::enumeration(4));
  expect_echo("echo-option", Value::none());
  expect_echo("echo-option", Value::some(Value::string("some")));
  expect_echo("echo-result", Value::ok(Value::u32(5)));
  expect_echo("echo-result", Value::err(Value::string("bad")));
  expect_echo("echo-flags-small", Value::flags(0b101));
  expect_echo("echo-flags-medium", Value::flags(0b100000000001));
  expect_echo("echo-flags-large", Value::flags(0x80000001u));
}

TEST_F(ValuesComponent, ComputedResults) {
  EXPECT_EQ(call("add-s64", {Value::s64(-5), Value::s64(12)}), Value::s64(7));
  EXPECT_EQ(call("string-length", {Value::string("h\xC3\xA9")}).as_unsigned(), 2u);  // scalar values
  EXPECT_EQ(call("reverse-string", {Value::string("abc")}), Value::string("cba"));
  EXPECT_EQ(call("join-strings", {Value::list({Value::string("a"), Value::string("b")}), Value::string("--")}),
            Value::string("a--b"));
  EXPECT_EQ(call("checked-div", {Value::s32(7), Value::s32(2)}), Value::ok(Value::s32(3)));
  EXPECT_EQ(call("checked-div", {Value::s32(7), Value::s32(0)}).case_index(), 1u);
  EXPECT_EQ(call("color-name", {Value::enumeration(2)}), Value::string("blue"));
  EXPECT_EQ(call("flags-count", {Value::flags(0xF0F0F0F0u)}).as_unsigned(), 16u);
  Value stats = call("make-stats", {Value::list({Value::u32(2), Value::u32(4), Value::u32(9)})});
  ASSERT_EQ(stats.items().size(), 5u);
  EXPECT_EQ(stats.items()[0].as_unsigned(), 3u);   // count
  EXPECT_EQ(stats.items()[1].as_unsigned(), 15u);  // sum
  EXPECT_EQ(stats.items()[2].as_unsigned(), 2u);   // min
  EXPECT_EQ(stats.items()[3].as_unsigned(), 9u);   // max
  EXPECT_EQ(stats.items()[4].as_float(), 5.0);     // mean
}

TEST_F(ValuesComponent, SpilledParametersAndResults) {
  std::vector<Value> twenty;
  uint64_t expect = 0;
  for (uint32_t i = 1; i <= 20; ++i) {
    twenty.push_back(Value::u32(i * 1000));
    expect += i * 1000;
  }
  EXPECT_EQ(call("sum20", twenty), Value::u64(expect));
  std::vector<Value> nine;
  for (int i = 1; i <= 9; ++i) nine.push_back(Value::string(std::string(size_t(i), char('a' + i - 1))));
  EXPECT_EQ(call("concat9", nine), Value::string("abbcccddddeeeeeffffffggggggghhhhhhhhiiiiiiiii"));
}

TEST_F(ValuesComponent, GuestCallsHostImports) {
  EXPECT_EQ(call("via-host-string", {Value::string("round trip")}), Value::string("round trip"));
  Value rec = Value::record({Value::u8(1), Value::string("b"),
                             Value::list({Value::tuple({Value::string("x"), Value::string("y")})}), Value::f64(-0.5)});
  EXPECT_EQ(call("via-host-record", {rec}), rec);
  EXPECT_EQ(call("via-host-variant", {Value::variant(2, Value::string("v"))}), Value::variant(2, Value::string("v")));
  EXPECT_EQ(call("via-host-option", {Value::none()}), Value::none());
  EXPECT_EQ(call("via-host-result", {Value::err(Value::string("e"))}), Value::err(Value::string("e")));
}

TEST_F(ValuesComponent, InvalidArgumentsAreRefusedBeforeTheGuestRuns) {
  auto r = instance_->call("echo-char", std::vector<Value>{Value::character(0xD800)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("Unicode scalar"), std::string::npos) << r.error().message();
  r = instance_->call("echo-u8", std::vector<Value>{Value::string("nope")});
  ASSERT_FALSE(r.ok());
  r = instance_->call("no-such-export", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);
}

}  // namespace
}  // namespace witserve::component

namespace witserve::component {
namespace {

// The same string component built with each canonical string encoding.
class StringsComponent : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    engine_ = *engine::make_engine("v8");
    auto c = CompiledComponent::compile(*engine_, testing::built_component("strings-" + GetParam()));
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    store_ = std::move(*engine_->new_store());
    testing::define_strings_host(linker_);
    auto inst = ComponentInstance::instantiate(*c, *store_, linker_);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    instance_ = std::move(*inst);
  }
  Value call(const std::string& name, std::vector<Value> args) {
    auto r = instance_->call(name, args);
    if (!r.ok()) throw std::runtime_error(name + ": " + r.error().to_string());
    return **r;
  }
  std::shared_ptr<engine::Engine> engine_;
  std::unique_ptr<engine::Store> store_;
  Linker linker_;
  std::unique_ptr<ComponentInstance> instance_;
};

const std::string kAscii = "plain ascii";
const std::string kLatin1 = "caf\xC3\xA9 \xC3\xBC";          // café ü: all below U+0100
const std::string kBmp = "price: 5\xE2\x82\xAC";              // € (U+20AC)
const std::string kAstral = "smile \xF0\x9F\x98\x80 end";     // U+1F600: a surrogate pair in UTF-16

TEST_P(StringsComponent, RoundTripsEveryRangeOfCharacters) {
  for (const std::string& s : {kAscii, kLatin1, kBmp, kAstral, std::string()}) {
    EXPECT_EQ(call("echo", {Value::string(s)}), Value::string(s)) << s;
    EXPECT_EQ(call("via-host", {Value::string(s)}), Value::string(s)) << s;
  }
  EXPECT_EQ(call("reverse", {Value::string("a\xE2\x82\xAC" "b\xF0\x9F\x98\x80")}),
            Value::string("\xF0\x9F\x98\x80" "b\xE2\x82\xAC" "a"));
  EXPECT_EQ(call("concat", {Value::string(kLatin1), Value::string(kAstral)}), Value::string(kLatin1 + kAstral));
  Value list = Value::list({Value::string(kAscii), Value::string(kBmp), Value::string(kAstral)});
  EXPECT_EQ(call("echo-list", {list}), list);
}

TEST_P(StringsComponent, GuestSeesItsOwnEncoding) {
  const std::string& enc = GetParam();
  // "café ü" is 8 UTF-8 bytes, 6 UTF-16 units, 6 Latin-1 bytes; "price: 5€" is 11 bytes, 9 units.
  uint64_t latin1_units = call("code-units", {Value::string(kLatin1)}).as_unsigned();
  uint64_t bmp_units = call("code-units", {Value::string(kBmp)}).as_unsigned();
  uint64_t astral_units = call("code-units", {Value::string(kAstral)}).as_unsigned();
  if (enc == "utf8") {
    EXPECT_EQ(latin1_units, 8u);
    EXPECT_EQ(bmp_units, 11u);
    EXPECT_EQ(astral_units, 14u);
    EXPECT_EQ(call("encoding-of", {Value::string(kBmp)}), Value::string("utf8"));
  } else if (enc == "utf16") {
    EXPECT_EQ(latin1_units, 6u);
    EXPECT_EQ(bmp_units, 9u);
    EXPECT_EQ(astral_units, 12u);  // the emoji is two code units
    EXPECT_EQ(call("encoding-of", {Value::string(kLatin1)}), Value::string("utf16"));
  } else {
    EXPECT_EQ(latin1_units, 6u);
    EXPECT_EQ(bmp_units, 9u);
    EXPECT_EQ(call("encoding-of", {Value::string(kLatin1)}), Value::string("latin1"));
    EXPECT_EQ(call("encoding-of", {Value::string(kBmp)}), Value::string("utf16"));
  }
}

INSTANTIATE_TEST_SUITE_P(Encodings, StringsComponent, ::testing::Values("utf8", "utf16", "compact-utf16"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace witserve::component

namespace witserve::component {
namespace {

// Resources both ways: the guest's `counter` (own/borrow handles held by the host, destructor in
// the guest) and the host's `host-thing` (created by the host when the guest calls its constructor).
class ResourcesComponent : public ::testing::Test {
 protected:
  static constexpr const char* kCounters = "test:resources/counters";
  static constexpr const char* kThings = "test:resources/things";

  void SetUp() override {
    engine_ = *engine::make_engine("v8");
    auto c = CompiledComponent::compile(*engine_, testing::built_component("resources"));
    ASSERT_TRUE(c.ok()) << c.error().to_string();
    store_ = std::move(*engine_->new_store());
    const char* host = "test:resources/host";
    linker_.define_resource(host, "host-thing", [this](uint32_t rep) { dropped_.push_back(rep); });
    linker_.define_func(host, "[constructor]host-thing",
                        [this](const FuncType&, std::span<const Value> a) -> Result<std::optional<Value>> {
                          things_.push_back(uint32_t(a[0].as_unsigned()));
                          return std::optional<Value>(Value::own(uint32_t(things_.size() - 1)));  // rep
                        });
    linker_.define_func(host, "[method]host-thing.value",
                        [this](const FuncType&, std::span<const Value> a) -> Result<std::optional<Value>> {
                          return std::optional<Value>(Value::u32(things_.at(a[0].handle())));
                        });
    linker_.define_func(host, "things-dropped",
                        [this](const FuncType&, std::span<const Value>) -> Result<std::optional<Value>> {
                          return std::optional<Value>(Value::u32(uint32_t(dropped_.size())));
                        });
    auto inst = ComponentInstance::instantiate(*c, *store_, linker_);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    instance_ = std::move(*inst);
  }

  Value call(const char* iface, const std::string& name, std::vector<Value> args) {
    auto r = instance_->call(name, args, iface);
    if (!r.ok()) throw std::runtime_error(name + ": " + r.error().to_string());
    return **r;
  }
  uint64_t u(const char* iface, const std::string& name, std::vector<Value> args = {}) {
    return call(iface, name, std::move(args)).as_unsigned();
  }

  std::shared_ptr<engine::Engine> engine_;
  std::unique_ptr<engine::Store> store_;
  Linker linker_;
  std::unique_ptr<ComponentInstance> instance_;
  std::vector<uint32_t> things_;   // host-thing reps -> values
  std::vector<uint32_t> dropped_;  // reps whose last own handle was dropped
};

TEST_F(ResourcesComponent, GuestResourceOwnedAndBorrowedByTheHost) {
  Value c1 = call(kCounters, "[constructor]counter", {Value::u32(5)});
  ASSERT_EQ(c1.kind(), TypeKind::kOwn);
  EXPECT_EQ(u(kCounters, "[method]counter.increment", {Value::borrow(c1.handle())}), 6u);
  EXPECT_EQ(u(kCounters, "[method]counter.get", {Value::borrow(c1.handle())}), 6u);
  Value c2 = call(kCounters, "make-counter", {Value::u32(10)});
  EXPECT_EQ(u(kCounters, "[static]counter.sum", {Value::borrow(c1.handle()), Value::borrow(c2.handle())}), 16u);
  EXPECT_EQ(u(kCounters, "sum-borrowed", {Value::borrow(c2.handle()), Value::borrow(c1.handle())}), 16u);
  EXPECT_EQ(u(kCounters, "live-count"), 2u);

  EXPECT_EQ(u(kCounters, "consume-counter", {Value::own(c2.handle())}), 10u);  // ownership moves in
  EXPECT_EQ(u(kCounters, "destroyed-count"), 1u);
  EXPECT_EQ(instance_->host_handle(c2.handle()), nullptr);  // the host's handle is gone
  auto again = instance_->call("[method]counter.get", std::vector<Value>{Value::borrow(c2.handle())}, kCounters);
  EXPECT_FALSE(again.ok());  // a moved handle cannot be used

  ASSERT_TRUE(instance_->drop(c1.handle()).ok());  // the host drops its own: destructor runs in the guest
  EXPECT_EQ(u(kCounters, "destroyed-count"), 2u);
  EXPECT_EQ(u(kCounters, "live-count"), 0u);
}

TEST_F(ResourcesComponent, HostResourceCreatedBorrowedAndDropped) {
  EXPECT_EQ(u(kThings, "make-and-read", {Value::u32(7)}), 7u);
  EXPECT_EQ(dropped_.size(), 1u);  // the guest dropped the thing it made: the host's drop ran
  EXPECT_EQ(u(kThings, "things-dropped"), 1u);

  Value t = call(kThings, "make-thing", {Value::u32(9)});
  ASSERT_EQ(t.kind(), TypeKind::kOwn);
  const HostHandle* h = instance_->host_handle(t.handle());
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(things_.at(h->rep), 9u);
  EXPECT_EQ(u(kThings, "read-thing", {Value::borrow(t.handle())}), 9u);
  Value t2 = call(kThings, "pass-thing", {Value::own(t.handle())});
  EXPECT_EQ(u(kThings, "consume-thing", {Value::own(t2.handle())}), 9u);
  EXPECT_EQ(dropped_.size(), 2u);
}

}  // namespace
}  // namespace witserve::component

namespace witserve::component {
namespace {

// A guest that returns invalid values: each lift traps with a message naming the problem, and the
// host goes on serving.
TEST(InvalidGuestValues, EveryInvalidValueTraps) {
  auto engine = *engine::make_engine("v8");
  auto compiled = CompiledComponent::compile(*engine, testing::component_wat_file("invalid_values"));
  ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
  auto store = std::move(*engine->new_store());
  Linker linker;
  auto inst = ComponentInstance::instantiate(*compiled, *store, linker);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  struct Case {
    const char* name;
    const char* message_part;
  } cases[] = {
      {"bad-utf8", "not valid UTF-8"},
      {"bad-utf16", "not valid UTF-16"},
      {"oob-string", "out of bounds"},
      {"huge-list", "exceeds the canonical ABI limit"},
      {"misaligned-list", "not aligned"},
      {"bad-char", "not a Unicode scalar value"},
      {"big-char", "not a Unicode scalar value"},
      {"bad-enum", "discriminant 7 out of range"},
      {"bad-option", "discriminant 5 out of range"},
      {"oob-retptr", "out of bounds"},
      {"misaligned-retptr", "not aligned"},
  };
  for (const auto& c : cases) {
    // A trap leaves an instance unusable (the spec's rule), so each case gets a fresh one.
    auto fresh = ComponentInstance::instantiate(*compiled, *store, linker);
    ASSERT_TRUE(fresh.ok()) << fresh.error().to_string();
    auto r = (*fresh)->call(c.name, {});
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().kind(), ErrorKind::kTrap) << c.name << ": " << r.error().to_string();
    EXPECT_NE(r.error().message().find(c.message_part), std::string::npos) << c.name << ": " << r.error().message();
  }
  auto good = (*inst)->call("good", {});
  ASSERT_TRUE(good.ok()) << good.error().to_string();
  EXPECT_EQ((*good)->as_unsigned(), 42u);

  // After a trap the instance refuses every later call, even to a well-behaved export.
  ASSERT_FALSE((*inst)->call("bad-char", {}).ok());
  auto after = (*inst)->call("good", {});
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message().find("trapped earlier"), std::string::npos) << after.error().message();
}

// Every malformed component the corpus derives (truncated, bad ids, bad LEBs, wrong versions, ...)
// is refused with an error, never a crash.
TEST(MalformedComponents, AreRefusedWithAnError) {
  auto engine = *engine::make_engine("v8");
  std::string dir = testing::built_components_dir() + "/malformed";
  size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".wasm") continue;
    ++seen;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    auto c = CompiledComponent::compile(*engine, bytes);
    EXPECT_FALSE(c.ok()) << entry.path().filename();
  }
  EXPECT_GE(seen, 10u);
}

}  // namespace
}  // namespace witserve::component

namespace witserve::component {
namespace {

// A host that declares its function types: an import that fits links; one that does not is
// refused at instantiation with the import and both types named.
TEST(TypedHostFunctions, ImportsAreCheckedAgainstTheHostsTypes) {
  auto engine = *engine::make_engine("v8");
  auto compiled = *CompiledComponent::compile(*engine, testing::built_component("strings-utf8"));
  auto store = std::move(*engine->new_store());
  auto echo = [](const FuncType&, std::span<const Value> a) -> Result<std::optional<Value>> {
    return std::optional<Value>(a[0]);
  };

  Linker good;
  FuncType ok_type;
  ok_type.params = {{"text", good.arena().primitive(TypeKind::kString)}};  // parameter names may differ
  ok_type.result = good.arena().primitive(TypeKind::kString);
  good.define_func("test:strings/host", "host-echo", good.arena().add(ok_type), echo);
  auto inst = ComponentInstance::instantiate(compiled, *store, good);
  ASSERT_TRUE(inst.ok()) << inst.error().to_string();
  auto r = (*inst)->call("via-host", std::vector<Value>{Value::string("typed")});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(**r, Value::string("typed"));

  Linker bad;
  FuncType wrong;
  wrong.params = {{"s", bad.arena().primitive(TypeKind::kString)}};
  wrong.result = bad.arena().primitive(TypeKind::kU32);
  bad.define_func("test:strings/host", "host-echo", bad.arena().add(wrong), echo);
  auto refused = ComponentInstance::instantiate(compiled, *store, bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind(), ErrorKind::kLink);
  const std::string& msg = refused.error().message();
  EXPECT_NE(msg.find("'test:strings/host' function 'host-echo'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("expects func(s: string) -> string"), std::string::npos) << msg;
  EXPECT_NE(msg.find("provides func(s: string) -> u32"), std::string::npos) << msg;
}

}  // namespace
}  // namespace witserve::component

namespace witserve::component {
namespace {

// A host function that calls back into the component instance that called it is refused (no
// re-entry), and the outer call fails with that reason.
TEST(ComponentRules, ReentryIsRefused) {
  auto engine = *engine::make_engine("v8");
  auto compiled = *CompiledComponent::compile(*engine, testing::built_component("strings-utf8"));
  auto store = std::move(*engine->new_store());
  Linker linker;
  ComponentInstance* self = nullptr;
  std::string inner_error;
  linker.define_func("test:strings/host", "host-echo",
                     [&](const FuncType&, std::span<const Value> a) -> Result<std::optional<Value>> {
                       auto r = self->call("echo", std::vector<Value>{a[0]});
                       if (r.ok()) return r;
                       inner_error = r.error().message();
                       return std::move(r).error();
                     });
  auto inst = *ComponentInstance::instantiate(compiled, *store, linker);
  self = inst.get();
  auto r = inst->call("via-host", std::vector<Value>{Value::string("x")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(inner_error.find("cannot enter component instance"), std::string::npos) << inner_error;
}

}  // namespace
}  // namespace witserve::component

namespace witserve::component {
namespace {

TEST(ComponentRules, LentBorrowsMustBeDroppedBeforeReturning) {
  auto engine = *engine::make_engine("v8");
  auto compiled = CompiledComponent::compile(*engine, testing::component_wat_file("borrow_rules"));
  ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
  auto store = std::move(*engine->new_store());
  Linker linker;
  linker.define_resource("host", "thing");
  auto inst = *ComponentInstance::instantiate(*compiled, *store, linker);
  uint32_t h = *inst->new_host_resource("host", "thing", 5);

  auto ok_call = inst->call("drop-it", std::vector<Value>{Value::borrow(h)});
  ASSERT_TRUE(ok_call.ok()) << ok_call.error().to_string();
  EXPECT_EQ((*ok_call)->as_unsigned(), 1u);
  ASSERT_NE(inst->host_handle(h), nullptr);  // lending did not take the host's handle away

  auto kept = inst->call("keep", std::vector<Value>{Value::borrow(h)});
  ASSERT_FALSE(kept.ok());
  EXPECT_EQ(kept.error().kind(), ErrorKind::kTrap);
  EXPECT_NE(kept.error().message().find("was not dropped before the call returned"), std::string::npos)
      << kept.error().message();
}

}  // namespace
}  // namespace witserve::component

#include "witserve/component/typed.h"

namespace witserve::component {
namespace {

// The typed fast path: the same calls as the Value tests, with C++ types, on the C `values`
// component; signatures are checked once at lookup.
TEST(TypedFunc, CallsWithCppValues) {
  auto engine = *engine::make_engine("v8");
  auto compiled = *CompiledComponent::compile(*engine, testing::built_component("values"));
  auto store = std::move(*engine->new_store());
  Linker linker;
  testing::define_values_host(linker);
  auto inst = *ComponentInstance::instantiate(compiled, *store, linker);

  auto add = *TypedFunc<int64_t(int64_t, int64_t)>::lookup(*inst, "add-s64");
  EXPECT_EQ(*add.call(-5, 12), 7);
  auto echo_f64 = *TypedFunc<double(double)>::lookup(*inst, "echo-f64");
  EXPECT_EQ(*echo_f64.call(2.5), 2.5);
  auto echo_bool = *TypedFunc<bool(bool)>::lookup(*inst, "echo-bool");
  EXPECT_TRUE(*echo_bool.call(true));

  auto rev = *TypedFunc<std::string(std::string)>::lookup(*inst, "reverse-string");
  EXPECT_EQ(*rev.call("h\xC3\xA9llo"), "oll\xC3\xA9h");
  auto bytes = *TypedFunc<std::vector<uint8_t>(std::vector<uint8_t>)>::lookup(*inst, "echo-list-u8");
  EXPECT_EQ(*bytes.call({1, 2, 255}), (std::vector<uint8_t>{1, 2, 255}));
  auto strs = *TypedFunc<std::vector<std::string>(std::vector<std::string>)>::lookup(*inst, "echo-list-string");
  EXPECT_EQ(*strs.call({"a", "", "ccc"}), (std::vector<std::string>{"a", "", "ccc"}));
  auto opt = *TypedFunc<std::optional<std::string>(std::optional<std::string>)>::lookup(*inst, "echo-option");
  EXPECT_EQ(*opt.call(std::nullopt), std::nullopt);
  EXPECT_EQ(*opt.call("x"), std::optional<std::string>("x"));

  using Rec = std::tuple<uint8_t, std::string, std::vector<std::tuple<std::string, std::string>>, double>;
  auto rec = *TypedFunc<Rec(Rec)>::lookup(*inst, "echo-record");
  Rec r{7, "bee", {{"k1", "v1"}, {"k2", "v2"}}, 2.5};
  EXPECT_EQ(*rec.call(r), r);
  auto tup = *TypedFunc<std::tuple<uint32_t, std::string, bool>(std::tuple<uint32_t, std::string, bool>)>::lookup(
      *inst, "echo-tuple");
  EXPECT_EQ(*tup.call({9, "x", true}), (std::tuple<uint32_t, std::string, bool>{9, "x", true}));

  // 20 parameters spill through memory; a record result comes back through a return pointer.
  auto sum20 = *TypedFunc<uint64_t(uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t,
                                   uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t,
                                   uint32_t, uint32_t, uint32_t, uint32_t)>::lookup(*inst, "sum20");
  EXPECT_EQ(*sum20.call(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20), 210u);
  auto stats = *TypedFunc<std::tuple<uint32_t, uint64_t, uint32_t, uint32_t, double>(std::vector<uint32_t>)>::lookup(
      *inst, "make-stats");
  EXPECT_EQ(*stats.call({2, 4, 9}), (std::tuple<uint32_t, uint64_t, uint32_t, uint32_t, double>{3, 15, 2, 9, 5.0}));

  // A C++ signature that does not fit the export is refused at lookup, naming the type.
  auto wrong = TypedFunc<uint32_t(std::string)>::lookup(*inst, "reverse-string");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message().find("func(s: string) -> string"), std::string::npos) << wrong.error().message();
}

}  // namespace
}  // namespace witserve::component
