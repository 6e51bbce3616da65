// Engine micro-benchmarks: what one compile, instantiation and call costs through the engine
// interface. Figures measured here go into bench/README.md. Single-threaded.
#include <benchmark/benchmark.h>

#include "wasm_files.h"
#include "witserve/engine/engine.h"

namespace witserve::engine {
namespace {

struct Fixture {
  std::shared_ptr<Engine> engine;
  std::unique_ptr<Store> store;
  Fixture() {
    engine = *make_engine("v8");
    store = std::move(*engine->new_store());
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_Compile(benchmark::State& state) {
  auto& f = fixture();
  auto bytes = testing::wasm_file("numeric");
  for (auto _ : state) benchmark::DoNotOptimize(f.engine->compile(bytes));
}
BENCHMARK(BM_Compile)->Unit(benchmark::kMicrosecond);

void BM_Instantiate(benchmark::State& state) {
  auto& f = fixture();
  auto module = *f.engine->compile(testing::wasm_file("numeric"));
  int n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.store->instantiate(module, {}));
    if (++n % 256 == 0) f.store->run_pending_tasks();
  }
}
BENCHMARK(BM_Instantiate)->Unit(benchmark::kMicrosecond);

// A fresh instance per request with five host imports: the shape of the per-request path.
void BM_InstantiateWithHostImports(benchmark::State& state) {
  auto& f = fixture();
  auto module = *f.engine->compile(testing::wasm_file("host_imports"));
  using T = ValType;
  auto nop = [](auto, auto) { return ok(); };
  std::vector<Import> imports{
      {"env", "add_i64", f.store->host_func({{T::kI64, T::kI64}, {T::kI64}}, nop)},
      {"env", "scale", f.store->host_func({{T::kF32, T::kF64}, {T::kF64}}, nop)},
      {"env", "pair", f.store->host_func({{T::kI32}, {T::kI32, T::kI32}}, nop)},
      {"env", "fail", f.store->host_func({{T::kI32}, {}}, nop)},
      {"env", "reenter", f.store->host_func({{T::kI32}, {T::kI32}}, nop)},
  };
  int n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.store->instantiate(module, imports));
    if (++n % 256 == 0) f.store->run_pending_tasks();
  }
}
BENCHMARK(BM_InstantiateWithHostImports)->Unit(benchmark::kMicrosecond);

// One export of numeric.wat called repeatedly with fixed arguments.
void call_numeric(benchmark::State& state, const char* name, std::vector<Val> args) {
  auto& f = fixture();
  auto inst = std::move(*f.store->instantiate(*f.engine->compile(testing::wasm_file("numeric")), {}));
  auto func = inst->func(name);
  Val r[1];
  for (auto _ : state) {
    Status st = func->call(args, r);
    benchmark::DoNotOptimize(st);
  }
}

void BM_CallAdd(benchmark::State& state) { call_numeric(state, "add", {Val::i32(1), Val::i32(2)}); }
BENCHMARK(BM_CallAdd);

void BM_CallAdd64(benchmark::State& state) { call_numeric(state, "add64", {Val::i64(1), Val::i64(2)}); }
BENCHMARK(BM_CallAdd64);

// host -> wasm -> host -> wasm: one call that crosses the boundary three times.
void BM_CallThroughHostImport(benchmark::State& state) {
  auto& f = fixture();
  using T = ValType;
  auto module = *f.engine->compile(testing::wasm_file("host_imports"));
  std::shared_ptr<Func> dbl;
  auto nop = [](auto, auto) { return ok(); };
  std::vector<Import> imports{
      {"env", "add_i64", f.store->host_func({{T::kI64, T::kI64}, {T::kI64}}, nop)},
      {"env", "scale", f.store->host_func({{T::kF32, T::kF64}, {T::kF64}}, nop)},
      {"env", "pair", f.store->host_func({{T::kI32}, {T::kI32, T::kI32}}, nop)},
      {"env", "fail", f.store->host_func({{T::kI32}, {}}, nop)},
      {"env", "reenter", f.store->host_func({{T::kI32}, {T::kI32}}, [&](auto args, auto results) -> Status {
         Val r[1];
         WITSERVE_TRY(dbl->call(args, r));
         results[0] = r[0];
         return ok();
       })},
  };
  auto inst = std::move(*f.store->instantiate(module, imports));
  dbl = inst->func("double");
  auto reenter = inst->func("call_reenter");
  Val args[1] = {Val::i32(21)};
  Val r[1];
  for (auto _ : state) {
    Status st = reenter->call(args, r);
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_CallThroughHostImport);

void BM_MemoryData(benchmark::State& state) {
  auto& f = fixture();
  auto inst = std::move(*f.store->instantiate(*f.engine->compile(testing::wasm_file("memory")), {}));
  auto mem = inst->memory("memory");
  for (auto _ : state) benchmark::DoNotOptimize(mem->data());
}
BENCHMARK(BM_MemoryData);

}  // namespace
}  // namespace witserve::engine

BENCHMARK_MAIN();
