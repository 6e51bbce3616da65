// The runtime side of a component instance, shared by linker.cc: lifted functions, runtime
// instances and items, the per-instance index spaces with their resource handle table (Scope),
// and ComponentInstance::Impl. Internal to the linker; a Store's thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "witserve/component/canonical_abi.h"
#include "witserve/component/handle_table.h"
#include "witserve/component/linker.h"

namespace witserve::component {

namespace rt {

using K = ExternType::Kind;
using engine::Val;
using engine::ValType;

inline Error link_error(const std::string& what) { return Error(ErrorKind::kLink, what); }
inline Error trap(const std::string& what) { return Error(ErrorKind::kTrap, what); }

struct RtFunc {
  const FuncType* type;
  std::function<Result<std::optional<Value>>(std::span<const Value>)> call;
  // Lifted functions only: the same call with the lowering and lifting supplied by the caller.
  std::function<Status(const ComponentInstance::LowerFn&, const ComponentInstance::LiftFn&)> raw;
};

struct RtInstance;
struct Scope;

struct ComponentRef {
  const ResolvedComponent* rc = nullptr;
  Scope* definer = nullptr;  // the scope its outer aliases resolve against
};

struct RtItem {
  K kind = K::kFunc;
  std::shared_ptr<RtFunc> func;
  std::shared_ptr<RtInstance> instance;
  const ResourceType* resource = nullptr;  // a type item that is a resource: its runtime identity
  TypeRef value = nullptr;
  ComponentRef component;
  std::shared_ptr<const engine::Module> core_module;
};

struct RtInstance {
  std::vector<std::pair<std::string, RtItem>> items;
  const RtItem* find(std::string_view name) const {
    for (const auto& [n, i] : items)
      if (n == name) return &i;
    return nullptr;
  }
};

struct CoreRt {
  std::unique_ptr<engine::Instance> instance;
  std::vector<std::pair<std::string, engine::Extern>> items;  // inline export instances
  std::optional<engine::Extern> find(const std::string& name) const {
    if (instance) return instance->get_export(name);
    for (const auto& [n, e] : items)
      if (n == name) return e;
    return std::nullopt;
  }
};

template <typename T>
inline Result<T> at(const std::vector<T>& v, uint32_t i, const char* what) {
  if (i >= v.size()) return Error(ErrorKind::kInternal, std::string(what) + " index out of range at run time");
  return v[i];
}

}  // namespace rt

struct ComponentInstance::Impl {
  using Scope = rt::Scope;
  using RtInstance = rt::RtInstance;
  using RtItem = rt::RtItem;

  std::shared_ptr<const CompiledComponent> cc;
  engine::Store* store = nullptr;
  const Linker* linker = nullptr;
  std::vector<std::unique_ptr<Scope>> scopes;
  HandleTable<HostHandle> host{0};
  std::shared_ptr<RtInstance> exports;
  // Resource types given a fresh identity for a second instance of the component defining them.
  TypeArena runtime_types;
  // Destructors and implementing scopes of resources the components define.
  std::unordered_map<const ResourceType*, std::pair<Scope*, std::shared_ptr<engine::Func>>> implementers;
  std::unordered_map<const ResourceType*, std::function<void(uint32_t)>> host_drops;

  Result<uint32_t> add_host(HostHandle h) { return host.add(h); }

  // Recyclable instances (ComponentInstance::Options): the core instances in instantiation order,
  // with what capture saved of each, and those whose start functions wait to run.
  bool recycle = false;
  std::string not_recyclable;
  std::vector<std::pair<engine::Instance*, std::shared_ptr<const engine::InstanceImage>>> images;
  std::vector<engine::Instance*> starts;
  // Calls to the host's functions (Linker) so far: whether start functions reached outside.
  uint64_t host_calls = 0;

  Status destroy(const ResourceType* r, uint32_t rep) {
    if (auto it = implementers.find(r); it != implementers.end()) {
      if (it->second.second) {
        engine::Val arg = engine::Val::i32(int32_t(rep));
        return it->second.second->call(std::span<const engine::Val>(&arg, 1), {});
      }
      return ok();
    }
    if (auto it = host_drops.find(r); it != host_drops.end() && it->second) it->second(rep);
    return ok();
  }

  Result<std::shared_ptr<RtInstance>> instantiate(Scope& scope, const std::map<std::string, RtItem>* args);
};

namespace rt {

// One component instance's runtime index spaces and its table of guest resource handles.
struct Scope final : ResourceHooks {
  ComponentInstance::Impl* impl = nullptr;
  Scope* parent = nullptr;
  const ResolvedComponent* rc = nullptr;

  std::vector<RtItem> types;
  std::vector<std::shared_ptr<RtFunc>> funcs;
  std::vector<std::shared_ptr<RtInstance>> instances;
  std::vector<ComponentRef> components;
  std::vector<std::shared_ptr<engine::Func>> core_funcs;
  std::vector<std::shared_ptr<engine::Table>> core_tables;
  std::vector<std::shared_ptr<engine::Memory>> core_memories;
  std::vector<std::shared_ptr<engine::Global>> core_globals;
  std::vector<std::shared_ptr<const engine::Module>> core_modules;
  std::vector<std::shared_ptr<CoreRt>> core_instances;
  size_t nested_seen = 0;

  // Static resource types (as the resolver made them) -> the runtime resource they stand for.
  std::unordered_map<const ResourceType*, const ResourceType*> rmap;
  const ResourceType* rt(const ResourceType* r) const {
    auto it = rmap.find(r);
    return it == rmap.end() ? r : it->second;
  }
  void bind(const ResourceType* static_r, const ResourceType* runtime_r) {
    if (static_r && runtime_r && static_r != runtime_r) rmap[static_r] = runtime_r;
  }

  struct Entry {
    const ResourceType* type;
    uint32_t rep;
    bool own;
    bool live;
    uint32_t lends = 0;  // borrows of this owned handle lent out to calls in progress
  };
  HandleTable<Entry> handles{1};  // index 0 is never valid
  // A handle lent to a call this instance makes (lift_borrow): the guest index and the host
  // handle that stands for it until the call returns.
  struct Lend {
    uint32_t index;
    uint32_t host_handle;
  };
  std::vector<Lend>* lending = nullptr;
  // Spec state of this component instance: a trap leaves it unusable; it cannot be re-entered
  // while a call into it runs; borrowed handles lent to it by a call must be dropped before that
  // call returns (`lent` lists them for the call in progress).
  bool trapped = false;
  bool entered = false;
  std::vector<uint32_t>* lent = nullptr;

  Result<uint32_t> add(Entry e) { return handles.add(e); }
  Result<Entry*> get(const ResourceType* r, uint32_t i) {
    Entry* e = handles.get(i);
    if (!e) return trap("unknown handle index " + std::to_string(i));
    if (e->type != r)
      return trap("handle index " + std::to_string(i) + " used with the wrong type: it is a " + e->type->name +
                  ", not a " + r->name);
    return e;
  }
  // Removes an owned or borrowed handle (resource.drop, or an own lifted out): an owned handle
  // with borrows still lent out cannot go.
  Result<Entry> take(const ResourceType* r, uint32_t i) {
    WITSERVE_ASSIGN_OR_RETURN(Entry * e, get(r, i));
    if (e->lends != 0)
      return trap("cannot remove owned handle index " + std::to_string(i) + " while it has " +
                  std::to_string(e->lends) + " outstanding borrow(s)");
    Entry out = *e;
    handles.remove(i);
    return out;
  }
  // The end of a call this instance made: the borrows it lent are returned.
  void end_lends(const std::vector<Lend>& lends) {
    for (const Lend& l : lends) {
      impl->host.remove(l.host_handle);
      if (Entry* e = handles.get(l.index); e && e->lends > 0) --e->lends;
    }
  }
  bool implements(const ResourceType* r) const {
    auto it = impl->implementers.find(r);
    return it != impl->implementers.end() && it->second.first == this;
  }

  // ResourceHooks: guest handle <-> host handle.
  Result<uint32_t> lift_own(const ResourceType* r, uint32_t i) override {
    WITSERVE_ASSIGN_OR_RETURN(Entry * e, get(rt(r), i));
    if (!e->own) return trap("handle index " + std::to_string(i) + " is borrowed, an owned handle was expected");
    WITSERVE_ASSIGN_OR_RETURN(Entry taken, take(rt(r), i));
    return impl->add_host({taken.type, taken.rep, true, true});
  }
  Result<uint32_t> lift_borrow(const ResourceType* r, uint32_t i) override {
    WITSERVE_ASSIGN_OR_RETURN(Entry * e, get(rt(r), i));
    WITSERVE_ASSIGN_OR_RETURN(uint32_t h, impl->add_host({e->type, e->rep, false, true}));
    if (lending) {
      if (e->own) ++e->lends;
      lending->push_back({e->own ? i : 0, h});
    }
    return h;
  }
  Result<uint32_t> lower_own(const ResourceType* r, uint32_t h) override {
    const ResourceType* want = rt(r);
    HostHandle* hh = impl->host.get(h);
    if (!hh || !hh->own || hh->type != want)
      return Error(ErrorKind::kInvalidArgument, "host handle " + std::to_string(h) + " is not an owned " + want->name);
    uint32_t rep = hh->rep;
    impl->host.remove(h);
    return add({want, rep, true, true});
  }
  Result<uint32_t> lower_borrow(const ResourceType* r, uint32_t h) override {
    const ResourceType* want = rt(r);
    HostHandle* hh = impl->host.get(h);
    if (!hh || hh->type != want)
      return Error(ErrorKind::kInvalidArgument, "host handle " + std::to_string(h) + " is not a " + want->name);
    uint32_t rep = hh->rep;
    if (implements(want)) return rep;  // the implementation sees its own representation
    WITSERVE_ASSIGN_OR_RETURN(uint32_t index, add({want, rep, false, true}));
    if (lent) lent->push_back(index);
    return index;
  }

  Result<RtItem> item(ast::SortIdx si) {
    RtItem out;
    switch (si.kind.sort) {
      case ast::Sort::kFunc: {
        out.kind = K::kFunc;
        WITSERVE_ASSIGN_OR_RETURN(out.func, at(funcs, si.index, "func"));
        return out;
      }
      case ast::Sort::kInstance: {
        out.kind = K::kInstance;
        WITSERVE_ASSIGN_OR_RETURN(out.instance, at(instances, si.index, "instance"));
        return out;
      }
      case ast::Sort::kType:
        return at(types, si.index, "type");
      case ast::Sort::kComponent: {
        out.kind = K::kComponent;
        WITSERVE_ASSIGN_OR_RETURN(out.component, at(components, si.index, "component"));
        return out;
      }
      case ast::Sort::kCore: {
        if (si.kind.core != ast::CoreSort::kModule) break;
        out.kind = K::kCoreModule;
        WITSERVE_ASSIGN_OR_RETURN(out.core_module, at(core_modules, si.index, "core module"));
        return out;
      }
      case ast::Sort::kValue:
        break;
    }
    return Error(ErrorKind::kUnsupported, "value items are not supported");
  }

  void push(const RtItem& i, const ExternType* static_type) {
    switch (i.kind) {
      case K::kFunc: funcs.push_back(i.func); break;
      case K::kInstance: instances.push_back(i.instance); break;
      case K::kType: {
        if (static_type && static_type->resource) bind(static_type->resource, i.resource);
        types.push_back(i);
        break;
      }
      case K::kComponent: components.push_back(i.component); break;
      case K::kCoreModule: core_modules.push_back(i.core_module); break;
      case K::kValue: break;
    }
  }

  // Binds the abstract resources of a static instance type to those of the runtime instance.
  void bind_instance(const InstanceType* st, const RtInstance& inst) {
    for (const auto& e : st->exports) {
      const RtItem* got = inst.find(e.name);
      if (!got) continue;
      if (e.type.kind == K::kType && e.type.resource) bind(e.type.resource, got->resource);
      if (e.type.kind == K::kInstance && got->instance) bind_instance(e.type.instance, *got->instance);
    }
  }
};

}  // namespace rt

}  // namespace witserve::component
