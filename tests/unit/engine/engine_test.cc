// Engine interface tests, run on every engine this build has (parameterised by engine name):
// calls with each number type, memory access, host imports, instance-to-instance linking, traps,
// link errors, sharing one compiled module across threads, and interrupting a running call.
#include "witserve/engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "wasm_files.h"

namespace witserve::engine {
namespace {

using testing::wasm_file;
using namespace std::chrono_literals;

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto e = make_engine(GetParam());
    ASSERT_TRUE(e.ok()) << e.error().to_string();
    engine_ = *e;
    auto s = engine_->new_store();
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    store_ = std::move(*s);
  }

  std::shared_ptr<const Module> compile(const std::string& name) {
    auto m = engine_->compile(wasm_file(name));
    EXPECT_TRUE(m.ok()) << name << ": " << m.error().to_string();
    return m.ok() ? *m : nullptr;
  }

  std::unique_ptr<Instance> instantiate(const std::string& name, std::vector<Import> imports = {}) {
    auto m = compile(name);
    if (!m) return nullptr;
    auto i = store_->instantiate(m, imports);
    EXPECT_TRUE(i.ok()) << name << ": " << i.error().to_string();
    return i.ok() ? std::move(*i) : nullptr;
  }

  // Calls `name` and returns the error it must fail with.
  Error call_error(Instance& inst, const std::string& name, std::vector<Val> args = {}) {
    auto f = inst.func(name);
    if (!f) throw std::runtime_error("no export " + name);
    std::vector<Val> results(f->type().results.size());
    Status st = f->call(args, results);
    if (st.ok()) throw std::runtime_error(name + " was expected to fail");
    return st.error();
  }

  std::shared_ptr<Engine> engine_;
  std::unique_ptr<Store> store_;
};

TEST_P(EngineTest, CallsWithEveryNumberType) {
  auto inst = instantiate("numeric");
  ASSERT_TRUE(inst);
  Val r[2];
  ASSERT_TRUE(inst->func("add")->call(std::vector{Val::i32(-5), Val::i32(47)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 42);
  ASSERT_TRUE(inst->func("add")->call(std::vector{Val::i32(INT32_MAX), Val::i32(1)}, r).ok());
  EXPECT_EQ(r[0].of.i32, INT32_MIN);  // wraps
  ASSERT_TRUE(inst->func("add64")->call(std::vector{Val::i64(INT64_MAX - 1), Val::i64(1)}, r).ok());
  EXPECT_EQ(r[0].type, ValType::kI64);
  EXPECT_EQ(r[0].of.i64, INT64_MAX);
  ASSERT_TRUE(inst->func("mulf32")->call(std::vector{Val::f32(1.5f), Val::f32(-4.0f)}, r).ok());
  EXPECT_EQ(r[0].of.f32, -6.0f);
  ASSERT_TRUE(inst->func("divf64")->call(std::vector{Val::f64(1.0), Val::f64(0.0)}, r).ok());
  EXPECT_TRUE(std::isinf(r[0].of.f64));
  ASSERT_TRUE(inst->func("swap")->call(std::vector{Val::i32(7), Val::i64(-9000000000LL)}, r).ok());
  EXPECT_EQ(r[0].of.i64, -9000000000LL);
  EXPECT_EQ(r[1].of.i32, 7);
  EXPECT_TRUE(inst->func("nothing")->call({}, {}).ok());
}

TEST_P(EngineTest, ArgumentsAreChecked) {
  auto inst = instantiate("numeric");
  ASSERT_TRUE(inst);
  Val r[1];
  auto st = inst->func("add")->call(std::vector{Val::i32(1)}, r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kInvalidArgument);
  st = inst->func("add")->call(std::vector{Val::i32(1), Val::i64(2)}, r);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(inst->func("no_such_export"), nullptr);
  EXPECT_EQ(inst->memory("add"), nullptr);  // wrong kind
}

TEST_P(EngineTest, TrapsComeBackAsErrors) {
  auto inst = instantiate("numeric");
  ASSERT_TRUE(inst);
  struct Case {
    const char* export_name;
    std::vector<Val> args;
    const char* message_part;
  } cases[] = {
      {"unreachable", {}, "unreachable"},
      {"div_s", {Val::i32(1), Val::i32(0)}, "divide by zero"},
      {"load", {Val::i32(65535)}, "out of bounds"},
      {"recurse", {Val::i32(0)}, "stack"},
      {"bad_indirect", {}, "signature"},
  };
  for (const auto& c : cases) {
    Error e = call_error(*inst, c.export_name, c.args);
    EXPECT_EQ(e.kind(), ErrorKind::kTrap) << c.export_name << ": " << e.to_string();
    EXPECT_NE(e.message().find(c.message_part), std::string::npos)
        << c.export_name << ": " << e.message();
  }
  // The store and the instance stay usable after every trap.
  Val r[1];
  ASSERT_TRUE(inst->func("add")->call(std::vector{Val::i32(2), Val::i32(3)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 5);
}

TEST_P(EngineTest, HostReadsAndWritesLinearMemory) {
  auto inst = instantiate("memory");
  ASSERT_TRUE(inst);
  auto mem = inst->memory("memory");
  ASSERT_TRUE(mem);
  auto data = mem->data();
  ASSERT_EQ(data.size(), Memory::kPageSize);
  const uint8_t bytes[] = {1, 2, 3, 250};
  std::memcpy(data.data() + 100, bytes, sizeof bytes);
  Val r[1];
  ASSERT_TRUE(inst->func("sum")->call(std::vector{Val::i32(100), Val::i32(4)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 256);

  ASSERT_TRUE(inst->func("fill")->call(std::vector{Val::i32(200), Val::i32(3), Val::i32(0xAB)}, {}).ok());
  data = mem->data();
  EXPECT_EQ(data[199], 0);
  EXPECT_EQ(data[200], 0xAB);
  EXPECT_EQ(data[202], 0xAB);
  EXPECT_EQ(data[203], 0);

  auto old = mem->grow(2);
  ASSERT_TRUE(old.ok()) << old.error().to_string();
  EXPECT_EQ(*old, 1u);
  EXPECT_EQ(mem->data().size(), 3 * Memory::kPageSize);
  EXPECT_EQ(mem->data()[200], 0xAB);  // contents survive growth
  ASSERT_TRUE(inst->func("pages")->call({}, r).ok());
  EXPECT_EQ(r[0].of.i32, 3);
  EXPECT_FALSE(mem->grow(2).ok());  // past the declared maximum of 4 pages
  EXPECT_EQ(mem->data().size(), 3 * Memory::kPageSize);
}

class HostImportsTest : public EngineTest {
 protected:
  std::unique_ptr<Instance> instantiate_with_hosts() {
    using T = ValType;
    std::vector<Import> imports{
        {"env", "add_i64", store_->host_func({{T::kI64, T::kI64}, {T::kI64}},
                                             [](auto args, auto results) {
                                               results[0] = Val::i64(args[0].of.i64 + args[1].of.i64);
                                               return ok();
                                             })},
        {"env", "scale", store_->host_func({{T::kF32, T::kF64}, {T::kF64}},
                                           [](auto args, auto results) {
                                             results[0] = Val::f64(args[0].of.f32 * args[1].of.f64);
                                             return ok();
                                           })},
        {"env", "pair", store_->host_func({{T::kI32}, {T::kI32, T::kI32}},
                                          [](auto args, auto results) {
                                            results[0] = Val::i32(args[0].of.i32 * 10);
                                            results[1] = Val::i32(args[0].of.i32);
                                            return ok();
                                          })},
        {"env", "fail", store_->host_func({{T::kI32}, {}},
                                          [](auto args, auto) -> Status {
                                            if (args[0].of.i32 == 1)
                                              return Error(ErrorKind::kHost, "refused by host");
                                            if (args[0].of.i32 == 2)
                                              throw std::runtime_error("boom");
                                            return ok();
                                          })},
        {"env", "reenter", store_->host_func({{T::kI32}, {T::kI32}},
                                             [this](auto args, auto results) -> Status {
                                               // Calls back into the same instance.
                                               Val r[1];
                                               auto f = args[0].of.i32 < 0 ? instance_->func("spin")
                                                                           : instance_->func("double");
                                               std::vector<Val> a;
                                               if (args[0].of.i32 >= 0) a.push_back(args[0]);
                                               WITSERVE_TRY(f->call(a, r));
                                               results[0] = Val::i32(r[0].of.i32 + 1);
                                               return ok();
                                             })},
    };
    auto m = compile("host_imports");
    auto i = store_->instantiate(m, imports);
    EXPECT_TRUE(i.ok()) << i.error().to_string();
    return i.ok() ? std::move(*i) : nullptr;
  }
  std::unique_ptr<Instance> instance_;
};

TEST_P(HostImportsTest, HostFunctionsOfEveryType) {
  instance_ = instantiate_with_hosts();
  ASSERT_TRUE(instance_);
  Val r[1];
  ASSERT_TRUE(instance_->func("call_add_i64")->call(std::vector{Val::i64(1LL << 40), Val::i64(-1)}, r).ok());
  EXPECT_EQ(r[0].of.i64, (1LL << 40) - 1);
  ASSERT_TRUE(instance_->func("call_scale")->call(std::vector{Val::f32(0.5f), Val::f64(9.0)}, r).ok());
  EXPECT_EQ(r[0].of.f64, 4.5);
  ASSERT_TRUE(instance_->func("call_pair")->call(std::vector{Val::i32(3)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 27);  // 30 - 3: both results reached wasm in order
  ASSERT_TRUE(instance_->func("call_reenter")->call(std::vector{Val::i32(20)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 41);
}

TEST_P(HostImportsTest, HostErrorsReachTheCallerUnchanged) {
  instance_ = instantiate_with_hosts();
  ASSERT_TRUE(instance_);
  Val r[1];
  ASSERT_TRUE(instance_->func("call_fail")->call(std::vector{Val::i32(0)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 7);

  Error e = call_error(*instance_, "call_fail", {Val::i32(1)});
  EXPECT_EQ(e.kind(), ErrorKind::kHost);
  EXPECT_EQ(e.message(), "refused by host");

  e = call_error(*instance_, "call_fail", {Val::i32(2)});  // a C++ exception stops at the boundary
  EXPECT_EQ(e.kind(), ErrorKind::kHost);
  EXPECT_NE(e.message().find("boom"), std::string::npos);

  ASSERT_TRUE(instance_->func("call_fail")->call(std::vector{Val::i32(0)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 7);
}

TEST_P(EngineTest, InstanceExportsLinkIntoAnotherInstance) {
  auto provider = instantiate("provider");
  ASSERT_TRUE(provider);
  std::vector<Import> imports;
  for (const char* name : {"memory", "counter", "table", "bump"})
    imports.push_back({"provider", name, *provider->get_export(name)});
  auto consumer = instantiate("consumer", imports);
  ASSERT_TRUE(consumer);
  Val r[1];
  ASSERT_TRUE(consumer->func("first_byte")->call(std::vector{Val::i32(16)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 'h');  // provider's data segment, read through the shared memory
  ASSERT_TRUE(consumer->func("call_table")->call(std::vector{Val::i32(1)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 42);  // provider's function, through the shared table
  ASSERT_TRUE(consumer->func("bump_twice")->call({}, r).ok());
  EXPECT_EQ(r[0].of.i32, 42);
  ASSERT_TRUE(consumer->func("read_counter")->call({}, r).ok());
  EXPECT_EQ(r[0].of.i32, 42);  // the global is shared, not copied
  auto counter = provider->global("counter");
  ASSERT_TRUE(counter);
  EXPECT_EQ(counter->get().of.i32, 42);
  ASSERT_TRUE(counter->set(Val::i32(100)).ok());
  ASSERT_TRUE(consumer->func("read_counter")->call({}, r).ok());
  EXPECT_EQ(r[0].of.i32, 100);
  EXPECT_EQ(provider->table("table")->size(), 2u);
}

TEST_P(EngineTest, LinkErrorsNameTheImport) {
  auto provider = instantiate("provider");
  ASSERT_TRUE(provider);
  auto consumer = compile("consumer");
  ASSERT_TRUE(consumer);
  std::vector<Import> imports{{"provider", "memory", *provider->get_export("memory")},
                              {"provider", "counter", *provider->get_export("counter")},
                              {"provider", "table", *provider->get_export("table")}};
  auto r = store_->instantiate(consumer, imports);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kLink);
  EXPECT_NE(r.error().message().find("'provider' 'bump'"), std::string::npos) << r.error().message();

  imports.push_back({"provider", "bump", *provider->get_export("memory")});  // wrong kind
  r = store_->instantiate(consumer, imports);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kLink);
  EXPECT_NE(r.error().message().find("was given a memory"), std::string::npos) << r.error().message();

  imports.back().value = store_->host_func({{ValType::kI32}, {ValType::kI32}},
                                           [](auto, auto) { return ok(); });  // wrong signature
  r = store_->instantiate(consumer, imports);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kLink);
  EXPECT_NE(r.error().message().find("(i32) -> (i32)"), std::string::npos) << r.error().message();
}

TEST_P(EngineTest, StartFunctionTrapFailsInstantiation) {
  auto m = compile("start_trap");
  ASSERT_TRUE(m);
  auto r = store_->instantiate(m, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kTrap);
  EXPECT_NE(r.error().message().find("unreachable"), std::string::npos) << r.error().message();
}

// The start function runs once, before any export, on every instantiation (the V8 backend runs
// it through an export; see engine/v8/module_rewrite.h).
TEST_P(EngineTest, StartFunctionRunsOnEveryInstantiation) {
  auto m = compile("start_and_grow");
  ASSERT_TRUE(m);
  for (int i = 0; i < 3; ++i) {
    auto inst = store_->instantiate(m, {});
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    Val result[1];
    ASSERT_TRUE((*inst)->func("peek")->call({}, result).ok());
    EXPECT_EQ(result[0].of.i32, 42);
  }
}

// A memory without a maximum may grow only up to EngineOptions::max_memory_pages (4096 pages,
// 256 MiB, by default); past it memory.grow fails (-1) and the memory keeps its size.
TEST_P(EngineTest, MemoryGrowthStopsAtTheEngineLimit) {
  auto m = compile("start_and_grow");
  ASSERT_TRUE(m);
  auto inst = store_->instantiate(m, {});
  ASSERT_TRUE(inst.ok());
  auto grow = (*inst)->func("grow");
  Val result[1];
  ASSERT_TRUE(grow->call(std::vector<Val>{Val::i32(4096)}, result).ok());
  EXPECT_EQ(result[0].of.i32, -1);  // 1 + 4096 pages is over the limit
  ASSERT_TRUE(grow->call(std::vector<Val>{Val::i32(4095)}, result).ok());
  EXPECT_EQ(result[0].of.i32, 1);  // exactly at the limit: allowed, returns the old size
  ASSERT_TRUE(grow->call(std::vector<Val>{Val::i32(1)}, result).ok());
  EXPECT_EQ(result[0].of.i32, -1);
  EXPECT_EQ((*inst)->memory("memory")->data().size(), 4096 * engine::Memory::kPageSize);
}

TEST_P(EngineTest, MalformedModulesAreRejected) {
  std::vector<uint8_t> garbage{0, 'a', 's', 'm', 1, 0, 0, 0, 10, 5, 1, 3, 0, 0, 0};
  auto r = engine_->compile(garbage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kMalformed);

  // Well-formed sections, invalid code: the engine's validator catches it.
  auto bytes = wasm_file("numeric");
  auto good = engine_->compile(bytes);
  ASSERT_TRUE(good.ok());
  std::vector<uint8_t> empty;
  EXPECT_FALSE(engine_->compile(empty).ok());
}

TEST_P(EngineTest, OneCompiledModuleServesManyThreads) {
  auto module = compile("numeric");
  ASSERT_TRUE(module);
  std::atomic<int> good{0};
  auto worker = [&](int base) {
    auto store = engine_->new_store();  // each thread gets its own store (isolate)
    if (!store.ok()) return;
    for (int i = 0; i < 50; ++i) {
      auto inst = (*store)->instantiate(module, {});
      if (!inst.ok()) return;
      Val r[1];
      if (!(*inst)->func("add")->call(std::vector{Val::i32(base), Val::i32(i)}, r).ok()) return;
      if (r[0].of.i32 != base + i) return;
      // Traps on one thread do not disturb the other.
      Val out[1];
      if ((*inst)->func("unreachable")->call({}, out).ok()) return;
    }
    ++good;
  };
  std::thread a(worker, 1000), b(worker, 2000);
  a.join();
  b.join();
  EXPECT_EQ(good.load(), 2);
}

TEST_P(EngineTest, InfiniteLoopIsInterruptedFromAnotherThread) {
  auto inst = instantiate("numeric");
  ASSERT_TRUE(inst);
  auto handle = store_->interrupt_handle();
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    std::this_thread::sleep_for(100ms);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      handle->interrupt();
      std::this_thread::sleep_for(20ms);
    }
  });
  auto start = std::chrono::steady_clock::now();
  Error e = call_error(*inst, "spin");
  done = true;
  watchdog.join();
  EXPECT_EQ(e.kind(), ErrorKind::kInterrupted) << e.to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  // The store is usable afterwards, and a fresh call is not hit by a stale interrupt.
  Val r[1];
  ASSERT_TRUE(inst->func("add")->call(std::vector{Val::i32(1), Val::i32(2)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 3);
  auto again = store_->instantiate(compile("numeric"), {});
  ASSERT_TRUE(again.ok());
}

TEST_P(HostImportsTest, InterruptReachesALoopBelowAHostCall) {
  instance_ = instantiate_with_hosts();
  ASSERT_TRUE(instance_);
  auto handle = store_->interrupt_handle();
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    std::this_thread::sleep_for(100ms);
    while (!done) {
      handle->interrupt();
      std::this_thread::sleep_for(20ms);
    }
  });
  // wasm -> host -> wasm (spins): the interrupt unwinds through the host frame.
  Error e = call_error(*instance_, "call_reenter", {Val::i32(-1)});
  done = true;
  watchdog.join();
  EXPECT_EQ(e.kind(), ErrorKind::kInterrupted) << e.to_string();
  Val r[1];
  ASSERT_TRUE(instance_->func("call_reenter")->call(std::vector{Val::i32(5)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 11);
}

TEST_P(EngineTest, InterruptWhileIdleDoesNothing) {
  auto inst = instantiate("numeric");
  ASSERT_TRUE(inst);
  store_->interrupt_handle()->interrupt();
  Val r[1];
  ASSERT_TRUE(inst->func("add")->call(std::vector{Val::i32(4), Val::i32(5)}, r).ok());
  EXPECT_EQ(r[0].of.i32, 9);
}

TEST_P(EngineTest, ManyShortLivedInstancesAndHostFuncs) {
  // Per-request instantiation with fresh host functions must not leak or slow down the store.
  auto module = compile("host_imports");
  ASSERT_TRUE(module);
  using T = ValType;
  for (int i = 0; i < 2000; ++i) {
    auto ok_fn = [](auto, auto) { return witserve::ok(); };
    std::vector<Import> imports{
        {"env", "add_i64", store_->host_func({{T::kI64, T::kI64}, {T::kI64}}, ok_fn)},
        {"env", "scale", store_->host_func({{T::kF32, T::kF64}, {T::kF64}}, ok_fn)},
        {"env", "pair", store_->host_func({{T::kI32}, {T::kI32, T::kI32}}, ok_fn)},
        {"env", "fail", store_->host_func({{T::kI32}, {}}, ok_fn)},
        {"env", "reenter", store_->host_func({{T::kI32}, {T::kI32}}, ok_fn)},
    };
    auto inst = store_->instantiate(module, imports);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    Val r[1];
    ASSERT_TRUE((*inst)->func("double")->call(std::vector{Val::i32(i)}, r).ok());
    ASSERT_EQ(r[0].of.i32, 2 * i);
    if (i % 100 == 0) store_->run_pending_tasks();
  }
}

TEST_P(EngineTest, DroppedInstanceReleasesHostCallbacksThatReachBackIntoIt) {
  // The shape of a component instance: a host function's callback holds the instance's own
  // exports (a canon lower calling a lifted export does), while the instance holds the host
  // function. Dropping the instance must free what the callbacks hold at once, not wait for a
  // collection that cannot see through C++ (each request's instance leaked this way).
  auto module = compile("host_imports");
  ASSERT_TRUE(module);
  using T = ValType;
  auto ok_fn = [](auto, auto) { return witserve::ok(); };
  std::vector<std::weak_ptr<int>> sentinels;
  for (int i = 0; i < 50; ++i) {
    auto sentinel = std::make_shared<int>(i);
    sentinels.push_back(sentinel);
    auto exports = std::make_shared<std::shared_ptr<Func>>();
    auto reenter = store_->host_func({{T::kI32}, {T::kI32}},
                                     [sentinel, exports](std::span<const Val> a, std::span<Val> r) -> Status {
                                       return (*exports)->call(a, r);  // into the same instance's double
                                     });
    std::vector<Import> imports{
        {"env", "add_i64", store_->host_func({{T::kI64, T::kI64}, {T::kI64}}, ok_fn)},
        {"env", "scale", store_->host_func({{T::kF32, T::kF64}, {T::kF64}}, ok_fn)},
        {"env", "pair", store_->host_func({{T::kI32}, {T::kI32, T::kI32}}, ok_fn)},
        {"env", "fail", store_->host_func({{T::kI32}, {}}, ok_fn)},
        {"env", "reenter", reenter},
    };
    auto inst = store_->instantiate(module, imports);
    ASSERT_TRUE(inst.ok()) << inst.error().to_string();
    *exports = (*inst)->func("double");
    imports.clear();
    reenter.reset();
    Val r[1];
    ASSERT_TRUE((*inst)->func("call_reenter")->call(std::vector{Val::i32(21)}, r).ok());
    EXPECT_EQ(r[0].of.i32, 42);  // the instance keeps its imports alive while it lives
    EXPECT_FALSE(sentinels.back().expired());
  }
  // Every instance is gone (each `inst` went out of scope): so is everything their callbacks held.
  for (size_t i = 0; i < sentinels.size(); ++i) EXPECT_TRUE(sentinels[i].expired()) << "instance " << i;
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest, ::testing::ValuesIn(engine_names()),
                         [](const auto& info) { return info.param; });
INSTANTIATE_TEST_SUITE_P(Engines, HostImportsTest, ::testing::ValuesIn(engine_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace witserve::engine
