// Key-value backends on their own (kv::Store), without a component: the cost a handler's get,
// set and increment add on top of the canonical ABI. SQLite in a temporary file (the default
// store). Run: build/bench/witserve_kv_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "witserve/kv/store.h"

namespace {

namespace fs = std::filesystem;

struct Sqlite {
  fs::path dir;
  std::shared_ptr<witserve::kv::Store> store;
  Sqlite() {
    char templ[] = "/tmp/witserve-kv-bench-XXXXXX";
    dir = ::mkdtemp(templ);
    witserve::kv::StoreOptions o;
    o.path = dir / "bench.sqlite";
    store = *witserve::kv::open_store("bench", o);
  }
  ~Sqlite() {
    store.reset();
    fs::remove_all(dir);
  }
};

void BM_SqliteSet(benchmark::State& state) {
  Sqlite s;
  std::string value(size_t(state.range(0)), 'v');
  int i = 0;
  for (auto _ : state) {
    auto st = s.store->set("key" + std::to_string(i++ % 1000), value);
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_SqliteSet)->Arg(16)->Arg(4096);

void BM_SqliteGet(benchmark::State& state) {
  Sqlite s;
  std::string value(size_t(state.range(0)), 'v');
  for (int i = 0; i < 1000; ++i) (void)s.store->set("key" + std::to_string(i), value);
  int i = 0;
  for (auto _ : state) {
    auto v = s.store->get("key" + std::to_string(i++ % 1000));
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_SqliteGet)->Arg(16)->Arg(4096);

void BM_SqliteIncrement(benchmark::State& state) {
  Sqlite s;
  for (auto _ : state) {
    auto v = s.store->increment("counter", 1);
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_SqliteIncrement);

}  // namespace

BENCHMARK_MAIN();
