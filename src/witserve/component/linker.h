// Linking and instantiation of components on an engine Store.
//
//   CompiledComponent  decoded + resolved + every core module compiled once; immutable, shared by
//                      all threads (compile once, instantiate per request).
//   Linker             what the host provides for imports: functions by (instance, name) and
//                      resource types. An import of an instance that exports only types needs
//                      nothing from the host. Built once, then read-only.
//   ComponentInstance  one instantiation on one Store: runtime index spaces, handle tables for
//                      resources, exported functions callable with Values. Store's thread only.
//
// Calls follow the Canonical ABI: canon lift runs the core function and post-return; canon lower
// turns a guest call into a host (or other component's) call. A trap anywhere is an Error.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/component/resolver.h"
#include "witserve/component/value.h"
#include "witserve/engine/engine.h"

namespace witserve::component {

class CompiledComponent {
 public:
  // Decodes, resolves and compiles every core module (nested components included).
  static Result<std::shared_ptr<const CompiledComponent>> compile(engine::Engine& engine,
                                                                  std::vector<uint8_t> bytes);
  const ResolvedComponent& resolved() const { return *resolved_; }
  std::shared_ptr<const engine::Module> module_for(const ast::CoreModuleDef* def) const;

 private:
  std::shared_ptr<const ResolvedComponent> resolved_;
  std::map<const ast::CoreModuleDef*, std::shared_ptr<const engine::Module>> modules_;
};

// A host function: receives the arguments typed as the importing component declared them (`type`)
// and returns the result value, if the function has one. An Error traps the calling guest.
using HostFunction =
    std::function<Result<std::optional<Value>>(const FuncType& type, std::span<const Value> args)>;

class ComponentInstance;

class Linker {
 public:
  // Provides function `name` of the imported instance `instance` (e.g. "test:values/host",
  // "host-echo-string"), or a top-level function import when `instance` is empty.
  void define_func(std::string instance, std::string name, HostFunction fn);
  // The same with the type the host implements. Instantiation then checks the import against it
  // structurally (Matcher) and refuses a mismatch with a kLink error naming the import and both
  // types. Build `type` with arena() so it lives as long as the linker.
  void define_func(std::string instance, std::string name, const FuncType* type, HostFunction fn);
  TypeArena& arena() { return *arena_; }
  // Provides resource type `name` of imported instance `instance`. `drop` runs when the last
  // owning handle is dropped by a guest (may be empty).
  void define_resource(std::string instance, std::string name,
                       std::function<void(uint32_t rep)> drop = {});

  struct ResourceDef {
    const ResourceType* type;
    std::function<void(uint32_t)> drop;
  };
  struct FuncDef {
    HostFunction fn;
    const FuncType* type = nullptr;  // null: accepts whatever type the import declares
  };
  const FuncDef* find_func(const std::string& instance, const std::string& name) const;
  const ResourceDef* find_resource(const std::string& instance, const std::string& name) const;

 private:
  std::map<std::pair<std::string, std::string>, FuncDef> funcs_;
  std::map<std::pair<std::string, std::string>, ResourceDef> resources_;
  std::shared_ptr<TypeArena> arena_ = std::make_shared<TypeArena>();
};

// Host-side resource handles, shared by a ComponentInstance and the host code using it.
// Value::own(h)/borrow(h) name entries here.
struct HostHandle {
  const ResourceType* type = nullptr;
  uint32_t rep = 0;
  bool own = false;
  bool live = false;
};

class ComponentInstance {
 public:
  struct Options {
    // Make an instance that reset() can put back to its state after instantiation, if the
    // component allows it (recyclable() says whether it does): start functions run after every
    // core instance of the component exists and its state is captured, and again after each reset.
    bool recyclable = false;
  };
  static Result<std::unique_ptr<ComponentInstance>> instantiate(
      std::shared_ptr<const CompiledComponent> component, engine::Store& store, const Linker& linker,
      Options options);
  static Result<std::unique_ptr<ComponentInstance>> instantiate(
      std::shared_ptr<const CompiledComponent> component, engine::Store& store, const Linker& linker) {
    return instantiate(std::move(component), store, linker, Options{});
  }
  ~ComponentInstance();

  // Whether reset() can work: asked for, and every core module's code leaves tables and segments
  // alone (engine::ModuleState), and deferring start functions changes nothing.
  bool recyclable() const;
  // Why a recyclable instance was asked for but could not be made (empty if it was, or not asked).
  const std::string& not_recyclable_reason() const;
  // Puts the instance back as it was right after instantiation, as a new instance would be: every
  // core instance's memories and mutable globals, empty handle tables, no trap or call in progress;
  // then the start functions run again (under whatever host context is current, e.g. a new WASI
  // context, so they see new random bytes and environment). An error (a memory grew and cannot
  // shrink; a start function trapped) leaves the instance unusable: drop it.
  Status reset();

  // The type of an exported function: top-level ("run") or inside an exported instance
  // ("inner#g" is not used; pass instance and name separately).
  const FuncType* export_type(std::string_view name, std::string_view instance = {}) const;

  // Calls an exported function with arguments of its parameter types.
  Result<std::optional<Value>> call(std::string_view name, std::span<const Value> args,
                                    std::string_view instance = {});

  // A new owned handle to a resource the host defines (Linker::define_resource), with
  // representation `rep`, for passing to the guest as Value::own/borrow.
  Result<uint32_t> new_host_resource(const std::string& instance, const std::string& name, uint32_t rep);

  // The raw entry to an exported (lifted) function, for typed calls (typed.h): `lower` fills the
  // core arguments, `lift` reads the core results, both through the call's CanonContext; the
  // instance rules (no re-entry, no use after a trap) and post-return apply as for call().
  using LowerFn = std::function<Status(class CanonContext&, std::vector<engine::Val>&)>;
  using LiftFn = std::function<Status(class CanonContext&, std::span<const engine::Val>)>;
  Status call_raw(std::string_view name, std::string_view instance, const LowerFn& lower, const LiftFn& lift);
  // The same entry looked up once, for callers that call the same export repeatedly.
  using RawEntry = std::function<Status(const LowerFn&, const LiftFn&)>;
  Result<RawEntry> raw_entry(std::string_view name, std::string_view instance);

  // Drops a resource handle the host received (own: runs the resource's destructor).
  Status drop(uint32_t host_handle);
  const HostHandle* host_handle(uint32_t h) const;

  struct Impl;

 private:
  ComponentInstance() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace witserve::component
