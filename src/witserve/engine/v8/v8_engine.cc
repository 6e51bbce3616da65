// The V8 engine backend: Engine, Module, Store, Instance and externs over V8's WebAssembly
// implementation, driven through its JS-facing objects (WebAssembly.Instance, exported functions,
// WebAssembly.Memory) because libnode has no wasm C API.
//
// Threads: V8Engine is shared; compile() serialises on a private compile isolate taken with a
// v8::Locker. A V8Store and everything made from it belong to the thread that created the store.
// Modules are compiled once and handed to each store's isolate as a CompiledWasmModule, which
// shares the native code instead of recompiling it.
//
// The exception boundary: host callbacks run inside V8 frames, so host_trampoline turns every
// failure, including a stray C++ exception, into a JS exception; the Error itself is kept aside on
// the store and handed back unchanged to whoever called into wasm.
#include "witserve/engine/v8/v8_engine.h"

#include <unistd.h>
#include <v8.h>

#include <array>
#include <cstring>
#include <atomic>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "witserve/engine/module_info.h"
#include "witserve/engine/v8/memory_image.h"
#include "witserve/engine/v8/module_rewrite.h"
#include "witserve/engine/v8/platform.h"
#include "witserve/engine/v8/v8_values.h"

namespace witserve::engine {
namespace {

using v8backend::OwnedIsolate;
using v8backend::check_args;
using v8backend::from_js;
using v8backend::SmallBuf;
using v8backend::to_js;
using v8backend::to_std;
using v8backend::v8_str;

class V8Store;
class V8Engine;

class V8Module final : public Module {
 public:
  V8Module(ModuleInfo info, ModuleState state, size_t size, v8::CompiledWasmModule compiled, uint64_t id,
           bool start_exported, bool state_exported, std::shared_ptr<const v8backend::MemoryImage> initial_image)
      : Module(std::move(info), std::move(state), size),
        compiled_(std::move(compiled)),
        id_(id),
        start_exported_(start_exported),
        state_exported_(state_exported),
        initial_image_(std::move(initial_image)) {}
  const v8::CompiledWasmModule& compiled() const { return compiled_; }
  // The start function was moved to the export v8_backend::kStartExport (module_rewrite.h).
  bool start_exported() const { return start_exported_; }
  // Its mutable globals and memories are exported for capture/reset (module_rewrite.h).
  bool state_exported() const { return state_exported_; }
  // The memory's initial contents, mapped over each new instance's memory instead of V8 copying
  // data segments in (module_rewrite.h point 5); null if the module kept its data segments.
  const std::shared_ptr<const v8backend::MemoryImage>& initial_image() const { return initial_image_; }
  uint64_t id() const { return id_; }
  // Stores cache their module objects by id and drop them once this token expires.
  std::weak_ptr<void> liveness() const { return alive_; }

 private:
  v8::CompiledWasmModule compiled_;
  uint64_t id_;
  bool start_exported_;
  bool state_exported_;
  std::shared_ptr<const v8backend::MemoryImage> initial_image_;
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);
};

// The V8 object behind an extern, and the store it belongs to.
class V8Handle {
 public:
  V8Handle(V8Store& store, v8::Isolate* iso, v8::Local<v8::Value> value)
      : store_(store), value_(iso, value) {}
  virtual ~V8Handle() = default;
  V8Store& store() const { return store_; }
  v8::Local<v8::Value> value(v8::Isolate* iso) const { return value_.Get(iso); }

 protected:
  V8Store& store_;
  v8::Global<v8::Value> value_;
};

struct HostFuncData {
  V8Store* store;
  FuncType type;
  HostCallback callback;
};

// Keeps a host function's data alive exactly as long as its JS function: freed by a weak callback
// when V8 collects the function, or by the store when the isolate goes away.
struct HostFuncHolder {
  std::shared_ptr<HostFuncData> data;
  v8::Global<v8::Function> weak;
};

struct InterruptState {
  std::mutex mu;
  v8::Isolate* isolate = nullptr;  // null once the store is gone
  bool in_call = false;
  bool requested = false;
};

class V8InterruptHandle final : public InterruptHandle {
 public:
  explicit V8InterruptHandle(std::shared_ptr<InterruptState> s) : s_(std::move(s)) {}
  void interrupt() override {
    std::lock_guard lock(s_->mu);
    if (s_->isolate && s_->in_call) {
      s_->requested = true;
      s_->isolate->TerminateExecution();
    }
  }

 private:
  std::shared_ptr<InterruptState> s_;
};

class V8Store final : public Store {
 public:
  static Result<std::unique_ptr<V8Store>> create();
  ~V8Store() override;

  Result<std::unique_ptr<Instance>> instantiate(std::shared_ptr<const Module> module,
                                                std::span<const Import> imports,
                                                InstantiateOptions options) override;
  std::shared_ptr<Func> host_func(FuncType type, HostCallback callback) override;
  std::shared_ptr<InterruptHandle> interrupt_handle() override {
    return std::make_shared<V8InterruptHandle>(interrupt_);
  }
  void run_pending_tasks() override;
  std::shared_ptr<void> enter() override;
  bool entered() const { return entered_ > 0; }

  v8::Isolate* isolate() const { return owned_->get(); }
  v8::Local<v8::Context> context() const { return context_.Get(isolate()); }

  // Calls a JS-visible function (a wasm export) with typed arguments.
  Status call(v8::Local<v8::Function> fn, const FuncType& type, std::span<const Val> args,
              std::span<Val> results);

  // Turns the exception caught by `tc` into an Error: the host's own error if a host function
  // raised it, kInterrupted if execution was terminated, else `kind` with V8's message.
  Error take_exception(v8::TryCatch& tc, ErrorKind kind);

  void set_host_error(Error e) { pending_host_error_ = std::move(e); }
  void clear_host_error() { pending_host_error_.reset(); }
  void forget_holder(HostFuncHolder* h) { holders_.erase(h); }

  Result<v8::Local<v8::Value>> memory_grow(v8::Local<v8::Object> memory, uint64_t delta);
  v8::Local<v8::String> key_value() const { return key_value_.Get(isolate()); }
  v8::Local<v8::String> key_length() const { return key_length_.Get(isolate()); }

  // Entered around every call into wasm. The outermost one makes the store interruptible and,
  // on the way out, cancels a termination that was requested so the isolate stays usable.
  class CallScope {
   public:
    explicit CallScope(V8Store& s) : s_(s) {
      if (s_.call_depth_++ == 0) {
        std::lock_guard lock(s_.interrupt_->mu);
        s_.interrupt_->in_call = true;
      }
    }
    ~CallScope() {
      if (--s_.call_depth_ == 0) {
        std::lock_guard lock(s_.interrupt_->mu);
        s_.interrupt_->in_call = false;
        if (s_.interrupt_->requested) {
          s_.interrupt_->requested = false;
          s_.isolate()->CancelTerminateExecution();
        }
      }
    }

   private:
    V8Store& s_;
  };

 private:
  V8Store() = default;
  Result<v8::Local<v8::WasmModuleObject>> module_object(const V8Module& m);

  std::unique_ptr<OwnedIsolate> owned_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> instance_ctor_;
  v8::Global<v8::String> key_exports_, key_value_, key_length_, key_grow_;
  struct CachedModule {
    std::weak_ptr<void> alive;
    v8::Global<v8::WasmModuleObject> object;
  };
  std::unordered_map<uint64_t, CachedModule> modules_;
  size_t modules_swept_ = 0;  // modules_.size() after the last sweep
  std::unordered_set<HostFuncHolder*> holders_;
  std::shared_ptr<InterruptState> interrupt_ = std::make_shared<InterruptState>();
  std::optional<Error> pending_host_error_;
  int call_depth_ = 0;
  int entered_ = 0;  // Store::enter() tokens alive
};

// Enters the store's isolate and context for one API operation.
// Inside Store::enter() on this thread (the isolate is the current one), only a handle scope is
// needed; otherwise the isolate and context are entered and left around the operation.
struct Scope {
  explicit Scope(const V8Store& s) {
    bool entered = s.entered() && v8::Isolate::GetCurrent() == s.isolate();
    if (!entered) iso_scope.emplace(s.isolate());
    handles.emplace(s.isolate());
    ctx = s.context();
    if (!entered) ctx_scope.emplace(ctx);
  }
  std::optional<v8::Isolate::Scope> iso_scope;
  std::optional<v8::HandleScope> handles;
  v8::Local<v8::Context> ctx;
  std::optional<v8::Context::Scope> ctx_scope;
};

// ---- externs --------------------------------------------------------------------------------

class V8Func final : public Func, public V8Handle {
 public:
  V8Func(V8Store& s, v8::Local<v8::Function> fn, FuncType type,
         std::shared_ptr<HostFuncData> host = nullptr)
      : V8Handle(s, s.isolate(), fn), type_(std::move(type)), host_(std::move(host)) {}
  // A host function's callback usually holds what its instance holds (the instance's exports,
  // their V8 objects), while the wasm instance holds the JS function: a cycle through C++ that
  // V8's collector cannot see. Releasing the callback with the last C++ reference breaks it, so
  // a dropped instance's memories and objects become garbage at once. The JS function stays
  // callable and traps if anything still reaches it.
  ~V8Func() override {
    if (host_) host_->callback = nullptr;
  }

  const FuncType& type() const override { return type_; }

  Status call(std::span<const Val> args, std::span<Val> results) override {
    if (host_) {  // a host function called from the host: no need to go through V8
      WITSERVE_TRY(check_args(type_, args, results));
      return host_->callback(args, results);
    }
    Scope scope(store_);
    return store_.call(value(store_.isolate()).As<v8::Function>(), type_, args, results);
  }

 private:
  FuncType type_;
  std::shared_ptr<HostFuncData> host_;
};

class V8Memory final : public Memory, public V8Handle {
 public:
  using V8Handle::V8Handle;
  std::span<uint8_t> data() override {
    Scope scope(store_);
    auto buf = value(store_.isolate()).As<v8::WasmMemoryObject>()->Buffer();
    return {static_cast<uint8_t*>(buf->Data()), buf->ByteLength()};
  }
  Result<uint64_t> grow(uint64_t delta) override {
    Scope scope(store_);
    WITSERVE_ASSIGN_OR_RETURN(auto old,
                              store_.memory_grow(value(store_.isolate()).As<v8::Object>(), delta));
    return uint64_t(old->IntegerValue(scope.ctx).FromMaybe(0));
  }
};

class V8Table final : public Table, public V8Handle {
 public:
  using V8Handle::V8Handle;
  uint32_t size() override {
    Scope scope(store_);
    auto len = value(store_.isolate()).As<v8::Object>()->Get(scope.ctx, store_.key_length());
    return len.IsEmpty() ? 0 : uint32_t(len.ToLocalChecked()->Uint32Value(scope.ctx).FromMaybe(0));
  }
};

class V8Global final : public Global, public V8Handle {
 public:
  V8Global(V8Store& s, v8::Local<v8::Value> v, GlobalType type)
      : V8Handle(s, s.isolate(), v), type_(type) {}
  const GlobalType& type() const override { return type_; }
  Val get() override {
    Scope scope(store_);
    auto v = value(store_.isolate()).As<v8::Object>()->Get(scope.ctx, store_.key_value());
    if (v.IsEmpty()) return Val::zero(type_.type);
    return from_js(scope.ctx, type_.type, v.ToLocalChecked());
  }
  Status set(Val v) override {
    if (!type_.mutable_) return Error(ErrorKind::kInvalidArgument, "global is immutable");
    if (v.type != type_.type)
      return Error(ErrorKind::kInvalidArgument, std::string("global is ") + to_string(type_.type));
    Scope scope(store_);
    v8::TryCatch tc(store_.isolate());
    auto done = value(store_.isolate()).As<v8::Object>()->Set(scope.ctx, store_.key_value(),
                                                               to_js(store_.isolate(), v));
    if (done.IsNothing()) return store_.take_exception(tc, ErrorKind::kInvalidArgument);
    return ok();
  }

 private:
  GlobalType type_;
};

// What capture() saved. A memory's pages are mapped copy-on-write from a memfd copy made at
// capture, so a reset copies back only the pages written since (memory_image.h).
struct V8Image final : InstanceImage {
  const void* owner = nullptr;  // the instance captured: an image resets only that one
  struct Mem {
    uint8_t* base;
    size_t length;
    std::shared_ptr<V8Memory> memory;
    // memory.size is virtual (module_rewrite.h): the memory may have grown since; a reset zeroes
    // what it grew by and the program sees the first size again.
    bool virtual_size = false;
    // The image the memory's pages are mapped from (null for an empty memory).
    std::shared_ptr<const v8backend::MemoryImage> image;
  };
  std::vector<Mem> memories;
  std::vector<std::pair<std::shared_ptr<V8Global>, Val>> globals;
};

class V8Instance final : public Instance {
 public:
  V8Instance(V8Store& s, std::shared_ptr<const Module> module, v8::Local<v8::Object> exports,
             std::vector<Extern> imports, bool start_pending)
      : store_(s),
        module_(std::move(module)),
        exports_(s.isolate(), exports),
        imports_(std::move(imports)),
        start_pending_(start_pending) {}

  const Module& module() const override { return *module_; }

  Status run_start() override {
    if (!start_pending_) return ok();
    start_pending_ = false;
    Scope scope(store_);
    v8::Isolate* iso = store_.isolate();
    if (start_.IsEmpty()) {  // looked up once: a recycled instance runs it after every reset
      auto start = exports_.Get(iso)->Get(scope.ctx, v8_str(iso, v8_backend::kStartExport));
      if (start.IsEmpty() || !start.ToLocalChecked()->IsFunction())
        return Error(ErrorKind::kInternal, "the moved start function is missing");
      start_.Reset(iso, start.ToLocalChecked().As<v8::Function>());
    }
    V8Store::CallScope call_scope(store_);
    v8::TryCatch tc(iso);
    auto r = start_.Get(iso)->Call(scope.ctx, v8::Undefined(iso), 0, nullptr);
    if (r.IsEmpty() || tc.HasCaught() || tc.HasTerminated()) return store_.take_exception(tc, ErrorKind::kTrap);
    store_.clear_host_error();
    return ok();
  }

  Result<std::shared_ptr<const InstanceImage>> capture() override;
  Status reset(const InstanceImage& image) override;

  std::optional<Extern> get_export(std::string_view name) override {
    auto it = cache_.find(std::string(name));
    if (it != cache_.end()) return it->second;
    const ExportType* e = module_->info().find_export(name);
    if (!e) return std::nullopt;
    Scope scope(store_);
    v8::Isolate* iso = store_.isolate();
    auto v = exports_.Get(iso)->Get(scope.ctx, v8_str(iso, name));
    if (v.IsEmpty()) return std::nullopt;
    auto value = v.ToLocalChecked();
    Extern ext;
    switch (kind_of(e->type)) {
      case ExternKind::kFunc:
        if (!value->IsFunction()) return std::nullopt;
        ext = std::make_shared<V8Func>(store_, value.As<v8::Function>(), std::get<FuncType>(e->type));
        break;
      case ExternKind::kMemory:
        ext = std::make_shared<V8Memory>(store_, iso, value);
        break;
      case ExternKind::kTable:
        ext = std::make_shared<V8Table>(store_, iso, value);
        break;
      case ExternKind::kGlobal:
        ext = std::make_shared<V8Global>(store_, value, std::get<GlobalType>(e->type));
        break;
      case ExternKind::kTag:
        return std::nullopt;  // exception tags do not cross the host boundary
    }
    cache_.emplace(std::string(name), ext);
    return ext;
  }

 private:
  V8Store& store_;
  std::shared_ptr<const Module> module_;
  v8::Global<v8::Object> exports_;
  std::unordered_map<std::string, Extern> cache_;
  // What the instance imports stays alive with it: host functions keep their callbacks.
  std::vector<Extern> imports_;
  bool start_pending_;
  v8::Global<v8::Function> start_;

  // An export the rewrite added (module_rewrite.h), which get_export does not list.
  v8::MaybeLocal<v8::Value> internal_export(const Scope& scope, const std::string& name) {
    return exports_.Get(store_.isolate())->Get(scope.ctx, v8_str(store_.isolate(), name));
  }
};

Result<std::shared_ptr<const InstanceImage>> V8Instance::capture() {
  auto* m = static_cast<const V8Module*>(module_.get());
  if (!m->state_exported() || !m->state().resettable())
    return Error(ErrorKind::kUnsupported, "this module's instances cannot be reset (its code changes tables or "
                                          "drops segments, or it has a mutable reference global)");
  const ModuleState& st = m->state();
  auto image = std::make_shared<V8Image>();
  image->owner = this;
  Scope scope(store_);
  v8::Isolate* iso = store_.isolate();
  for (uint32_t i = 0; i < st.defined_globals.size(); ++i) {
    if (!st.defined_globals[i].mutable_) continue;
    auto v = internal_export(scope, v8_backend::kGlobalExportPrefix + std::to_string(st.imported_globals + i));
    if (v.IsEmpty() || !v.ToLocalChecked()->IsObject())
      return Error(ErrorKind::kInternal, "a mutable global was not exported for reset");
    auto g = std::make_shared<V8Global>(store_, v.ToLocalChecked(), st.defined_globals[i]);
    Val value = g->get();
    image->globals.emplace_back(std::move(g), value);
  }
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  for (uint32_t i = 0; i < st.defined_memories; ++i) {
    auto v = internal_export(scope, v8_backend::kMemoryExportPrefix + std::to_string(st.imported_memories + i));
    if (v.IsEmpty() || !v.ToLocalChecked()->IsWasmMemoryObject())
      return Error(ErrorKind::kInternal, "a memory was not exported for reset");
    auto mem = std::make_shared<V8Memory>(store_, iso, v.ToLocalChecked());
    auto buf = v.ToLocalChecked().As<v8::WasmMemoryObject>()->Buffer();
    auto* base = static_cast<uint8_t*>(buf->Data());
    size_t length = buf->ByteLength();
    if (length == 0 && !st.virtual_memory_size) {
      image->memories.push_back({base, 0, std::move(mem), false, nullptr});
      continue;
    }
    if (reinterpret_cast<uintptr_t>(base) % page != 0 || length % page != 0)
      return Error(ErrorKind::kUnsupported, "a memory is not page-aligned and cannot be reset");
    V8Image::Mem saved{base, length, std::move(mem), st.virtual_memory_size, nullptr};
    const auto& initial = m->initial_image();
    if (length && initial && i == 0 && initial->length() == length && initial->unchanged(base, length)) {
      saved.image = initial;  // still exactly the module's image: nothing to copy
    } else if (length) {
      WITSERVE_ASSIGN_OR_RETURN(saved.image, v8backend::MemoryImage::map_under(base, length));
    }
    image->memories.push_back(std::move(saved));
  }
  return std::shared_ptr<const InstanceImage>(std::move(image));
}

Status V8Instance::reset(const InstanceImage& any) {
  const auto* image = dynamic_cast<const V8Image*>(&any);
  if (!image || image->owner != this)
    return Error(ErrorKind::kInvalidArgument, "the image was captured from another instance");
  std::vector<size_t> lengths;
  for (const auto& m : image->memories) {
    std::span<uint8_t> now = m.memory->data();
    bool same_place = now.data() == m.base || m.length == 0;
    if (!same_place || (now.size() != m.length && !(m.virtual_size && now.size() > m.length)))
      return Error(ErrorKind::kUnsupported, "a memory grew and cannot be shrunk back");
    lengths.push_back(now.size());
  }
  // Pages of the image come back from it; pages the memory grew by (virtual sizes only) become
  // zeros, as the program will find them when it grows into them again.
  for (size_t i = 0; i < image->memories.size(); ++i) {
    const auto& m = image->memories[i];
    if (lengths[i] == 0) continue;
    auto* base = static_cast<uint8_t*>(m.memory->data().data());
    if (m.image) WITSERVE_TRY(m.image->restore(base, lengths[i]));
    else std::memset(base, 0, lengths[i]);  // an empty memory that grew
  }
  for (const auto& [global, value] : image->globals) WITSERVE_TRY(global->set(value));
  start_pending_ = static_cast<const V8Module*>(module_.get())->start_exported();
  return ok();
}

// ---- host functions -------------------------------------------------------------------------

void host_trampoline(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* holder = static_cast<HostFuncHolder*>(info.Data().As<v8::External>()->Value());
  HostFuncData& d = *holder->data;
  v8::Isolate* iso = info.GetIsolate();
  v8::Local<v8::Context> ctx = iso->GetCurrentContext();
  const FuncType& type = d.type;

  SmallBuf<Val> args(type.params.size());
  for (size_t i = 0; i < type.params.size(); ++i) args[i] = from_js(ctx, type.params[i], info[int(i)]);
  SmallBuf<Val> results(type.results.size());
  for (size_t i = 0; i < type.results.size(); ++i) results[i] = Val::zero(type.results[i]);

  Status st;
  try {
    if (!d.callback) st = Error(ErrorKind::kTrap, "host function called after its instance was dropped");
    else st = d.callback({args.data(), args.size()}, {results.data(), results.size()});
  } catch (const std::exception& e) {
    st = Error(ErrorKind::kHost, std::string("host function threw: ") + e.what());
  } catch (...) {
    st = Error(ErrorKind::kHost, "host function threw a non-standard exception");
  }
  if (!st.ok()) {
    // While terminating, V8 is already unwinding; throwing again is neither needed nor allowed.
    if (iso->IsExecutionTerminating()) return;
    std::string msg = st.error().message();
    d.store->set_host_error(std::move(st).error());
    iso->ThrowException(v8::Exception::Error(v8_str(iso, msg)));
    return;
  }
  for (size_t i = 0; i < type.results.size(); ++i) results[i].type = type.results[i];
  if (type.results.size() == 1) {
    info.GetReturnValue().Set(to_js(iso, results[0]));
  } else if (type.results.size() > 1) {
    SmallBuf<v8::Local<v8::Value>> vals(type.results.size());
    for (size_t i = 0; i < type.results.size(); ++i) vals[i] = to_js(iso, results[i]);
    info.GetReturnValue().Set(v8::Array::New(iso, vals.data(), vals.size()));
  }
}

void host_func_collected(const v8::WeakCallbackInfo<HostFuncHolder>& info) {
  HostFuncHolder* h = info.GetParameter();
  h->weak.Reset();
  h->data->store->forget_holder(h);
  delete h;
}

// ---- store ----------------------------------------------------------------------------------

Result<std::unique_ptr<V8Store>> V8Store::create() {
  WITSERVE_ASSIGN_OR_RETURN(auto owned, OwnedIsolate::create());
  std::unique_ptr<V8Store> s(new V8Store());
  s->owned_ = std::move(owned);
  v8::Isolate* iso = s->isolate();
  s->interrupt_->isolate = iso;
  v8::Isolate::Scope iso_scope(iso);
  v8::HandleScope handles(iso);
  auto ctx = v8::Context::New(iso);
  s->context_.Reset(iso, ctx);
  v8::Context::Scope ctx_scope(ctx);
  auto wasm = ctx->Global()->Get(ctx, v8_str(iso, "WebAssembly"));
  if (wasm.IsEmpty() || !wasm.ToLocalChecked()->IsObject())
    return Error(ErrorKind::kInternal, "V8 context has no WebAssembly object");
  auto ctor = wasm.ToLocalChecked().As<v8::Object>()->Get(ctx, v8_str(iso, "Instance"));
  if (ctor.IsEmpty() || !ctor.ToLocalChecked()->IsFunction())
    return Error(ErrorKind::kInternal, "V8 context has no WebAssembly.Instance");
  s->instance_ctor_.Reset(iso, ctor.ToLocalChecked().As<v8::Function>());
  s->key_exports_.Reset(iso, v8_str(iso, "exports"));
  s->key_value_.Reset(iso, v8_str(iso, "value"));
  s->key_length_.Reset(iso, v8_str(iso, "length"));
  s->key_grow_.Reset(iso, v8_str(iso, "grow"));
  return s;
}

V8Store::~V8Store() {
  {
    std::lock_guard lock(interrupt_->mu);
    interrupt_->isolate = nullptr;
  }
  for (HostFuncHolder* h : holders_) {
    h->weak.Reset();
    delete h;
  }
  holders_.clear();
  modules_.clear();
  instance_ctor_.Reset();
  key_exports_.Reset();
  key_value_.Reset();
  key_length_.Reset();
  key_grow_.Reset();
  context_.Reset();
  owned_.reset();
}

std::shared_ptr<void> V8Store::enter() {
  v8::Isolate* iso = isolate();
  iso->Enter();
  {
    v8::HandleScope handles(iso);
    context()->Enter();
  }
  ++entered_;
  return std::shared_ptr<void>(this, [](V8Store* s) {
    --s->entered_;
    v8::Isolate* iso = s->isolate();
    {
      v8::HandleScope handles(iso);
      s->context()->Exit();
    }
    iso->Exit();
  });
}

void V8Store::run_pending_tasks() {
  v8::Isolate::Scope iso_scope(isolate());
  v8::HandleScope handles(isolate());
  owned_->tasks().run_ready();
}

Error V8Store::take_exception(v8::TryCatch& tc, ErrorKind kind) {
  if (tc.HasTerminated() || isolate()->IsExecutionTerminating()) {
    pending_host_error_.reset();
    return Error(ErrorKind::kInterrupted, "execution interrupted");
  }
  if (pending_host_error_) {
    Error e = std::move(*pending_host_error_);
    pending_host_error_.reset();
    return e;
  }
  if (!tc.HasCaught()) return Error(kind, "unknown failure in V8");
  v8::Isolate* iso = isolate();
  auto ctx = context();
  auto ex = tc.Exception();
  std::string message;
  if (ex->IsNativeError()) {
    auto m = ex.As<v8::Object>()->Get(ctx, v8_str(iso, "message"));
    if (!m.IsEmpty()) message = to_std(iso, m.ToLocalChecked());
    // V8 reports stack exhaustion as a JS RangeError; say what it means for wasm.
    if (message == "Maximum call stack size exceeded") message = "call stack exhausted";
  } else {
    message = to_std(iso, ex);
  }
  return Error(kind, message);
}

Status V8Store::call(v8::Local<v8::Function> fn, const FuncType& type, std::span<const Val> args,
                     std::span<Val> results) {
  WITSERVE_TRY(check_args(type, args, results));
  v8::Isolate* iso = isolate();
  auto ctx = context();
  SmallBuf<v8::Local<v8::Value>> argv(args.size());
  for (size_t i = 0; i < args.size(); ++i) argv[i] = to_js(iso, args[i]);

  CallScope call_scope(*this);
  v8::TryCatch tc(iso);
  auto r = fn->Call(ctx, v8::Undefined(iso), int(args.size()), argv.data());
  if (r.IsEmpty()) return take_exception(tc, ErrorKind::kTrap);
  pending_host_error_.reset();
  auto rv = r.ToLocalChecked();
  if (type.results.size() == 1) {
    results[0] = from_js(ctx, type.results[0], rv);
  } else if (type.results.size() > 1) {
    if (!rv->IsArray()) return Error(ErrorKind::kInternal, "multi-value result is not an array");
    auto arr = rv.As<v8::Array>();
    for (size_t i = 0; i < type.results.size(); ++i) {
      auto e = arr->Get(ctx, uint32_t(i));
      if (e.IsEmpty()) return take_exception(tc, ErrorKind::kInternal);
      results[i] = from_js(ctx, type.results[i], e.ToLocalChecked());
    }
  }
  return ok();
}

Result<v8::Local<v8::Value>> V8Store::memory_grow(v8::Local<v8::Object> memory, uint64_t delta) {
  auto ctx = context();
  v8::TryCatch tc(isolate());
  auto grow = memory->Get(ctx, key_grow_.Get(isolate()));
  if (grow.IsEmpty() || !grow.ToLocalChecked()->IsFunction())
    return Error(ErrorKind::kInternal, "memory object has no grow method");
  v8::Local<v8::Value> arg = v8::Number::New(isolate(), double(delta));
  auto r = grow.ToLocalChecked().As<v8::Function>()->Call(ctx, memory, 1, &arg);
  if (r.IsEmpty()) return take_exception(tc, ErrorKind::kInvalidArgument).with_context("memory.grow");
  return r.ToLocalChecked();
}

Result<v8::Local<v8::WasmModuleObject>> V8Store::module_object(const V8Module& m) {
  v8::Isolate* iso = isolate();
  auto it = modules_.find(m.id());
  if (it != modules_.end()) return it->second.object.Get(iso);
  // Drop module objects whose Module is gone, so replaced handlers do not pin old code; swept
  // when the cache has doubled since the last sweep, so a store that sees thousands of modules
  // (a restart restoring its registry) does not rescan them all for each one.
  if (modules_.size() >= 2 * modules_swept_ + 16) {
    std::erase_if(modules_, [](const auto& kv) { return kv.second.alive.expired(); });
    modules_swept_ = modules_.size();
  }
  auto obj = v8::WasmModuleObject::FromCompiledModule(iso, m.compiled());
  if (obj.IsEmpty()) return Error(ErrorKind::kInternal, "V8 could not share a compiled module");
  modules_.emplace(m.id(), CachedModule{m.liveness(), v8::Global<v8::WasmModuleObject>(
                                                           iso, obj.ToLocalChecked())});
  return obj.ToLocalChecked();
}

std::string describe(const ImportType& imp) {
  std::string s = "'" + imp.module + "' '" + imp.name + "' (" + to_string(kind_of(imp.type));
  if (auto* f = std::get_if<FuncType>(&imp.type)) s += " " + to_string(*f);
  return s + ")";
}

Result<std::unique_ptr<Instance>> V8Store::instantiate(std::shared_ptr<const Module> module,
                                                       std::span<const Import> imports,
                                                       InstantiateOptions options) {
  auto* m = dynamic_cast<const V8Module*>(module.get());
  if (!m) return Error(ErrorKind::kInvalidArgument, "module was not compiled by the V8 engine");
  Scope scope(*this);
  v8::Isolate* iso = isolate();
  auto ctx = scope.ctx;

  auto import_object = v8::Object::New(iso);
  std::unordered_map<std::string_view, v8::Local<v8::Object>> namespaces;
  std::vector<Extern> kept;
  kept.reserve(m->info().imports.size());
  for (const ImportType& want : m->info().imports) {
    const Import* given = nullptr;
    for (const Import& i : imports)
      if (i.module == want.module && i.name == want.name) { given = &i; break; }
    if (!given) return Error(ErrorKind::kLink, "missing import " + describe(want));
    ExternKind want_kind = kind_of(want.type);
    if (want_kind == ExternKind::kTag)
      return Error(ErrorKind::kUnsupported, "tag imports are not supported: " + describe(want));
    if (ExternKind(given->value.index()) != want_kind)
      return Error(ErrorKind::kLink, "import " + describe(want) + " was given a " +
                                         to_string(ExternKind(given->value.index())));
    const V8Handle* handle = nullptr;
    std::visit([&](const auto& p) { handle = dynamic_cast<const V8Handle*>(p.get()); }, given->value);
    if (!handle || &handle->store() != this)
      return Error(ErrorKind::kInvalidArgument,
                   "import " + describe(want) + " comes from another store or engine");
    if (want_kind == ExternKind::kFunc) {
      const auto& got = std::get<std::shared_ptr<Func>>(given->value)->type();
      if (got != std::get<FuncType>(want.type))
        return Error(ErrorKind::kLink, "import " + describe(want) + " was given a function of type " +
                                           to_string(got));
    }
    auto ns = namespaces.find(want.module);
    if (ns == namespaces.end()) {
      auto o = v8::Object::New(iso);
      if (import_object->Set(ctx, v8_str(iso, want.module), o).IsNothing())
        return Error(ErrorKind::kInternal, "cannot build the import object");
      ns = namespaces.emplace(want.module, o).first;
    }
    if (ns->second->Set(ctx, v8_str(iso, want.name), handle->value(iso)).IsNothing())
      return Error(ErrorKind::kInternal, "cannot build the import object");
    kept.push_back(given->value);
  }

  WITSERVE_ASSIGN_OR_RETURN(auto module_obj, module_object(*m));
  v8::Local<v8::Value> argv[] = {module_obj, import_object};
  v8::Local<v8::Object> instance;
  {
    CallScope call_scope(*this);  // the start function runs here and may need interrupting
    v8::TryCatch tc(iso);
    auto r = instance_ctor_.Get(iso)->NewInstance(ctx, 2, argv);
    // A trapping start function can leave a non-empty result behind: the exception decides.
    if (r.IsEmpty() || tc.HasCaught() || tc.HasTerminated()) {
      ErrorKind kind = ErrorKind::kTrap;
      if (tc.HasCaught() && tc.Exception()->IsNativeError()) {
        auto name = tc.Exception().As<v8::Object>()->Get(ctx, v8_str(iso, "name"));
        if (!name.IsEmpty() && to_std(iso, name.ToLocalChecked()) == "LinkError") kind = ErrorKind::kLink;
      }
      return take_exception(tc, kind).with_context("instantiate");
    }
    pending_host_error_.reset();
    instance = r.ToLocalChecked();
  }
  v8::TryCatch tc(iso);
  auto exports = instance->Get(ctx, key_exports_.Get(iso));
  if (exports.IsEmpty() || !exports.ToLocalChecked()->IsObject())
    return take_exception(tc, ErrorKind::kInternal).with_context("instance exports");
  if (const auto& image = m->initial_image()) {
    // The memory's initial contents (module_rewrite.h point 5), mapped rather than copied.
    auto mem = exports.ToLocalChecked().As<v8::Object>()->Get(
        ctx, v8_str(iso, std::string(v8_backend::kMemoryExportPrefix) + "0"));
    if (mem.IsEmpty() || !mem.ToLocalChecked()->IsWasmMemoryObject())
      return Error(ErrorKind::kInternal, "the memory of a module with an initial image is not exported");
    auto buf = mem.ToLocalChecked().As<v8::WasmMemoryObject>()->Buffer();
    WITSERVE_TRY(image->map_over(static_cast<uint8_t*>(buf->Data()), buf->ByteLength()));
  }
  // The start function, moved to an export at compile time (module_rewrite.h), runs now unless
  // the caller defers it.
  auto instance_out = std::make_unique<V8Instance>(*this, std::move(module), exports.ToLocalChecked().As<v8::Object>(),
                                                   std::move(kept), m->start_exported());
  if (!options.defer_start)
    if (Status st = instance_out->run_start(); !st.ok()) return std::move(st).error().with_context("instantiate");
  return std::unique_ptr<Instance>(std::move(instance_out));
}

std::shared_ptr<Func> V8Store::host_func(FuncType type, HostCallback callback) {
  Scope scope(*this);
  v8::Isolate* iso = isolate();
  auto data = std::make_shared<HostFuncData>(HostFuncData{this, type, std::move(callback)});
  auto* holder = new HostFuncHolder{data, {}};
  auto fn = v8::Function::New(scope.ctx, host_trampoline, v8::External::New(iso, holder),
                              int(type.params.size()), v8::ConstructorBehavior::kThrow)
                .ToLocalChecked();
  holder->weak.Reset(iso, fn);
  holder->weak.SetWeak(holder, host_func_collected, v8::WeakCallbackType::kParameter);
  holders_.insert(holder);
  return std::make_shared<V8Func>(*this, fn, std::move(type), std::move(data));
}

// ---- engine ---------------------------------------------------------------------------------

class V8Engine final : public Engine {
 public:
  explicit V8Engine(uint32_t max_memory_pages) : max_memory_pages_(max_memory_pages) {}
  std::string_view name() const override { return "v8"; }

  Result<std::shared_ptr<const Module>> compile(std::span<const uint8_t> bytes, CompileOptions options) override {
    WITSERVE_ASSIGN_OR_RETURN(ModuleInfo info, read_module_info(bytes));
    std::lock_guard lock(mu_);
    WITSERVE_TRY(ensure_compile_isolate());
    v8::Isolate* iso = compiler_->get();
    v8::Locker locker(iso);
    v8::Isolate::Scope iso_scope(iso);
    v8::HandleScope handles(iso);
    auto ctx = compile_context_.Get(iso);
    v8::Context::Scope ctx_scope(ctx);
    v8::TryCatch tc(iso);
    ModuleState state = options.state ? *options.state : read_module_state(bytes);
    bool export_state = state.resettable();
    std::optional<v8_backend::RewrittenModule> rewritten;
    if (export_state && options.virtual_memory_size && state.can_virtualize_memory_size()) {
      ModuleState virt = state;
      virt.virtual_memory_size = true;
      virt.defined_globals.push_back(GlobalType{ValType::kI32, true});
      rewritten = v8_backend::rewrite_module(bytes, max_memory_pages_, &virt);
      if (rewritten && rewritten->memory_size_virtualized) state = std::move(virt);
    }
    if (!state.virtual_memory_size) rewritten = v8_backend::rewrite_module(bytes, max_memory_pages_, &state);
    std::shared_ptr<const v8backend::MemoryImage> initial_image;
    if (rewritten && !rewritten->initial_segments.empty()) {
      std::vector<std::pair<uint32_t, std::span<const uint8_t>>> segments;
      for (const auto& seg : rewritten->initial_segments) segments.emplace_back(seg.offset, seg.bytes);
      auto image = v8backend::MemoryImage::from_segments(rewritten->initial_memory_bytes, segments);
      if (!image.ok()) {
        // Without an image the module keeps its data segments.
        rewritten = v8_backend::rewrite_module(bytes, max_memory_pages_, &state, /*strip_data=*/false);
      } else {
        initial_image = *image;
      }
    }
    std::span<const uint8_t> code = rewritten ? std::span<const uint8_t>(rewritten->bytes) : bytes;
    auto mo = v8::WasmModuleObject::Compile(iso, {code.data(), code.size()});
    if (mo.IsEmpty()) {
      std::string msg = tc.HasCaught() ? to_std(iso, tc.Exception()) : "compilation failed";
      return Error(ErrorKind::kMalformed, msg);
    }
    auto compiled = mo.ToLocalChecked()->GetCompiledModule();
    compiler_->tasks().run_ready();
    return std::shared_ptr<const Module>(
        std::make_shared<V8Module>(std::move(info), std::move(state), bytes.size(), std::move(compiled), ++next_id_,
                                   rewritten && rewritten->start_exported, export_state, std::move(initial_image)));
  }

  Result<std::unique_ptr<Store>> new_store() override {
    WITSERVE_ASSIGN_OR_RETURN(auto s, V8Store::create());
    return std::unique_ptr<Store>(std::move(s));
  }

 private:
  Status ensure_compile_isolate() {
    if (compiler_) return ok();
    WITSERVE_ASSIGN_OR_RETURN(compiler_, OwnedIsolate::create());
    v8::Isolate* iso = compiler_->get();
    v8::Locker locker(iso);
    v8::Isolate::Scope iso_scope(iso);
    v8::HandleScope handles(iso);
    compile_context_.Reset(iso, v8::Context::New(iso));
    return ok();
  }

  std::mutex mu_;
  std::unique_ptr<OwnedIsolate> compiler_;  // never disposed: lives as long as the process's V8
  v8::Global<v8::Context> compile_context_;
  uint64_t next_id_ = 0;
  const uint32_t max_memory_pages_;
};

}  // namespace

Result<std::shared_ptr<Engine>> make_v8_engine(const EngineOptions& options) {
  WITSERVE_TRY(v8backend::initialize_v8_once(options));
  static std::shared_ptr<Engine> engine = std::make_shared<V8Engine>(options.max_memory_pages);
  return engine;
}

}  // namespace witserve::engine
