// libFuzzer target over the whole load path a registered component takes: decode, resolve,
// compile every core module (V8), link against a stub host and instantiate, then call every
// exported function that takes no arguments. The stub host provides every function and resource
// the component imports; its functions trap. Each step may refuse the input, but none may crash,
// hang past the interrupt below, or allocate without bound.
// Thread: libFuzzer's; a watchdog thread interrupts a call or instantiation that runs too long.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "witserve/component/linker.h"
#include "witserve/engine/engine.h"

namespace {

using namespace witserve;

// Interrupts the store if one input's work runs past a second.
class Watchdog {
 public:
  explicit Watchdog(std::shared_ptr<engine::InterruptHandle> h) : handle_(std::move(h)) {
    thread_ = std::thread([this] {
      std::unique_lock lock(mu_);
      while (!stop_) {
        if (armed_ && std::chrono::steady_clock::now() >= until_) {
          handle_->interrupt();
          armed_ = false;
        }
        cv_.wait_for(lock, std::chrono::milliseconds(50));
      }
    });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
    until_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  }
  void disarm() {
    std::lock_guard lock(mu_);
    armed_ = false;
  }

 private:
  std::shared_ptr<engine::InterruptHandle> handle_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false, stop_ = false;
  std::chrono::steady_clock::time_point until_;
  std::thread thread_;
};

struct Env {
  std::shared_ptr<engine::Engine> engine;
  std::unique_ptr<engine::Store> store;
  std::unique_ptr<Watchdog> watchdog;
};

Env& env() {
  static Env e = [] {
    Env x;
    engine::EngineOptions o;
    o.max_memory_pages = 1024;  // 64 MiB per memory: the fuzzer's RSS limit stays meaningful
    x.engine = *engine::make_engine("v8", o);
    x.store = std::move(*x.engine->new_store());
    x.watchdog = std::make_unique<Watchdog>(x.store->interrupt_handle());
    return x;
  }();
  return e;
}

// Every imported function and resource, provided by stubs.
void stub_imports(const component::ComponentType& type, component::Linker& linker) {
  auto trap = [](const component::FuncType&, std::span<const component::Value>)
      -> Result<std::optional<component::Value>> { return Error(ErrorKind::kTrap, "stub host function"); };
  for (const auto& imp : type.imports) {
    if (imp.type.kind == component::ExternType::Kind::kFunc) {
      linker.define_func("", imp.name, trap);
    } else if (imp.type.kind == component::ExternType::Kind::kInstance && imp.type.instance) {
      for (const auto& e : imp.type.instance->exports) {
        if (e.type.kind == component::ExternType::Kind::kFunc) linker.define_func(imp.name, e.name, trap);
        else if (e.type.kind == component::ExternType::Kind::kType && e.type.resource)
          linker.define_resource(imp.name, e.name);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Env& e = env();
  auto compiled = component::CompiledComponent::compile(*e.engine, std::vector<uint8_t>(data, data + size));
  if (!compiled.ok()) return 0;
  component::Linker linker;
  stub_imports(*(*compiled)->resolved().type, linker);
  e.watchdog->arm();
  auto instance = component::ComponentInstance::instantiate(*compiled, *e.store, linker);
  if (instance.ok()) {
    for (const auto& ex : (*compiled)->resolved().type->exports) {
      if (ex.type.kind == component::ExternType::Kind::kFunc && ex.type.func && ex.type.func->params.empty()) {
        e.watchdog->arm();
        (void)(*instance)->call(ex.name, {});
      } else if (ex.type.kind == component::ExternType::Kind::kInstance && ex.type.instance) {
        for (const auto& f : ex.type.instance->exports)
          if (f.type.kind == component::ExternType::Kind::kFunc && f.type.func && f.type.func->params.empty()) {
            e.watchdog->arm();
            (void)(*instance)->call(f.name, {}, ex.name);
          }
      }
    }
  }
  e.watchdog->disarm();
  instance = Error(ErrorKind::kInternal, "dropped");
  e.store->run_pending_tasks();
  return 0;
}
