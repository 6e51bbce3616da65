// Component-call micro-benchmarks: what the Canonical ABI adds to a core call, for the shapes the
// issue names: (a) no arguments, (b) a 1 KiB string in and out, (c) a record holding a list of 16
// string pairs (the shape of an HTTP request's headers). Uses the `values` and `minimal` test
// components built from source. Single-threaded; figures go into bench/README.md.
#include <benchmark/benchmark.h>

#include "built_components.h"
#include "test_hosts.h"
#include "witserve/component/linker.h"
#include "witserve/component/typed.h"
#include "witserve/engine/engine.h"

namespace witserve::component {
namespace {

struct Fixture {
  std::shared_ptr<engine::Engine> engine = *engine::make_engine("v8");
  std::unique_ptr<engine::Store> store = std::move(*engine->new_store());
  Linker linker;
  std::unique_ptr<ComponentInstance> values, minimal;
  Fixture() {
    testing::define_values_host(linker);
    auto v = CompiledComponent::compile(*engine, testing::built_component("values"));
    values = std::move(*ComponentInstance::instantiate(*v, *store, linker));
    auto m = CompiledComponent::compile(*engine, testing::built_component("minimal"));
    minimal = std::move(*ComponentInstance::instantiate(*m, *store, linker));
  }
};

Fixture& fx() {
  static Fixture f;
  return f;
}

void BM_ComponentCallNoArgs(benchmark::State& state) {
  auto& f = fx();
  for (auto _ : state) benchmark::DoNotOptimize(f.minimal->call("run", {}));
}
BENCHMARK(BM_ComponentCallNoArgs);

void BM_ComponentCallString1KiB(benchmark::State& state) {
  auto& f = fx();
  std::vector<Value> args{Value::string(std::string(1024, 'x'))};
  for (auto _ : state) benchmark::DoNotOptimize(f.values->call("echo-string", args));
  state.SetBytesProcessed(int64_t(state.iterations()) * 2048);
}
BENCHMARK(BM_ComponentCallString1KiB);

void BM_ComponentCallRequestShapedRecord(benchmark::State& state) {
  auto& f = fx();
  std::vector<Value> headers;
  for (int i = 0; i < 16; ++i)
    headers.push_back(Value::tuple({Value::string("x-header-" + std::to_string(i)), Value::string("value number " + std::to_string(i))}));
  std::vector<Value> args{Value::record({Value::u8(1), Value::string("/path/to/resource?query=1"),
                                         Value::list(std::move(headers)), Value::f64(0)})};
  for (auto _ : state) benchmark::DoNotOptimize(f.values->call("echo-record", args));
}
BENCHMARK(BM_ComponentCallRequestShapedRecord);

// Instantiating a component per request: the cost a fresh-instance-per-request design pays.
void BM_InstantiateValuesComponent(benchmark::State& state) {
  auto& f = fx();
  auto c = *CompiledComponent::compile(*f.engine, testing::built_component("values"));
  // A store of its own, so the garbage these instances leave does not slow later benchmarks.
  auto store = std::move(*f.engine->new_store());
  int n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ComponentInstance::instantiate(c, *store, f.linker));
    if (++n % 64 == 0) store->run_pending_tasks();
  }
}
BENCHMARK(BM_InstantiateValuesComponent)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace witserve::component



namespace witserve::component {
namespace {
void BM_InstantiateMinimalComponent(benchmark::State& state) {
  auto& f = fx();
  auto c = *CompiledComponent::compile(*f.engine, testing::built_component("minimal"));
  // A store of its own, so the garbage these instances leave does not slow later benchmarks.
  auto store = std::move(*f.engine->new_store());
  int n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ComponentInstance::instantiate(c, *store, f.linker));
    if (++n % 64 == 0) store->run_pending_tasks();
  }
}
BENCHMARK(BM_InstantiateMinimalComponent)->Unit(benchmark::kMicrosecond);
}  // namespace
}  // namespace witserve::component
namespace witserve::component {
namespace {
// The same shapes through the typed fast path (typed.h): no Value trees.
void BM_TypedCallString1KiB(benchmark::State& state) {
  auto& f = fx();
  auto echo = *TypedFunc<std::string(std::string)>::lookup(*f.values, "echo-string");
  std::string arg(1024, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(echo.call(arg));
  state.SetBytesProcessed(int64_t(state.iterations()) * 2048);
}
BENCHMARK(BM_TypedCallString1KiB);

void BM_TypedCallRequestShapedRecord(benchmark::State& state) {
  auto& f = fx();
  using Rec = std::tuple<uint8_t, std::string, std::vector<std::tuple<std::string, std::string>>, double>;
  auto echo = *TypedFunc<Rec(Rec)>::lookup(*f.values, "echo-record");
  Rec arg{1, "/path/to/resource?query=1", {}, 0};
  for (int i = 0; i < 16; ++i)
    std::get<2>(arg).emplace_back("x-header-" + std::to_string(i), "value number " + std::to_string(i));
  for (auto _ : state) benchmark::DoNotOptimize(echo.call(arg));
}
BENCHMARK(BM_TypedCallRequestShapedRecord);

// The same with the store held entered (Store::enter), as the server's workers call it.
void BM_TypedCallRequestShapedRecordEntered(benchmark::State& state) {
  auto& f = fx();
  using Rec = std::tuple<uint8_t, std::string, std::vector<std::tuple<std::string, std::string>>, double>;
  auto echo = *TypedFunc<Rec(Rec)>::lookup(*f.values, "echo-record");
  Rec arg{1, "/path/to/resource?query=1", {}, 0};
  for (int i = 0; i < 16; ++i)
    std::get<2>(arg).emplace_back("x-header-" + std::to_string(i), "value number " + std::to_string(i));
  auto entered = f.store->enter();
  for (auto _ : state) benchmark::DoNotOptimize(echo.call(arg));
}
BENCHMARK(BM_TypedCallRequestShapedRecordEntered);
}  // namespace
}  // namespace witserve::component

BENCHMARK_MAIN();
