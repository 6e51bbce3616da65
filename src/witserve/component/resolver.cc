// The resolver: types and checks every definition of a component, in order. See resolver.h.
#include "witserve/component/resolver.h"

#include <functional>
#include <set>

#include "witserve/component/decoder.h"
#include "witserve/component/names.h"
#include "witserve/component/resolver_canon.h"
#include "witserve/component/visibility.h"
#include "witserve/engine/module_info.h"

namespace witserve::component {
namespace {

using K = ExternType::Kind;
using engine::ValType;

using resolver_detail::at;
using resolver_detail::idx;
using resolver_detail::invalid;

struct Scope {
  IndexSpaces* s;
  Scope* parent;
  bool component = false;  // a component's scope, not a component or instance type's
};

class Resolver {
 public:
  Resolver(std::shared_ptr<TypeArena> arena, std::vector<std::pair<const void*, std::string>>* names,
           std::vector<std::string>* unsupported)
      : arena_(std::move(arena)), names_(names), unsupported_(unsupported) {}

  Result<std::shared_ptr<ResolvedComponent>> component(std::shared_ptr<const ast::Component> c,
                                                       Scope* parent);

 private:
  // ---- types ----
  Result<TypeRef> val_type(Scope& sc, const ast::ValType& t) {
    if (t.is_prim) return arena_->primitive(TypeKind(uint8_t(t.prim)));
    WITSERVE_ASSIGN_OR_RETURN(ExternType e, at(sc.s->types, t.index, "type index"));
    if (e.kind != K::kType || !e.value)
      return invalid(idx("type index", t.index) + " is used as a value type but is not one");
    return e.value;
  }

  Result<TypeRef> opt_val_type(Scope& sc, const std::optional<ast::ValType>& t) {
    if (!t) return TypeRef(nullptr);
    return val_type(sc, *t);
  }

  Result<const ResourceType*> resource_at(Scope& sc, uint32_t i) {
    WITSERVE_ASSIGN_OR_RETURN(ExternType e, at(sc.s->types, i, "type index"));
    if (e.kind != K::kType || !e.resource)
      return invalid(idx("type index", i) + " is used as a resource but is not one");
    return e.resource;
  }

  Result<std::vector<Field>> fields(Scope& sc, const std::vector<ast::LabeledType>& in) {
    std::vector<Field> out;
    for (const auto& f : in) {
      WITSERVE_ASSIGN_OR_RETURN(TypeRef t, val_type(sc, f.type));
      out.push_back({f.label, t});
    }
    return out;
  }

  Result<ExternType> type_def(Scope& sc, const ast::TypeDef& td, bool in_type_scope) {
    ExternType out;
    out.kind = K::kType;
    ValueType v;
    Status st = std::visit(
        [&](const auto& d) -> Status {
          using D = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<D, ast::PrimType>) {
            out.value = arena_->primitive(TypeKind(uint8_t(d)));
          } else if constexpr (std::is_same_v<D, ast::RecordType>) {
            v.kind = TypeKind::kRecord;
            WITSERVE_ASSIGN_OR_RETURN(v.fields, fields(sc, d.fields));
            std::vector<std::string> ls;
            for (const auto& f : d.fields) ls.push_back(f.label);
            WITSERVE_TRY(labels_ok(ls, "record field"));
          } else if constexpr (std::is_same_v<D, ast::VariantType>) {
            v.kind = TypeKind::kVariant;
            std::vector<std::string> ls;
            for (const auto& c : d.cases) ls.push_back(c.label);
            WITSERVE_TRY(labels_ok(ls, "variant case"));
            for (const auto& c : d.cases) {
              WITSERVE_ASSIGN_OR_RETURN(TypeRef t, opt_val_type(sc, c.type));
              v.cases.push_back({c.label, t});
            }
          } else if constexpr (std::is_same_v<D, ast::ListType>) {
            v.kind = TypeKind::kList;
            WITSERVE_ASSIGN_OR_RETURN(v.element, val_type(sc, d.element));
            v.fixed_length = d.fixed_length;
          } else if constexpr (std::is_same_v<D, ast::TupleType>) {
            v.kind = TypeKind::kTuple;
            for (const auto& e : d.elements) {
              WITSERVE_ASSIGN_OR_RETURN(TypeRef t, val_type(sc, e));
              v.elements.push_back(t);
            }
          } else if constexpr (std::is_same_v<D, ast::FlagsType>) {
            v.kind = TypeKind::kFlags;
            v.labels = d.labels;
            WITSERVE_TRY(labels_ok(d.labels, "flag"));
          } else if constexpr (std::is_same_v<D, ast::EnumType>) {
            v.kind = TypeKind::kEnum;
            v.labels = d.labels;
            WITSERVE_TRY(labels_ok(d.labels, "enum case"));
          } else if constexpr (std::is_same_v<D, ast::OptionType>) {
            v.kind = TypeKind::kOption;
            WITSERVE_ASSIGN_OR_RETURN(v.element, val_type(sc, d.type));
            v.cases = {{"none", nullptr}, {"some", v.element}};
          } else if constexpr (std::is_same_v<D, ast::ResultType>) {
            v.kind = TypeKind::kResult;
            WITSERVE_ASSIGN_OR_RETURN(TypeRef ok, opt_val_type(sc, d.ok));
            WITSERVE_ASSIGN_OR_RETURN(TypeRef err, opt_val_type(sc, d.error));
            v.cases = {{"ok", ok}, {"error", err}};
          } else if constexpr (std::is_same_v<D, ast::OwnType> || std::is_same_v<D, ast::BorrowType>) {
            v.kind = std::is_same_v<D, ast::OwnType> ? TypeKind::kOwn : TypeKind::kBorrow;
            WITSERVE_ASSIGN_OR_RETURN(v.resource, resource_at(sc, d.resource));
          } else if constexpr (std::is_same_v<D, ast::StreamType> || std::is_same_v<D, ast::FutureType>) {
            v.kind = std::is_same_v<D, ast::StreamType> ? TypeKind::kStream : TypeKind::kFuture;
            WITSERVE_ASSIGN_OR_RETURN(v.element, opt_val_type(sc, d.element));
          } else if constexpr (std::is_same_v<D, ast::MapType>) {
            v.kind = TypeKind::kMap;
            WITSERVE_ASSIGN_OR_RETURN(v.element, val_type(sc, d.key));
            WITSERVE_ASSIGN_OR_RETURN(v.value, val_type(sc, d.value));
          } else if constexpr (std::is_same_v<D, ast::FuncType>) {
            FuncType f;
            f.async = d.async;
            WITSERVE_ASSIGN_OR_RETURN(f.params, fields(sc, d.params));
            std::vector<std::string> ls;
            for (const auto& p : d.params) ls.push_back(p.label);
            WITSERVE_TRY(labels_ok(ls, "function parameter"));
            WITSERVE_ASSIGN_OR_RETURN(f.result, opt_val_type(sc, d.result));
            if (f.result && contains_borrow(f.result))
              return invalid("a function result may not contain a borrow handle");
            out.kind = K::kFunc;
            out.func = arena_->add(std::move(f));
            if (std::string why = check_limits(*out.func); !why.empty()) return invalid(why);
          } else if constexpr (std::is_same_v<D, ast::ComponentType>) {
            IndexSpaces inner;
            Scope child{&inner, &sc};
            ComponentType ct;
            WITSERVE_TRY(decls(child, d.decls, &ct.imports, &ct.exports));
            out.kind = K::kComponent;
            out.component = arena_->add(std::move(ct));
          } else if constexpr (std::is_same_v<D, ast::InstanceType>) {
            IndexSpaces inner;
            Scope child{&inner, &sc};
            InstanceType it;
            WITSERVE_TRY(decls(child, d.decls, nullptr, &it.exports));
            out.kind = K::kInstance;
            out.instance = arena_->add(std::move(it));
          } else if constexpr (std::is_same_v<D, ast::ResourceType>) {
            if (in_type_scope) return invalid("a resource type cannot be defined inside a type");
            if (d.dtor) {
              WITSERVE_ASSIGN_OR_RETURN(auto ft, at(sc.s->core_funcs, *d.dtor, "core func"));
              if (ft != engine::FuncType{{ValType::kI32}, {}})
                return invalid("a resource destructor must have type (i32) -> (), core func " +
                               std::to_string(*d.dtor) + " has " + engine::to_string(ft));
            }
            out.resource = arena_->new_resource("", true, d.dtor);
          }
          return ok();
        },
        td.def);
    WITSERVE_TRY(st);
    if (out.kind == K::kType && !out.value && !out.resource) {
      out.value = arena_->add(std::move(v));
      if (std::string why = check_limits(out.value); !why.empty()) return invalid(why);
    }
    return out;
  }

  static Status labels_ok(const std::vector<std::string>& labels, const char* what) {
    if (std::string why = check_labels(labels, what); !why.empty()) return invalid(why);
    return ok();
  }

  static bool contains_borrow(TypeRef t) {
    if (!t) return false;
    switch (t->kind) {
      case TypeKind::kBorrow: return true;
      case TypeKind::kRecord:
        for (auto& f : t->fields) if (contains_borrow(f.type)) return true;
        return false;
      case TypeKind::kVariant: case TypeKind::kResult: case TypeKind::kOption:
        for (auto& c : t->cases) if (contains_borrow(c.type)) return true;
        return false;
      case TypeKind::kTuple:
        for (auto e : t->elements) if (contains_borrow(e)) return true;
        return false;
      case TypeKind::kList: case TypeKind::kStream: case TypeKind::kFuture:
        return contains_borrow(t->element);
      case TypeKind::kMap:
        return contains_borrow(t->element) || contains_borrow(t->value);
      default: return false;
    }
  }

  Result<const CoreModuleType*> core_module_type(Scope& sc, const ast::CoreModuleType& mt) {
    CoreModuleType out;
    std::vector<std::optional<engine::FuncType>> types;
    // A func or tag typed by an outer-aliased function type.
    auto typed = [&](engine::ExternType t, const std::optional<uint32_t>& aliased) -> Result<engine::ExternType> {
      if (!aliased) return t;
      if (*aliased >= types.size() || !types[*aliased])
        return invalid("core type index " + std::to_string(*aliased) + " is not a function type of this module type");
      if (auto* f = std::get_if<engine::FuncType>(&t)) *f = *types[*aliased];
      else if (auto* g = std::get_if<engine::TagType>(&t)) g->type = *types[*aliased];
      return t;
    };
    std::set<std::string> export_names;
    std::set<std::pair<std::string, std::string>> import_names;
    for (const auto& d : mt.decls) {
      if (d.kind == ast::CoreModuleDecl::Kind::kExport && !export_names.insert(d.export_name).second)
        return invalid("module type: export name `" + d.export_name + "` already defined");
      if (d.kind == ast::CoreModuleDecl::Kind::kImport) {
        if (!import_names.insert({d.import.module, d.import.name}).second)
          return invalid("module type: duplicate import name `" + d.import.module + ":" + d.import.name + "`");
        if (auto* mem = std::get_if<engine::MemoryType>(&d.import.type);
            mem && !mem->memory64 && (mem->limits.min > 65536 || (mem->limits.max && *mem->limits.max > 65536)))
          return invalid("module type: memory size must be at most 65536 pages (4GiB)");
      }
      switch (d.kind) {
        case ast::CoreModuleDecl::Kind::kImport: {
          engine::ImportType imp = d.import;
          WITSERVE_ASSIGN_OR_RETURN(imp.type, typed(imp.type, d.aliased_type));
          out.imports.push_back(std::move(imp));
          break;
        }
        case ast::CoreModuleDecl::Kind::kExport: {
          WITSERVE_ASSIGN_OR_RETURN(auto t, typed(d.export_type, d.aliased_type));
          out.exports.push_back({d.export_name, t});
          break;
        }
        case ast::CoreModuleDecl::Kind::kType: types.push_back(*d.type); break;
        case ast::CoreModuleDecl::Kind::kAlias: {
          // The module type is a scope of its own: count 1 is the component around it.
          if (d.alias.count == 0) return invalid("a module type's outer alias must reach past the module type");
          WITSERVE_ASSIGN_OR_RETURN(Scope * target, outer(sc, d.alias.count - 1));
          WITSERVE_ASSIGN_OR_RETURN(auto ct, at(target->s->core_types, d.alias.index, "core type"));
          if (!std::holds_alternative<engine::FuncType>(ct))
            return invalid("a module type may only alias function types");
          types.push_back(std::get<engine::FuncType>(ct));
          break;
        }
      }
    }
    return arena_->add(std::move(out));
  }

  Result<Scope*> outer(Scope& sc, uint32_t count) {
    Scope* s = &sc;
    for (uint32_t i = 0; i < count; ++i) {
      if (!s->parent) return invalid("outer alias reaches " + std::to_string(count) +
                                     " scopes out, past the outermost component");
      s = s->parent;
    }
    return s;
  }

  void name_type(const ExternType& t, const std::string& name) {
    if (t.kind == K::kInstance) {  // resources exported through an instance take their names there
      for (const auto& e : t.instance->exports) name_type(e.type, e.name);
      return;
    }
    if (t.kind != K::kType) return;
    if (t.resource) {
      arena_->name_resource(t.resource, name);
      if (t.resource->origin) arena_->name_resource(t.resource->origin, name);  // the resource it names
    }
    if (t.value && !t.value->is_primitive()) names_->emplace_back(t.value, name);
  }

  Result<ExternType> extern_type(Scope& sc, const ast::ExternType& e, const std::string& name) {
    ExternType out;
    switch (e.kind) {
      case ast::ExternType::Kind::kCoreModule: {
        WITSERVE_ASSIGN_OR_RETURN(auto ct, at(sc.s->core_types, e.index, "core type"));
        if (!std::holds_alternative<const CoreModuleType*>(ct))
          return invalid(idx("core type", e.index) + " is not a module type");
        out.kind = K::kCoreModule;
        out.core_module = std::get<const CoreModuleType*>(ct);
        return out;
      }
      case ast::ExternType::Kind::kFunc:
      case ast::ExternType::Kind::kInstance:
      case ast::ExternType::Kind::kComponent: {
        WITSERVE_ASSIGN_OR_RETURN(out, at(sc.s->types, e.index, "type index"));
        K want = e.kind == ast::ExternType::Kind::kFunc       ? K::kFunc
                 : e.kind == ast::ExternType::Kind::kInstance ? K::kInstance
                                                              : K::kComponent;
        if (out.kind != want)
          return invalid("'" + name + "': " + idx("type index", e.index) + " is not a " +
                         (want == K::kFunc ? "function" : want == K::kInstance ? "instance" : "component") +
                         " type");
        return out;
      }
      case ast::ExternType::Kind::kValue: {
        out.kind = K::kValue;
        if (e.value_is_eq) {
          WITSERVE_ASSIGN_OR_RETURN(out.value, at(sc.s->values, e.index, "value"));
        } else {
          WITSERVE_ASSIGN_OR_RETURN(out.value, val_type(sc, e.value_type));
        }
        return out;
      }
      case ast::ExternType::Kind::kType: {
        out.kind = K::kType;
        if (e.bound.is_sub_resource) {
          out.resource = arena_->new_resource(name, false);
          return out;
        }
        WITSERVE_ASSIGN_OR_RETURN(ExternType t, at(sc.s->types, e.bound.eq_index, "type index"));
        if (t.kind != K::kType) return invalid("'" + name + "': only value and resource types can be imported or exported as types");
        return t;
      }
    }
    return invalid("unknown extern type");
  }

  void push(Scope& sc, const ExternType& t) {
    switch (t.kind) {
      case K::kCoreModule: sc.s->core_modules.push_back(t.core_module); break;
      case K::kFunc: sc.s->funcs.push_back(t.func); break;
      case K::kValue: sc.s->values.push_back(t.value); break;
      case K::kType: {
        // The type index space keeps a function, component or instance type as its definition.
        ExternType entry = t;
        if (t.func) entry.kind = K::kFunc;
        else if (t.instance) entry.kind = K::kInstance;
        else if (t.component) entry.kind = K::kComponent;
        sc.s->types.push_back(entry);
        break;
      }
      case K::kInstance: sc.s->instances.push_back(t.instance); break;
      case K::kComponent: sc.s->components.push_back(t.component); break;
    }
  }

  Status alias(Scope& sc, const ast::Alias& a) {
    if (auto* e = std::get_if<ast::ExportAlias>(&a)) {
      WITSERVE_ASSIGN_OR_RETURN(const InstanceType* inst, at(sc.s->instances, e->instance, "instance"));
      const NamedExtern* item = inst->find(e->name);
      if (!item) return invalid(idx("instance", e->instance) + " has no export '" + e->name + "'");
      if (!sort_matches(e->sort, item->type.kind))
        return invalid("alias of '" + e->name + "' as a " + ast::to_string(e->sort) + ", but it is not one");
      push(sc, item->type);
      return ok();
    }
    if (auto* e = std::get_if<ast::CoreExportAlias>(&a)) {
      WITSERVE_ASSIGN_OR_RETURN(auto inst, at(sc.s->core_instances, e->instance, "core instance"));
      const CoreExternType* item = inst.find(e->name);
      if (!item) return invalid(idx("core instance", e->instance) + " has no export '" + e->name + "'");
      return push_core(sc, e->sort, *item, e->name);
    }
    const auto& o = std::get<ast::OuterAlias>(a);
    WITSERVE_ASSIGN_OR_RETURN(Scope * target, outer(sc, o.count));
    bool crosses_component = false;  // leaves a component's scope on the way out
    for (Scope* x = &sc; x != target; x = x->parent) crosses_component |= x->component;
    switch (o.sort.sort) {
      case ast::Sort::kType: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, at(target->s->types, o.index, "type index"));
        if (crosses_component && refers_to_resources(t))
          return invalid("outer alias of type index " + std::to_string(o.index) +
                         " into a nested component: the type transitively refers to resources");
        sc.s->types.push_back(t);
        return ok();
      }
      case ast::Sort::kComponent: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, at(target->s->components, o.index, "component"));
        sc.s->components.push_back(t);
        return ok();
      }
      case ast::Sort::kCore:
        if (o.sort.core == ast::CoreSort::kModule) {
          WITSERVE_ASSIGN_OR_RETURN(auto m, at(target->s->core_modules, o.index, "core module"));
          sc.s->core_modules.push_back(m);
          return ok();
        }
        if (o.sort.core == ast::CoreSort::kType) {
          WITSERVE_ASSIGN_OR_RETURN(auto t, at(target->s->core_types, o.index, "core type"));
          sc.s->core_types.push_back(t);
          return ok();
        }
        break;
      default:
        break;
    }
    return invalid("outer alias of a " + ast::to_string(o.sort) + " is not allowed");
  }

  static bool sort_matches(ast::SortKind s, K kind) {
    switch (s.sort) {
      case ast::Sort::kFunc: return kind == K::kFunc;
      case ast::Sort::kValue: return kind == K::kValue;
      case ast::Sort::kType: return kind == K::kType;
      case ast::Sort::kComponent: return kind == K::kComponent;
      case ast::Sort::kInstance: return kind == K::kInstance;
      case ast::Sort::kCore: return s.core == ast::CoreSort::kModule && kind == K::kCoreModule;
    }
    return false;
  }

  Status push_core(Scope& sc, ast::CoreSort sort, const CoreExternType& item, const std::string& name) {
    auto kind = engine::kind_of(item);
    auto mismatch = [&] {
      return invalid("core export '" + name + "' is a " + engine::to_string(kind) + ", not a " +
                     ast::to_string(sort));
    };
    switch (sort) {
      case ast::CoreSort::kFunc:
        if (kind != engine::ExternKind::kFunc) return mismatch();
        sc.s->core_funcs.push_back(std::get<engine::FuncType>(item));
        return ok();
      case ast::CoreSort::kTable:
        if (kind != engine::ExternKind::kTable) return mismatch();
        sc.s->core_tables.push_back(std::get<engine::TableType>(item));
        return ok();
      case ast::CoreSort::kMemory:
        if (kind != engine::ExternKind::kMemory) return mismatch();
        sc.s->core_memories.push_back(std::get<engine::MemoryType>(item));
        return ok();
      case ast::CoreSort::kGlobal:
        if (kind != engine::ExternKind::kGlobal) return mismatch();
        sc.s->core_globals.push_back(std::get<engine::GlobalType>(item));
        return ok();
      default:
        return invalid("core export '" + name + "' cannot be aliased as a " + ast::to_string(sort));
    }
  }

  Result<CoreExternType> core_item(Scope& sc, ast::CoreSortIdx item) {
    switch (item.sort) {
      case ast::CoreSort::kFunc: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, at(sc.s->core_funcs, item.index, "core func"));
        return CoreExternType(t);
      }
      case ast::CoreSort::kTable: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, at(sc.s->core_tables, item.index, "core table"));
        return CoreExternType(t);
      }
      case ast::CoreSort::kMemory: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, at(sc.s->core_memories, item.index, "core memory"));
        return CoreExternType(t);
      }
      case ast::CoreSort::kGlobal: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, at(sc.s->core_globals, item.index, "core global"));
        return CoreExternType(t);
      }
      default:
        return invalid(std::string("a core instance cannot export a ") + ast::to_string(item.sort));
    }
  }

  Result<ExternType> item(Scope& sc, ast::SortIdx si) {
    ExternType out;
    switch (si.kind.sort) {
      case ast::Sort::kFunc: {
        out.kind = K::kFunc;
        WITSERVE_ASSIGN_OR_RETURN(out.func, at(sc.s->funcs, si.index, "func"));
        return out;
      }
      case ast::Sort::kValue: {
        out.kind = K::kValue;
        WITSERVE_ASSIGN_OR_RETURN(out.value, at(sc.s->values, si.index, "value"));
        return out;
      }
      case ast::Sort::kType: {
        WITSERVE_ASSIGN_OR_RETURN(out, at(sc.s->types, si.index, "type index"));
        // A function, component or instance type passed or exported as a type (not as an
        // item of that type): a kType that carries it.
        if (out.kind != K::kType) out.kind = K::kType;
        return out;
      }
      case ast::Sort::kInstance: {
        out.kind = K::kInstance;
        WITSERVE_ASSIGN_OR_RETURN(out.instance, at(sc.s->instances, si.index, "instance"));
        return out;
      }
      case ast::Sort::kComponent: {
        out.kind = K::kComponent;
        WITSERVE_ASSIGN_OR_RETURN(out.component, at(sc.s->components, si.index, "component"));
        return out;
      }
      case ast::Sort::kCore:
        if (si.kind.core == ast::CoreSort::kModule) {
          out.kind = K::kCoreModule;
          WITSERVE_ASSIGN_OR_RETURN(out.core_module, at(sc.s->core_modules, si.index, "core module"));
          return out;
        }
        return invalid(std::string("a ") + ast::to_string(si.kind.core) +
                       " cannot be passed or exported at the component level");
    }
    return invalid("unknown sort");
  }

  Status decls(Scope& sc, const std::vector<ast::Decl>& ds, std::vector<NamedExtern>* imports,
               std::vector<NamedExtern>* exports) {
    NameScope names;
    for (const auto& d : ds) {
      switch (d.kind) {
        case ast::Decl::Kind::kCoreType:
          WITSERVE_TRY(core_type(sc, *d.core_type));
          break;
        case ast::Decl::Kind::kType: {
          WITSERVE_ASSIGN_OR_RETURN(ExternType t, type_def(sc, *d.type, true));
          sc.s->types.push_back(t);
          break;
        }
        case ast::Decl::Kind::kAlias:
          // Inside a type, aliases may only name types (and instances, by export).
          if (auto* e = std::get_if<ast::ExportAlias>(&d.alias);
              e && e->sort.sort != ast::Sort::kType && e->sort.sort != ast::Sort::kInstance)
            return invalid("an alias inside a component or instance type may only refer to types or instances");
          if (std::holds_alternative<ast::CoreExportAlias>(d.alias))
            return invalid("an alias inside a component or instance type may only refer to types or instances");
          if (auto* o = std::get_if<ast::OuterAlias>(&d.alias);
              o && o->sort.sort != ast::Sort::kType && !(o->sort.sort == ast::Sort::kCore && o->sort.core == ast::CoreSort::kType))
            return invalid("an outer alias inside a component or instance type may only refer to types");
          WITSERVE_TRY(alias(sc, d.alias));
          break;
        case ast::Decl::Kind::kImport:
        case ast::Decl::Kind::kExport: {
          WITSERVE_ASSIGN_OR_RETURN(ExternType t, extern_type(sc, d.extern_type, d.name.name));
          bool is_import = d.kind == ast::Decl::Kind::kImport;
          // Component types check visibility here; instance types when they are imported or exported.
          if (imports) WITSERVE_TRY(visible(t, is_import, d.name.name));
          t = visibility_.name(t, false, *arena_);
          if (std::string why = names.add(d.name.name, t, is_import, d.name.implements); !why.empty())
            return invalid(why);
          name_type(t, d.name.name);
          push(sc, t);
          (is_import ? imports : exports)->push_back({d.name.name, t});
          break;
        }
      }
    }
    return ok();
  }

  Status core_type(Scope& sc, const ast::CoreTypeDef& ct) {
    if (auto* f = std::get_if<engine::FuncType>(&ct)) {
      sc.s->core_types.push_back(*f);
      return ok();
    }
    WITSERVE_ASSIGN_OR_RETURN(auto mt, core_module_type(sc, std::get<ast::CoreModuleType>(ct)));
    sc.s->core_types.push_back(mt);
    return ok();
  }

  Status canon(Scope& sc, const ast::CanonDef& c) { return resolve_canon(*sc.s, c, unsupported_); }

  Status core_instance(Scope& sc, const ast::CoreInstanceDef& d) {
    CoreInstanceType out;
    if (!d.is_instantiate) {
      std::set<std::string> names;
      for (const auto& e : d.exports) {
        if (!names.insert(e.name).second) return invalid("core instance export name `" + e.name + "` already defined");
        WITSERVE_ASSIGN_OR_RETURN(auto t, core_item(sc, e.item));
        out.exports.emplace_back(e.name, t);
      }
      sc.s->core_instances.push_back(std::move(out));
      return ok();
    }
    WITSERVE_ASSIGN_OR_RETURN(const CoreModuleType* m, at(sc.s->core_modules, d.module, "core module"));
    std::string what = "instantiating core module " + std::to_string(d.module);
    std::set<std::string> arg_names;
    for (const auto& a : d.args) {
      if (!arg_names.insert(a.name).second)
        return invalid(what + ": duplicate module instantiation argument named `" + a.name + "`");
      WITSERVE_TRY(at(sc.s->core_instances, a.instance, "core instance"));
    }
    for (const auto& imp : m->imports) {
      const ast::CoreInstantiateArg* arg = nullptr;
      for (const auto& a : d.args)
        if (a.name == imp.module) { arg = &a; break; }
      if (!arg) return invalid(what + ": no instance is given for import module '" + imp.module + "'");
      WITSERVE_ASSIGN_OR_RETURN(auto inst, at(sc.s->core_instances, arg->instance, "core instance"));
      const CoreExternType* got = inst.find(imp.name);
      if (!got)
        return invalid(what + ": import '" + imp.module + "' '" + imp.name + "' is missing from " +
                       idx("core instance", arg->instance));
      if (engine::kind_of(*got) != engine::kind_of(imp.type))
        return invalid(what + ": import '" + imp.module + "' '" + imp.name + "' wants a " +
                       engine::to_string(engine::kind_of(imp.type)) + ", was given a " +
                       engine::to_string(engine::kind_of(*got)));
      if (auto* want = std::get_if<engine::FuncType>(&imp.type)) {
        const auto& have = std::get<engine::FuncType>(*got);
        if (have != *want)
          return invalid(what + ": import '" + imp.module + "' '" + imp.name + "' wants " +
                         engine::to_string(*want) + ", was given " + engine::to_string(have));
      } else if (!core_extern_fits(*got, imp.type)) {
        return invalid(what + ": import '" + imp.module + "' '" + imp.name + "': the " +
                       engine::to_string(engine::kind_of(*got)) + " given does not match the type it is imported with");
      }
    }
    for (const auto& e : m->exports) out.exports.emplace_back(e.name, e.type);
    sc.s->core_instances.push_back(std::move(out));
    return ok();
  }

  Status instance(Scope& sc, const ast::InstanceDef& d) {
    InstanceType out;
    if (!d.is_instantiate) {
      NameScope names;
      for (const auto& e : d.exports) {
        WITSERVE_ASSIGN_OR_RETURN(ExternType t, item(sc, e.item));
        if (std::string why = names.add(e.name.name, t, false, e.name.implements); !why.empty()) return invalid(why);
        name_type(t, e.name.name);
        out.exports.push_back({e.name.name, t});
      }
      sc.s->instances.push_back(arena_->add(std::move(out)));
      return ok();
    }
    WITSERVE_ASSIGN_OR_RETURN(const ComponentType* c, at(sc.s->components, d.component, "component"));
    std::string what = "instantiating component " + std::to_string(d.component);
    std::set<std::string> arg_keys;
    for (const auto& a : d.args) {
      if (!arg_keys.insert(uniqueness_key(a.name)).second)
        return invalid(what + ": instantiation argument `" + a.name + "` conflicts with a previous argument");
      WITSERVE_TRY(item(sc, a.item));
    }
    Matcher m;
    for (const auto& imp : c->imports) {
      const ast::InstantiateArg* arg = nullptr;
      for (const auto& a : d.args)
        if (a.name == imp.name) { arg = &a; break; }
      if (!arg) return invalid(what + ": no argument is given for import '" + imp.name + "'");
      WITSERVE_ASSIGN_OR_RETURN(ExternType got, item(sc, arg->item));
      std::string why;
      if (!m.extern_type(got, imp.type, &why))
        return invalid(what + ": argument '" + imp.name + "' does not fit: " + why);
    }
    for (const auto& e : c->exports) out.exports.push_back({e.name, substitute(e.type, m, *arena_)});
    sc.s->instances.push_back(arena_->add(std::move(out)));
    return ok();
  }


  Status visible(const ExternType& t, bool is_import, const std::string& name) const {
    if (std::string why = visibility_.check(t, is_import); !why.empty())
      return invalid((is_import ? "import '" : "export '") + name + "': " + why);
    return ok();
  }

  std::shared_ptr<TypeArena> arena_;
  Visibility visibility_;
  std::vector<std::pair<const void*, std::string>>* names_;
  std::vector<std::string>* unsupported_;
};

Result<std::shared_ptr<ResolvedComponent>> Resolver::component(std::shared_ptr<const ast::Component> c,
                                                               Scope* parent) {
  auto out = std::make_shared<ResolvedComponent>();
  out->ast = c;
  out->arena = arena_;
  Scope sc{&out->spaces, parent, true};
  ComponentType ct;
  NameScope names;
  size_t def_index = 0;
  for (const auto& def : c->defs) {
    Status st = std::visit(
        [&](const auto& d) -> Status {
          using D = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<D, ast::CoreModuleDef>) {
            WITSERVE_ASSIGN_OR_RETURN(auto info, engine::read_module_info(d.bytes, d.offset));
            // Two-level import names must differ: a component's core modules import by both.
            std::set<std::pair<std::string, std::string>> seen;
            for (const auto& imp : info.imports)
              if (!seen.insert({imp.module, imp.name}).second)
                return invalid("core module: duplicate import name `" + imp.module + ":" + imp.name + "`");
            sc.s->core_modules.push_back(arena_->add(CoreModuleType{info.imports, info.exports}));
          } else if constexpr (std::is_same_v<D, ast::CoreInstanceDef>) {
            WITSERVE_TRY(core_instance(sc, d));
          } else if constexpr (std::is_same_v<D, std::shared_ptr<const ast::CoreTypeDef>>) {
            WITSERVE_TRY(core_type(sc, *d));
          } else if constexpr (std::is_same_v<D, std::shared_ptr<const ast::Component>>) {
            WITSERVE_ASSIGN_OR_RETURN(auto nested, component(d, &sc));
            sc.s->components.push_back(nested->type);
            out->nested.push_back(nested);
          } else if constexpr (std::is_same_v<D, ast::InstanceDef>) {
            WITSERVE_TRY(instance(sc, d));
          } else if constexpr (std::is_same_v<D, ast::Alias>) {
            WITSERVE_TRY(alias(sc, d));
          } else if constexpr (std::is_same_v<D, std::shared_ptr<const ast::TypeDef>>) {
            WITSERVE_ASSIGN_OR_RETURN(ExternType t, type_def(sc, *d, false));
            sc.s->types.push_back(t);
          } else if constexpr (std::is_same_v<D, ast::CanonDef>) {
            WITSERVE_TRY(canon(sc, d));
          } else if constexpr (std::is_same_v<D, ast::StartDef>) {
            WITSERVE_TRY(at(sc.s->funcs, d.func, "func"));
            unsupported_->push_back("component start functions");
            for (uint32_t i = 0; i < d.results; ++i) sc.s->values.push_back(arena_->primitive(TypeKind::kBool));
          } else if constexpr (std::is_same_v<D, ast::ImportDef>) {
            WITSERVE_ASSIGN_OR_RETURN(ExternType t, extern_type(sc, d.type, d.name.name));
            WITSERVE_TRY(visible(t, true, d.name.name));
            t = visibility_.name(t, false, *arena_);
            if (std::string why = names.add(d.name.name, t, true, d.name.implements); !why.empty())
              return invalid("import: " + why);
            name_type(t, d.name.name);
            push(sc, t);
            ct.imports.push_back({d.name.name, t});
          } else if constexpr (std::is_same_v<D, ast::ExportDef>) {
            WITSERVE_ASSIGN_OR_RETURN(ExternType t, item(sc, d.item));
            if (d.type) {
              WITSERVE_ASSIGN_OR_RETURN(ExternType ascribed, extern_type(sc, *d.type, d.name.name));
              Matcher m;
              std::string why;
              if (!m.extern_type(t, ascribed, &why))
                return invalid("export '" + d.name.name + "' does not fit its declared type: " + why);
              if (ascribed.kind == K::kType && ascribed.resource && !ascribed.resource->defined && t.resource)
                ascribed.resource = t.resource;  // an exported (sub resource) is the resource itself
              t = ascribed;
            }
            WITSERVE_TRY(visible(t, false, d.name.name));
            t = visibility_.name(t, true, *arena_);
            if (t.kind == K::kInstance) visibility_.exported_instance(*t.instance);
            if (std::string why = names.add(d.name.name, t, false, d.name.implements); !why.empty())
              return invalid("export: " + why);
            name_type(t, d.name.name);
            push(sc, t);
            ct.exports.push_back({d.name.name, t});
          } else if constexpr (std::is_same_v<D, ast::ValueDef>) {
            WITSERVE_ASSIGN_OR_RETURN(TypeRef t, val_type(sc, d.type));
            sc.s->values.push_back(t);
            unsupported_->push_back("value definitions");
          }
          return ok();
        },
        def);
    if (!st.ok()) {
      return std::move(st).error().with_context("definition " + std::to_string(def_index) +
                                                (parent ? " of a nested component" : ""));
    }
    ++def_index;
  }
  out->type = arena_->add(std::move(ct));
  return out;
}

}  // namespace

const CoreExternType* CoreInstanceType::find(std::string_view name) const {
  for (const auto& [n, t] : exports)
    if (n == name) return &t;
  return nullptr;
}

Result<std::shared_ptr<const ResolvedComponent>> resolve(std::shared_ptr<const ast::Component> c) {
  auto arena = std::make_shared<TypeArena>();
  std::vector<std::pair<const void*, std::string>> names;
  std::vector<std::string> unsupported;
  Resolver r(arena, &names, &unsupported);
  WITSERVE_ASSIGN_OR_RETURN(auto out, r.component(std::move(c), nullptr));
  out->type_names = std::move(names);
  out->unsupported = std::move(unsupported);
  return std::shared_ptr<const ResolvedComponent>(std::move(out));
}

Result<std::shared_ptr<const ResolvedComponent>> load_component(std::vector<uint8_t> bytes) {
  WITSERVE_ASSIGN_OR_RETURN(auto ast, decode_component(std::move(bytes)));
  return resolve(std::move(ast));
}

}  // namespace witserve::component
