// The engine interface: everything the rest of witserve knows about running WebAssembly.
// Engine-neutral; the V8 backend (v8/) is the only code that includes an engine's headers, and it
// is created through make_engine(). Other backends (an AOT engine) would plug in behind it.
//
// Threading:
//   Engine   process-wide, thread-safe. Compiles modules.
//   Module   compiled code, immutable, shared by every thread (compiled once, never per thread).
//   Store    one per thread (a V8 isolate); create, use and destroy it on that thread.
//   Instance, Func, Memory, Table, Global  belong to one Store; touch them only on its thread.
//   InterruptHandle  the one object another thread may use, to stop a Store's running call.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/engine/module_state.h"
#include "witserve/engine/types.h"

namespace witserve::engine {

// Compiled code for one core module. Immutable; share it freely across threads.
class Module {
 public:
  virtual ~Module() = default;
  const ModuleInfo& info() const { return info_; }
  // What its code can change after instantiation (whether an instance can be reset).
  const ModuleState& state() const { return state_; }
  size_t size_bytes() const { return size_bytes_; }

 protected:
  Module(ModuleInfo info, ModuleState state, size_t size_bytes)
      : info_(std::move(info)), state_(std::move(state)), size_bytes_(size_bytes) {}

 private:
  ModuleInfo info_;
  ModuleState state_;
  size_t size_bytes_;
};

// A function: a wasm export or a host function. Calling it runs on the Store's thread; a trap, a
// host error or an interrupt comes back as an Error (kTrap, kHost, kInterrupted).
class Func {
 public:
  virtual ~Func() = default;
  virtual const FuncType& type() const = 0;
  // `args` must match type().params; `results` must have room for type().results.
  virtual Status call(std::span<const Val> args, std::span<Val> results) = 0;
};

// A linear memory. data() is valid until the next call into wasm or grow(), which may move it.
class Memory {
 public:
  static constexpr uint64_t kPageSize = 65536;
  virtual ~Memory() = default;
  virtual std::span<uint8_t> data() = 0;
  // Grows by `delta` pages; returns the previous size in pages.
  virtual Result<uint64_t> grow(uint64_t delta) = 0;
};

class Table {
 public:
  virtual ~Table() = default;
  virtual uint32_t size() = 0;
};

class Global {
 public:
  virtual ~Global() = default;
  virtual const GlobalType& type() const = 0;
  virtual Val get() = 0;
  virtual Status set(Val v) = 0;
};

// One item an instance exports or a module imports. The alternatives follow ExternKind's order.
using Extern = std::variant<std::shared_ptr<Func>, std::shared_ptr<Table>, std::shared_ptr<Memory>,
                            std::shared_ptr<Global>>;

struct Import {
  std::string module;
  std::string name;
  Extern value;
};

// What Instance::capture saved: an instance's state right after instantiation.
class InstanceImage {
 public:
  virtual ~InstanceImage() = default;
};

class Instance {
 public:
  virtual ~Instance() = default;
  virtual const Module& module() const = 0;
  virtual std::optional<Extern> get_export(std::string_view name) = 0;

  // Runs the start function that instantiate() was asked to defer (InstantiateOptions); does
  // nothing if there is none or it ran. A trap is kTrap.
  virtual Status run_start() = 0;
  // Saves what the instance's code can change (the memories and mutable globals it defines) so
  // that reset() can put it back; call it before the start function runs. kUnsupported if the
  // module is not resettable (ModuleState::resettable).
  virtual Result<std::shared_ptr<const InstanceImage>> capture() = 0;
  // Puts the memories and globals back as `image` (from this instance's capture) saved them;
  // the start function is pending again (run_start runs it).
  // Memory pages come back from the image copy-on-write: the cost is in the pages the instance
  // wrote since. kUnsupported if a memory grew since (a memory cannot shrink): drop the instance.
  virtual Status reset(const InstanceImage& image) = 0;

  // Typed lookups: nullptr if there is no such export or it has another kind.
  std::shared_ptr<Func> func(std::string_view name);
  std::shared_ptr<Memory> memory(std::string_view name);
  std::shared_ptr<Table> table(std::string_view name);
  std::shared_ptr<Global> global(std::string_view name);
};

// A host function's body. Called on the Store's thread with arguments typed as declared; it fills
// `results`. Returning an Error makes the wasm caller trap with it; the error reaches whoever
// called into wasm unchanged (kind and message). It must not throw, though a stray C++ exception
// is caught at the boundary and becomes a kHost error rather than unwinding through engine frames.
using HostCallback = std::function<Status(std::span<const Val> args, std::span<Val> results)>;

// Stops the call a Store is running, from any thread. The call returns kInterrupted and the Store
// stays usable. If the Store is not inside a call, interrupt() does nothing.
class InterruptHandle {
 public:
  virtual ~InterruptHandle() = default;
  virtual void interrupt() = 0;
};

struct InstantiateOptions {
  // Leave the start function for Instance::run_start, so that state can be captured first.
  bool defer_start = false;
};

// Per-thread execution context (for V8: one isolate and context).
class Store {
 public:
  virtual ~Store() = default;

  // Instantiates `module` (kept alive by the instance) with `imports`, matched by (module, name). Every import of the module
  // must be provided with the right kind (and, for functions, the exact signature); a missing or
  // mismatched one is a kLink error naming it. A trap in the start function is kTrap.
  virtual Result<std::unique_ptr<Instance>> instantiate(std::shared_ptr<const Module> module,
                                                        std::span<const Import> imports,
                                                        InstantiateOptions options = {}) = 0;

  virtual std::shared_ptr<Func> host_func(FuncType type, HostCallback callback) = 0;

  virtual std::shared_ptr<InterruptHandle> interrupt_handle() = 0;

  // Runs engine housekeeping that must happen on this thread (garbage collection steps, finished
  // background compilation). Call it when idle, e.g. between requests.
  virtual void run_pending_tasks() = 0;

  // Keeps the store's thread state entered (for V8: its isolate and context) until the returned
  // token is dropped, so that the calls, instantiations and host calls made meanwhile do not
  // enter and leave it each time (a request makes dozens: every canonical-ABI realloc is a call).
  // Optional and nestable; drop it on this thread, before the store.
  virtual std::shared_ptr<void> enter() = 0;
};

struct EngineOptions {
  // Engine-specific flags (for V8, command-line flags such as "--no-wasm-dynamic-tiering").
  std::vector<std::string> flags;
  // Threads for background compilation; 0 picks a default.
  int compile_threads = 0;
  // The most linear memory one memory of a module may grow to, in 64 KiB pages (default 4096 =
  // 256 MiB); memory.grow past it fails. Applied to memories modules define. 0: no limit.
  uint32_t max_memory_pages = 4096;
};

struct CompileOptions {
  // Give memory.size and memory.grow a virtual size that a reset can put back, so an instance
  // whose memory grew can still be reset (ModuleState::can_virtualize_memory_size says when
  // the module allows it; engine/v8/module_rewrite.h says how). Only for a module whose memory
  // no other module sizes or grows.
  bool virtual_memory_size = false;
  // The module's read_module_state, when the caller has it already (so the code is not scanned
  // twice); null: the engine reads it.
  const ModuleState* state = nullptr;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;
  // Validates and compiles a core module; a malformed or invalid module is kMalformed.
  virtual Result<std::shared_ptr<const Module>> compile(std::span<const uint8_t> bytes,
                                                        CompileOptions options = {}) = 0;
  // A new Store for the calling thread.
  virtual Result<std::unique_ptr<Store>> new_store() = 0;
};

// The engines this build has, by name ("v8").
std::vector<std::string> engine_names();

// Returns the named engine. An engine that can be set up only once per process (V8) returns the
// same object on every call; options that differ from the first call's are an error.
Result<std::shared_ptr<Engine>> make_engine(std::string_view name, const EngineOptions& options = {});

}  // namespace witserve::engine
