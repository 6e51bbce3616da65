// Component instantiation: walks a resolved component's definitions again, this time making
// runtime items (engine instances, lifted and lowered functions, handle tables) in the same index
// order the resolver typed them. See linker.h.
#include "witserve/component/linker.h"

#include <unordered_map>
#include <unordered_set>

#include "witserve/component/canonical_abi.h"
#include "witserve/component/decoder.h"
#include "witserve/component/linker_rt.h"

namespace witserve::component {

using namespace rt;

namespace {

Result<engine::Extern> core_item(Scope& s, ast::CoreSortIdx i) {
  switch (i.sort) {
    case ast::CoreSort::kFunc: { WITSERVE_ASSIGN_OR_RETURN(auto f, at(s.core_funcs, i.index, "core func")); return engine::Extern(f); }
    case ast::CoreSort::kTable: { WITSERVE_ASSIGN_OR_RETURN(auto t, at(s.core_tables, i.index, "core table")); return engine::Extern(t); }
    case ast::CoreSort::kMemory: { WITSERVE_ASSIGN_OR_RETURN(auto m, at(s.core_memories, i.index, "core memory")); return engine::Extern(m); }
    case ast::CoreSort::kGlobal: { WITSERVE_ASSIGN_OR_RETURN(auto g, at(s.core_globals, i.index, "core global")); return engine::Extern(g); }
    default: return Error(ErrorKind::kUnsupported, "core item kind not supported");
  }
}

Status push_core(Scope& s, const engine::Extern& e, ast::CoreSort sort) {
  switch (sort) {
    case ast::CoreSort::kFunc:
      if (auto* f = std::get_if<std::shared_ptr<engine::Func>>(&e)) { s.core_funcs.push_back(*f); return ok(); }
      break;
    case ast::CoreSort::kTable:
      if (auto* t = std::get_if<std::shared_ptr<engine::Table>>(&e)) { s.core_tables.push_back(*t); return ok(); }
      break;
    case ast::CoreSort::kMemory:
      if (auto* m = std::get_if<std::shared_ptr<engine::Memory>>(&e)) { s.core_memories.push_back(*m); return ok(); }
      break;
    case ast::CoreSort::kGlobal:
      if (auto* g = std::get_if<std::shared_ptr<engine::Global>>(&e)) { s.core_globals.push_back(*g); return ok(); }
      break;
    default:
      break;
  }
  return link_error(std::string("core export is not a ") + ast::to_string(sort) + " as its importer requires");
}

CanonOptions canon_options(Scope& s, const ast::CanonOpts& o) {
  CanonOptions c;
  c.encoding = o.string_encoding;
  if (o.memory && *o.memory < s.core_memories.size()) c.memory = s.core_memories[*o.memory];
  if (o.realloc && *o.realloc < s.core_funcs.size()) c.realloc = s.core_funcs[*o.realloc];
  c.resources = &s;
  return c;
}

// Wraps a host function. Handles to resources the host itself defines cross as their
// representation: a parameter own<R>/borrow<R> reaches the host as Value::own(rep)/borrow(rep) (an
// own is handed over to the host), and a result own<R> the host returns as Value::own(rep) becomes
// a new host handle. Only top-level parameters and results are translated.
// Whether values of type `t` can hold a handle to one of the host's resources.
bool holds_host_handle(TypeRef t, const std::function<const ResourceType*(TypeRef)>& host_rt) {
  switch (t->kind) {
    case TypeKind::kOwn: case TypeKind::kBorrow: return host_rt(t) != nullptr;
    case TypeKind::kList: case TypeKind::kOption: case TypeKind::kResult: case TypeKind::kVariant:
    case TypeKind::kRecord: case TypeKind::kTuple: break;
    default: return false;
  }
  if (t->kind == TypeKind::kList) return holds_host_handle(t->element, host_rt);
  for (const auto& f : t->fields) if (holds_host_handle(f.type, host_rt)) return true;
  for (const auto& c : t->cases) if (c.type && holds_host_handle(c.type, host_rt)) return true;
  for (TypeRef e : t->elements) if (holds_host_handle(e, host_rt)) return true;
  return false;
}

// Rebuilds `v` (of type `t`) with every handle to a host resource passed through `map`
// (own or borrow, the handle, the resource) -> the new handle value.
using HandleMap = std::function<Result<Value>(TypeRef, uint32_t, const ResourceType*)>;
Result<Value> map_host_handles(const Value& v, TypeRef t, const std::function<const ResourceType*(TypeRef)>& host_rt,
                               const HandleMap& map) {
  if (!holds_host_handle(t, host_rt)) return v;
  auto each = [&](const std::vector<Value>& items, auto type_of) -> Result<std::vector<Value>> {
    std::vector<Value> out;
    out.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      WITSERVE_ASSIGN_OR_RETURN(Value x, map_host_handles(items[i], type_of(i), host_rt, map));
      out.push_back(std::move(x));
    }
    return out;
  };
  switch (t->kind) {
    case TypeKind::kOwn: case TypeKind::kBorrow: return map(t, v.handle(), host_rt(t));
    case TypeKind::kList: {
      WITSERVE_ASSIGN_OR_RETURN(auto items, each(v.items(), [&](size_t) { return t->element; }));
      return Value::list(std::move(items));
    }
    case TypeKind::kRecord: {
      if (v.items().size() != t->fields.size()) return trap("record value does not fit its type");
      WITSERVE_ASSIGN_OR_RETURN(auto items, each(v.items(), [&](size_t i) { return t->fields[i].type; }));
      return Value::record(std::move(items));
    }
    case TypeKind::kTuple: {
      if (v.items().size() != t->elements.size()) return trap("tuple value does not fit its type");
      WITSERVE_ASSIGN_OR_RETURN(auto items, each(v.items(), [&](size_t i) { return t->elements[i]; }));
      return Value::tuple(std::move(items));
    }
    default: {  // option, result, variant
      uint32_t i = v.case_index();
      if (i >= t->cases.size()) return trap("case index out of range");
      std::optional<Value> payload;
      if (v.payload() && t->cases[i].type) {
        WITSERVE_ASSIGN_OR_RETURN(Value p, map_host_handles(*v.payload(), t->cases[i].type, host_rt, map));
        payload = std::move(p);
      }
      if (t->kind == TypeKind::kOption) return i == 0 ? Value::none() : Value::some(std::move(*payload));
      if (t->kind == TypeKind::kResult) return i == 0 ? Value::ok(std::move(payload)) : Value::err(std::move(payload));
      return Value::variant(i, std::move(payload));
    }
  }
}

// canon lower of a host function: handles to the host's own resources reach it as their
// representations (Value::own(rep) / Value::borrow(rep)) wherever they sit in the arguments,
// and representations it returns in own<...> positions become new owned handles.
std::shared_ptr<RtFunc> host_func(
    ComponentInstance::Impl& impl, HostFunction fn, const FuncType* type,
    std::shared_ptr<std::unordered_map<const ResourceType*, const ResourceType*>> host_resources) {
  ComponentInstance::Impl* ip = &impl;
  std::function<const ResourceType*(TypeRef)> host_rt = [host_resources](TypeRef t) -> const ResourceType* {
    if (!host_resources || (t->kind != TypeKind::kOwn && t->kind != TypeKind::kBorrow)) return nullptr;
    auto it = host_resources->find(t->resource);
    return it == host_resources->end() ? nullptr : it->second;
  };
  bool params_hold = false;
  for (const auto& p : type->params) params_hold |= holds_host_handle(p.type, host_rt);
  bool result_holds = type->result && holds_host_handle(type->result, host_rt);
  return std::make_shared<RtFunc>(RtFunc{
      type, [fn, type, ip, host_rt, params_hold, result_holds](std::span<const Value> args) -> Result<std::optional<Value>> {
        ++ip->host_calls;
        std::vector<Value> a;
        std::span<const Value> call_args = args;
        if (params_hold) {
          HandleMap to_rep = [ip](TypeRef t, uint32_t h, const ResourceType* r) -> Result<Value> {
            HostHandle* hh = ip->host.get(h);
            if (!hh || hh->type != r) return trap("host resource handle " + std::to_string(h) + " is not a " + r->name);
            uint32_t rep = hh->rep;
            if (t->kind == TypeKind::kOwn) ip->host.remove(h);
            return t->kind == TypeKind::kOwn ? Value::own(rep) : Value::borrow(rep);
          };
          a.reserve(args.size());
          for (size_t i = 0; i < args.size(); ++i) {
            if (i >= type->params.size()) { a.push_back(args[i]); continue; }
            WITSERVE_ASSIGN_OR_RETURN(Value x, map_host_handles(args[i], type->params[i].type, host_rt, to_rep));
            a.push_back(std::move(x));
          }
          call_args = a;
        }
        WITSERVE_ASSIGN_OR_RETURN(auto result, fn(*type, call_args));
        if (result && result_holds) {
          HandleMap to_handle = [ip](TypeRef, uint32_t rep, const ResourceType* r) -> Result<Value> {
            WITSERVE_ASSIGN_OR_RETURN(uint32_t h, ip->add_host({r, rep, true, true}));
            return Value::own(h);
          };
          WITSERVE_ASSIGN_OR_RETURN(result, map_host_handles(*result, type->result, host_rt, to_handle));
        }
        return result;
      }});
}

// A typed host function must fit the import: the host's function, called with the importer's
// arguments, must accept them and return what the importer expects. The importer's abstract
// resources stand for the host's (`host_resources`).
Status check_host_type(const Linker::FuncDef& def, const FuncType& import_type, const std::string& what,
                       const std::unordered_map<const ResourceType*, const ResourceType*>* host_resources) {
  if (!def.type) return ok();
  Matcher m;
  std::string why;
  if (host_resources)
    for (const auto& [abstract, actual] : *host_resources) m.resource(actual, abstract, nullptr);
  if (!m.func(*def.type, import_type, &why))
    return link_error(what + " does not fit the host's function: the component expects " + to_string(import_type) +
                      ", the host provides " + to_string(*def.type) + " (" + why + ")");
  return ok();
}

// canon lift at run time: lower the arguments into the callee, run it, lift its result, run
// post-return; with the spec's rules on the instance (no re-entry, no use after a trap, lent
// borrows dropped before returning).
Status call_lifted_raw(Scope& s, engine::Func& core, engine::Func* post, const FuncType& type,
                       const CanonOptions& opts, const ComponentInstance::LowerFn& lower,
                       const ComponentInstance::LiftFn& lift) {
  if (s.trapped) return trap("the component instance trapped earlier and cannot be called again");
  if (s.entered) return trap("cannot enter component instance: a call into it is still running");
  std::vector<uint32_t> lent;
  struct Enter {
    Scope& s;
    std::vector<uint32_t>* saved;
    Enter(Scope& sc, std::vector<uint32_t>* l) : s(sc), saved(sc.lent) { s.entered = true; s.lent = l; }
    ~Enter() { s.entered = false; s.lent = saved; }
  } enter(s, &lent);
  // Once the guest has run, any failure leaves the instance in an unknown state.
  auto guest_failed = [&](Error e) -> Error {
    if (e.kind() == ErrorKind::kTrap || e.kind() == ErrorKind::kInterrupted || e.kind() == ErrorKind::kHost)
      s.trapped = true;
    return e;
  };
  CanonContext cx(opts);
  std::vector<Val> core_args;
  if (auto st = lower(cx, core_args); !st.ok()) return guest_failed(std::move(st).error());
  std::vector<Val> core_results(type.flat_results.size());
  if (auto st = core.call(core_args, core_results); !st.ok()) return guest_failed(std::move(st).error());
  cx.invalidate_memory();
  if (auto st = lift(cx, core_results); !st.ok()) return guest_failed(std::move(st).error());
  if (post) {
    if (auto st = post->call(core_results, {}); !st.ok()) return guest_failed(std::move(st).error());
  }
  for (uint32_t index : lent) {
    if (const Scope::Entry* e = s.handles.get(index); e && !e->own) {
      s.trapped = true;
      return trap("borrowed handle " + std::to_string(index) + " was not dropped before the call returned");
    }
  }
  return ok();
}

// canon lift at run time with Values: lower the arguments into the callee, run it, lift its result,
// run post-return; with the spec's rules on the instance (no re-entry, no use after a trap, lent
// borrows dropped before returning).
Result<std::optional<Value>> call_lifted(Scope& s, engine::Func& core, engine::Func* post, const FuncType& type,
                                         const CanonOptions& opts, std::span<const Value> args) {
  std::optional<Value> result;
  WITSERVE_TRY(call_lifted_raw(
      s, core, post, type, opts,
      [&](CanonContext& cx, std::vector<Val>& out) -> Status {
        WITSERVE_ASSIGN_OR_RETURN(out, cx.lower_params(type, args));
        return ok();
      },
      [&](CanonContext& cx, std::span<const Val> core_results) -> Status {
        WITSERVE_ASSIGN_OR_RETURN(result, cx.lift_results(type, core_results));
        return ok();
      }));
  return result;
}

// The runtime item for an import, built from the host's Linker definitions.
Result<RtItem> host_item(ComponentInstance::Impl& impl, Scope& scope, const std::string& name, const ExternType& t) {
  RtItem out;
  out.kind = t.kind;
  switch (t.kind) {
    case K::kFunc: {
      const Linker::FuncDef* fn = impl.linker->find_func("", name);
      if (!fn) return link_error("import '" + name + "' (a function) is not provided by the host");
      WITSERVE_TRY(check_host_type(*fn, *t.func, "import '" + name + "'", nullptr));
      out.func = host_func(impl, fn->fn, t.func, nullptr);
      return out;
    }
    case K::kInstance: {
      auto inst = std::make_shared<RtInstance>();
      // Resources first: functions below refer to them.
      auto host_resources = std::make_shared<std::unordered_map<const ResourceType*, const ResourceType*>>();
      for (const auto& e : t.instance->exports) {
        if (e.type.kind != K::kType || !e.type.resource) continue;
        // A resource an earlier import provided (`use wasi:io/poll.{pollable}` in another
        // interface) is that same resource.
        if (const ResourceType* bound = scope.rt(e.type.resource); bound != e.type.resource) {
          (*host_resources)[e.type.resource] = bound;
          continue;
        }
        if (host_resources->count(e.type.resource)) continue;  // an alias (`type headers = fields`)
        const Linker::ResourceDef* r = impl.linker->find_resource(name, e.name);
        if (!r) return link_error("import '" + name + "': resource '" + e.name + "' is not provided by the host");
        (*host_resources)[e.type.resource] = r->type;
        impl.host_drops[r->type] = r->drop;
      }
      for (const auto& e : t.instance->exports) {
        RtItem item;
        item.kind = e.type.kind;
        switch (e.type.kind) {
          case K::kFunc: {
            const Linker::FuncDef* fn = impl.linker->find_func(name, e.name);
            if (!fn)
              return link_error("import '" + name + "': function '" + e.name + "' is not provided by the host");
            WITSERVE_TRY(check_host_type(*fn, *e.type.func, "import '" + name + "' function '" + e.name + "'",
                                         host_resources.get()));
            item.func = host_func(impl, fn->fn, e.type.func, host_resources);
            break;
          }
          case K::kType:
            if (e.type.resource) item.resource = host_resources->at(e.type.resource);
            else item.value = e.type.value;  // a value type: nothing to provide
            break;
          default:
            return Error(ErrorKind::kUnsupported,
                         "import '" + name + "': nested item '" + e.name + "' cannot be provided by the host");
        }
        inst->items.emplace_back(e.name, std::move(item));
      }
      out.instance = inst;
      return out;
    }
    case K::kType:
      if (t.resource) return link_error("import '" + name + "': resource types must be imported inside an instance");
      out.value = t.value;
      return out;
    default:
      return Error(ErrorKind::kUnsupported, "import '" + name + "' of this kind cannot be provided by the host");
  }
}

}  // namespace

Result<std::shared_ptr<RtInstance>> ComponentInstance::Impl::instantiate(
    Scope& s, const std::map<std::string, RtItem>* args) {
  const ResolvedComponent& rc = *s.rc;
  const IndexSpaces& st = rc.spaces;  // the static types of everything below, same indices
  auto exports = std::make_shared<RtInstance>();
  size_t def_index = 0;
  for (const auto& def : rc.ast->defs) {
    Status status = std::visit(
        [&](const auto& d) -> Status {
          using D = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<D, ast::CoreModuleDef>) {
            auto m = cc->module_for(&d);
            if (!m) return Error(ErrorKind::kInternal, "core module was not compiled");
            s.core_modules.push_back(std::move(m));
          } else if constexpr (std::is_same_v<D, ast::CoreInstanceDef>) {
            auto ci = std::make_shared<CoreRt>();
            if (d.is_instantiate) {
              WITSERVE_ASSIGN_OR_RETURN(auto module, at(s.core_modules, d.module, "core module"));
              std::vector<engine::Import> imports;
              for (const auto& imp : module->info().imports) {
                for (const auto& a : d.args) {
                  if (a.name != imp.module) continue;
                  WITSERVE_ASSIGN_OR_RETURN(auto from, at(s.core_instances, a.instance, "core instance"));
                  auto e = from->find(imp.name);
                  if (!e) return link_error("core import '" + imp.module + "' '" + imp.name + "' is missing");
                  imports.push_back({imp.module, imp.name, *e});
                  break;
                }
              }
              if (recycle) {
                // Start functions are deferred until the whole component exists. That changes nothing
                // unless a later core instance's segments write into an earlier one's memory or table
                // after that one's start function ran.
                const engine::ModuleState& ms = module->state();
                if (!ms.resettable()) {
                  not_recyclable = "a core module's code changes tables or drops segments";
                  return Error(ErrorKind::kUnsupported, not_recyclable);
                }
                if (ms.segments_write_imports && !starts.empty()) {
                  not_recyclable = "a core module's segments write into an instance whose start function ran";
                  return Error(ErrorKind::kUnsupported, not_recyclable);
                }
                WITSERVE_ASSIGN_OR_RETURN(ci->instance, store->instantiate(module, imports, {.defer_start = true}));
                images.emplace_back(ci->instance.get(), nullptr);
                if (ms.has_start) starts.push_back(ci->instance.get());
              } else {
                WITSERVE_ASSIGN_OR_RETURN(ci->instance, store->instantiate(module, imports));
              }
            } else {
              for (const auto& e : d.exports) {
                WITSERVE_ASSIGN_OR_RETURN(auto x, core_item(s, e.item));
                ci->items.emplace_back(e.name, std::move(x));
              }
            }
            s.core_instances.push_back(std::move(ci));
          } else if constexpr (std::is_same_v<D, std::shared_ptr<const ast::CoreTypeDef>>) {
            // types only matter statically
          } else if constexpr (std::is_same_v<D, std::shared_ptr<const ast::Component>>) {
            s.components.push_back({rc.nested.at(s.nested_seen++).get(), &s});
          } else if constexpr (std::is_same_v<D, ast::InstanceDef>) {
            auto inst = std::make_shared<RtInstance>();
            if (d.is_instantiate) {
              WITSERVE_ASSIGN_OR_RETURN(ComponentRef c, at(s.components, d.component, "component"));
              std::map<std::string, RtItem> child_args;
              for (const auto& a : d.args) {
                WITSERVE_ASSIGN_OR_RETURN(RtItem i, s.item(a.item));
                child_args[a.name] = std::move(i);
              }
              auto child = std::make_unique<Scope>();
              child->impl = this;
              child->parent = c.definer;
              child->rc = c.rc;
              Scope& cs = *child;
              scopes.push_back(std::move(child));
              WITSERVE_ASSIGN_OR_RETURN(inst, instantiate(cs, &child_args));
            } else {
              for (const auto& e : d.exports) {
                WITSERVE_ASSIGN_OR_RETURN(RtItem i, s.item(e.item));
                inst->items.emplace_back(e.name.name, std::move(i));
              }
            }
            s.instances.push_back(inst);
            if (s.instances.size() <= st.instances.size())
              s.bind_instance(st.instances[s.instances.size() - 1], *inst);
          } else if constexpr (std::is_same_v<D, ast::Alias>) {
            if (auto* e = std::get_if<ast::ExportAlias>(&d)) {
              WITSERVE_ASSIGN_OR_RETURN(auto inst, at(s.instances, e->instance, "instance"));
              const RtItem* i = inst->find(e->name);
              if (!i) return Error(ErrorKind::kInternal, "instance has no export '" + e->name + "' at run time");
              const ExternType* stype = nullptr;
              if (i->kind == K::kType && s.types.size() < st.types.size()) stype = &st.types[s.types.size()];
              s.push(*i, stype);
            } else if (auto* e = std::get_if<ast::CoreExportAlias>(&d)) {
              WITSERVE_ASSIGN_OR_RETURN(auto inst, at(s.core_instances, e->instance, "core instance"));
              auto x = inst->find(e->name);
              if (!x) return Error(ErrorKind::kInternal, "core instance has no export '" + e->name + "'");
              WITSERVE_TRY(push_core(s, *x, e->sort));
            } else {
              const auto& o = std::get<ast::OuterAlias>(d);
              Scope* target = &s;
              for (uint32_t k = 0; k < o.count && target; ++k) target = target->parent;
              if (!target) return Error(ErrorKind::kInternal, "outer alias past the outermost component");
              if (o.sort.sort == ast::Sort::kType) {
                WITSERVE_ASSIGN_OR_RETURN(auto t, at(target->types, o.index, "type"));
                s.types.push_back(t);
              } else if (o.sort.sort == ast::Sort::kComponent) {
                WITSERVE_ASSIGN_OR_RETURN(auto c, at(target->components, o.index, "component"));
                s.components.push_back(c);
              } else if (o.sort.sort == ast::Sort::kCore && o.sort.core == ast::CoreSort::kModule) {
                WITSERVE_ASSIGN_OR_RETURN(auto m, at(target->core_modules, o.index, "core module"));
                s.core_modules.push_back(m);
              }
            }
          } else if constexpr (std::is_same_v<D, std::shared_ptr<const ast::TypeDef>>) {
            const ExternType& t = st.types.at(s.types.size());
            RtItem i;
            i.kind = K::kType;
            i.resource = t.resource;
            i.value = t.value;
            if (t.resource && t.resource->defined) {
              std::shared_ptr<engine::Func> dtor;
              if (t.resource->dtor_core_func) {
                WITSERVE_ASSIGN_OR_RETURN(dtor, at(s.core_funcs, *t.resource->dtor_core_func, "core func"));
              }
              // Each instance of a component defines its own resource type: a second instance
              // gets a fresh identity, so handles and representations never mix between them.
              if (implementers.count(t.resource)) {
                i.resource = runtime_types.new_resource(t.resource->name, true, t.resource->dtor_core_func);
                s.bind(t.resource, i.resource);
              }
              implementers[i.resource] = {&s, dtor};
            }
            s.types.push_back(i);
          } else if constexpr (std::is_same_v<D, ast::CanonDef>) {
            using CK = ast::CanonDef::Kind;
            switch (d.kind) {
              case CK::kLift: {
                WITSERVE_ASSIGN_OR_RETURN(auto core, at(s.core_funcs, d.func, "core func"));
                const FuncType* type = st.types.at(d.type).func;
                CanonOptions opts = canon_options(s, d.opts);
                std::shared_ptr<engine::Func> post;
                if (d.opts.post_return) {
                  WITSERVE_ASSIGN_OR_RETURN(post, at(s.core_funcs, *d.opts.post_return, "core func"));
                }
                Scope* sp = &s;
                s.funcs.push_back(std::make_shared<RtFunc>(RtFunc{
                    type,
                    [core, type, opts, post, sp](std::span<const Value> args) -> Result<std::optional<Value>> {
                      return call_lifted(*sp, *core, post.get(), *type, opts, args);
                    },
                    [core, type, opts, post, sp](const LowerFn& lower, const LiftFn& lift) -> Status {
                      return call_lifted_raw(*sp, *core, post.get(), *type, opts, lower, lift);
                    }}));
                break;
              }
              case CK::kLower: {
                WITSERVE_ASSIGN_OR_RETURN(auto callee, at(s.funcs, d.func, "func"));
                const FuncType* type = st.funcs.at(d.func);
                CanonOptions opts = canon_options(s, d.opts);
                Scope* sp = &s;
                s.core_funcs.push_back(store->host_func(
                    type->core_lower(), [callee, type, opts, sp](std::span<const Val> args, std::span<Val> results) -> Status {
                      CanonContext cx(opts);
                      // Borrows lifted from the caller's table are lent for the duration of the call.
                      std::vector<Scope::Lend> lends;
                      struct Lending {
                        Scope& s;
                        std::vector<Scope::Lend>& lends;
                        std::vector<Scope::Lend>* saved;
                        Lending(Scope& sc, std::vector<Scope::Lend>& l) : s(sc), lends(l), saved(sc.lending) { s.lending = &l; }
                        ~Lending() { s.lending = saved; s.end_lends(lends); }
                      } lending(*sp, lends);
                      WITSERVE_ASSIGN_OR_RETURN(auto values, cx.lift_params(*type, args));
                      sp->lending = lending.saved;
                      WITSERVE_ASSIGN_OR_RETURN(auto result, callee->call(values));
                      return cx.lower_results(*type, result, args, results);
                    }));
                break;
              }
              case CK::kResourceNew:
              case CK::kResourceRep:
              case CK::kResourceDrop: {
                const ResourceType* r = s.rt(st.types.at(d.type).resource);
                Scope* sp = &s;
                Impl* self = this;
                if (d.kind == CK::kResourceNew) {
                  s.core_funcs.push_back(store->host_func({{ValType::kI32}, {ValType::kI32}},
                      [sp, r](std::span<const Val> a, std::span<Val> res) -> Status {
                        WITSERVE_ASSIGN_OR_RETURN(uint32_t h, sp->add({r, uint32_t(a[0].of.i32), true, true}));
                        res[0] = Val::i32(int32_t(h));
                        return ok();
                      }));
                } else if (d.kind == CK::kResourceRep) {
                  s.core_funcs.push_back(store->host_func({{ValType::kI32}, {ValType::kI32}},
                      [sp, r](std::span<const Val> a, std::span<Val> res) -> Status {
                        WITSERVE_ASSIGN_OR_RETURN(Scope::Entry * e, sp->get(r, uint32_t(a[0].of.i32)));
                        res[0] = Val::i32(int32_t(e->rep));
                        return ok();
                      }));
                } else {
                  s.core_funcs.push_back(store->host_func({{ValType::kI32}, {}},
                      [sp, r, self](std::span<const Val> a, std::span<Val>) -> Status {
                        WITSERVE_ASSIGN_OR_RETURN(Scope::Entry e, sp->take(r, uint32_t(a[0].of.i32)));
                        if (!e.own) return ok();
                        return self->destroy(e.type, e.rep);
                      }));
                }
                break;
              }
              case CK::kOther: {
                uint8_t op = d.opcode;
                s.core_funcs.push_back(store->host_func({}, [op](auto, auto) -> Status {
                  return Error(ErrorKind::kUnsupported, "canonical built-in " + std::to_string(op) + " is not supported");
                }));
                break;
              }
            }
          } else if constexpr (std::is_same_v<D, ast::StartDef>) {
            return Error(ErrorKind::kUnsupported, "component start functions are not supported");
          } else if constexpr (std::is_same_v<D, ast::ImportDef>) {
            const ExternType* stype = nullptr;
            for (const auto& i : rc.type->imports)
              if (i.name == d.name.name) stype = &i.type;
            if (!stype) return Error(ErrorKind::kInternal, "import without a type");
            RtItem item;
            if (args) {
              auto it = args->find(d.name.name);
              if (it == args->end()) return link_error("no argument for import '" + d.name.name + "'");
              item = it->second;
            } else {
              WITSERVE_ASSIGN_OR_RETURN(item, host_item(*this, s, d.name.name, *stype));
            }
            if (item.kind == K::kInstance && stype->kind == K::kInstance) s.bind_instance(stype->instance, *item.instance);
            s.push(item, stype);
          } else if constexpr (std::is_same_v<D, ast::ExportDef>) {
            WITSERVE_ASSIGN_OR_RETURN(RtItem item, s.item(d.item));
            exports->items.emplace_back(d.name.name, item);
            const ExternType* stype = nullptr;
            for (const auto& e : rc.type->exports)
              if (e.name == d.name.name) stype = &e.type;
            s.push(item, stype);
          } else if constexpr (std::is_same_v<D, ast::ValueDef>) {
            return Error(ErrorKind::kUnsupported, "value definitions are not supported");
          }
          return ok();
        },
        def);
    if (!status.ok()) return std::move(status).error().with_context("definition " + std::to_string(def_index));
    ++def_index;
  }
  return exports;
}

// ---- CompiledComponent ----------------------------------------------------------------------

Result<std::shared_ptr<const CompiledComponent>> CompiledComponent::compile(engine::Engine& engine,
                                                                            std::vector<uint8_t> bytes) {
  WITSERVE_ASSIGN_OR_RETURN(auto resolved, load_component(std::move(bytes)));
  auto out = std::shared_ptr<CompiledComponent>(new CompiledComponent());
  out->resolved_ = resolved;
  // A memory's size can be made virtual (so recycled instances whose memory grew can be reset)
  // unless some module sizes or grows a memory it imports: it would see the real size.
  // Each module's code is scanned once, here, and the result handed to the engine.
  bool virtual_sizes = true;
  std::map<const ast::CoreModuleDef*, engine::ModuleState> states;
  std::function<void(const ast::Component&)> read_states = [&](const ast::Component& c) {
    for (const auto& d : c.defs) {
      if (auto* m = std::get_if<ast::CoreModuleDef>(&d)) {
        auto& st = states[m] = engine::read_module_state(m->bytes);
        if (st.sizes_imported_memory) virtual_sizes = false;
      } else if (auto* n = std::get_if<std::shared_ptr<const ast::Component>>(&d)) {
        read_states(**n);
      }
    }
  };
  read_states(*resolved->ast);
  std::function<Status(const ast::Component&)> compile_all = [&](const ast::Component& c) -> Status {
    for (const auto& d : c.defs) {
      if (auto* m = std::get_if<ast::CoreModuleDef>(&d)) {
        auto mod = engine.compile(m->bytes, {.virtual_memory_size = virtual_sizes, .state = &states.at(m)});
        if (!mod.ok())
          return std::move(mod).error().with_context("core module at byte " + std::to_string(m->offset));
        out->modules_[m] = *mod;
      } else if (auto* n = std::get_if<std::shared_ptr<const ast::Component>>(&d)) {
        WITSERVE_TRY(compile_all(**n));
      }
    }
    return ok();
  };
  WITSERVE_TRY(compile_all(*resolved->ast));
  return std::shared_ptr<const CompiledComponent>(out);
}

std::shared_ptr<const engine::Module> CompiledComponent::module_for(const ast::CoreModuleDef* def) const {
  auto it = modules_.find(def);
  return it == modules_.end() ? nullptr : it->second;
}

// ---- Linker ---------------------------------------------------------------------------------

void Linker::define_func(std::string instance, std::string name, HostFunction fn) {
  funcs_[{std::move(instance), std::move(name)}] = FuncDef{std::move(fn), nullptr};
}

void Linker::define_func(std::string instance, std::string name, const FuncType* type, HostFunction fn) {
  funcs_[{std::move(instance), std::move(name)}] = FuncDef{std::move(fn), type};
}

void Linker::define_resource(std::string instance, std::string name, std::function<void(uint32_t)> drop) {
  const ResourceType* r = arena_->new_resource(name, /*defined=*/true);
  resources_[{std::move(instance), std::move(name)}] = ResourceDef{r, std::move(drop)};
}

namespace {
// "wasi:http/types@0.2.3" -> "wasi:http/types"
std::string_view unversioned(std::string_view n) {
  auto at = n.find('@');
  return at == std::string_view::npos ? n : n.substr(0, at);
}
}  // namespace

template <typename Map>
static auto* find_named(const Map& m, const std::string& instance, const std::string& name) {
  auto it = m.find({instance, name});
  if (it != m.end()) return &it->second;
  // An import of another 0.x/1.x version of the same interface is served by the host's version.
  // The map is ordered by interface name, so every version of it sits in one run of keys.
  std::string_view base = unversioned(instance);
  for (auto i = m.lower_bound({std::string(base), std::string()});
       i != m.end() && std::string_view(i->first.first).starts_with(base); ++i)
    if (i->first.second == name && unversioned(i->first.first) == base) return &i->second;
  return static_cast<decltype(&it->second)>(nullptr);
}

const Linker::FuncDef* Linker::find_func(const std::string& instance, const std::string& name) const {
  return find_named(funcs_, instance, name);
}

const Linker::ResourceDef* Linker::find_resource(const std::string& instance, const std::string& name) const {
  return find_named(resources_, instance, name);
}

// ---- ComponentInstance ----------------------------------------------------------------------

Result<std::unique_ptr<ComponentInstance>> ComponentInstance::instantiate(
    std::shared_ptr<const CompiledComponent> component, engine::Store& store, const Linker& linker,
    Options options) {
  const auto& rc = component->resolved();
  if (!rc.unsupported.empty())
    return Error(ErrorKind::kUnsupported, "the component uses " + rc.unsupported.front() +
                                              ", which witserve does not run yet");
  std::unique_ptr<ComponentInstance> out(new ComponentInstance());
  out->impl_ = std::make_unique<Impl>();
  Impl& impl = *out->impl_;
  impl.cc = std::move(component);
  impl.store = &store;
  impl.linker = &linker;
  auto root = std::make_unique<Scope>();
  root->impl = &impl;
  root->rc = &impl.cc->resolved();
  Scope& rs = *root;
  impl.scopes.push_back(std::move(root));
  impl.recycle = options.recyclable;
  auto exports = impl.instantiate(rs, nullptr);
  if (!exports.ok() && options.recyclable && !impl.not_recyclable.empty()) {
    // The component cannot be recycled: an ordinary instance, and the reason kept for the caller.
    std::string why = std::move(impl.not_recyclable);
    auto cc = impl.cc;
    WITSERVE_ASSIGN_OR_RETURN(out, instantiate(cc, store, linker, Options{}));
    out->impl_->not_recyclable = std::move(why);
    return out;
  }
  if (!exports.ok()) return std::move(exports).error();
  impl.exports = std::move(*exports);
  if (impl.recycle) {
    for (auto& [instance, image] : impl.images) {
      auto captured = instance->capture();
      if (!captured.ok()) {
        std::string why = captured.error().message();
        auto cc = impl.cc;
        WITSERVE_ASSIGN_OR_RETURN(out, instantiate(cc, store, linker, Options{}));
        out->impl_->not_recyclable = std::move(why);
        return out;
      }
      image = std::move(*captured);
    }
    for (engine::Instance* instance : impl.starts)
      if (Status st = instance->run_start(); !st.ok()) return std::move(st).error().with_context("instantiate");
    if (!impl.starts.empty() && impl.host_calls == 0) {
      // The start functions called nothing outside the component, so what they did is the same
      // every time: capture it, and do not run them again after a reset.
      for (auto& [instance, image] : impl.images) {
        WITSERVE_ASSIGN_OR_RETURN(image, instance->capture());
      }
      impl.starts.clear();
    }
  }
  return out;
}

ComponentInstance::~ComponentInstance() = default;

bool ComponentInstance::recyclable() const { return impl_->recycle && impl_->not_recyclable.empty(); }

const std::string& ComponentInstance::not_recyclable_reason() const { return impl_->not_recyclable; }

Status ComponentInstance::reset() {
  Impl& impl = *impl_;
  if (!recyclable()) return Error(ErrorKind::kUnsupported, "this instance cannot be reset");
  for (auto& [instance, image] : impl.images) WITSERVE_TRY(instance->reset(*image));
  for (auto& scope : impl.scopes) {
    scope->handles = HandleTable<Scope::Entry>(1);
    scope->trapped = false;
    scope->entered = false;
    scope->lent = nullptr;
    scope->lending = nullptr;
  }
  impl.host = HandleTable<HostHandle>(0);
  for (engine::Instance* instance : impl.starts) WITSERVE_TRY(instance->run_start());
  return ok();
}

namespace {
const RtItem* find_export(const RtInstance& root, std::string_view name, std::string_view instance) {
  if (instance.empty()) return root.find(name);
  const RtItem* inst = root.find(instance);
  if (!inst || inst->kind != K::kInstance) return nullptr;
  return inst->instance->find(name);
}
}  // namespace

const FuncType* ComponentInstance::export_type(std::string_view name, std::string_view instance) const {
  const RtItem* i = find_export(*impl_->exports, name, instance);
  return i && i->kind == K::kFunc ? i->func->type : nullptr;
}

Result<std::optional<Value>> ComponentInstance::call(std::string_view name, std::span<const Value> args,
                                                     std::string_view instance) {
  const RtItem* i = find_export(*impl_->exports, name, instance);
  if (!i || i->kind != K::kFunc)
    return Error(ErrorKind::kNotFound, "no exported function '" +
                                           (instance.empty() ? std::string() : std::string(instance) + "#") +
                                           std::string(name) + "'");
  return i->func->call(args);
}

Status ComponentInstance::call_raw(std::string_view name, std::string_view instance, const LowerFn& lower,
                                   const LiftFn& lift) {
  const RtItem* i = find_export(*impl_->exports, name, instance);
  if (!i || i->kind != K::kFunc || !i->func->raw)
    return Error(ErrorKind::kNotFound, "no exported lifted function '" + std::string(name) + "'");
  return i->func->raw(lower, lift);
}

Result<ComponentInstance::RawEntry> ComponentInstance::raw_entry(std::string_view name, std::string_view instance) {
  const RtItem* i = find_export(*impl_->exports, name, instance);
  if (!i || i->kind != K::kFunc || !i->func->raw)
    return Error(ErrorKind::kNotFound, "no exported lifted function '" + std::string(name) + "'");
  return i->func->raw;
}

const HostHandle* ComponentInstance::host_handle(uint32_t h) const {
  return impl_->host.get(h);
}

Result<uint32_t> ComponentInstance::new_host_resource(const std::string& instance, const std::string& name,
                                                      uint32_t rep) {
  const Linker::ResourceDef* r = impl_->linker->find_resource(instance, name);
  if (!r) return Error(ErrorKind::kNotFound, "the host defines no resource '" + name + "' in '" + instance + "'");
  return impl_->add_host({r->type, rep, true, true});
}

Status ComponentInstance::drop(uint32_t h) {
  const HostHandle* found = impl_->host.get(h);
  if (!found) return Error(ErrorKind::kInvalidArgument, "unknown host handle " + std::to_string(h));
  HostHandle hh = *found;
  impl_->host.remove(h);
  if (!hh.own) return ok();
  return impl_->destroy(hh.type, hh.rep);
}

}  // namespace witserve::component
