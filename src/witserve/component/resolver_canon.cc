// Typing of canonical definitions (canon lift, lower and the resource built-ins): the core
// signatures, the canonical options each needs, and the index spaces they add to. Part of the
// resolver (resolver.h); split out of resolver.cc. Any thread.
#include "witserve/component/resolver_canon.h"

namespace witserve::component {
namespace {

using K = ExternType::Kind;
using engine::ValType;

using resolver_detail::at;
using resolver_detail::idx;
using resolver_detail::invalid;

// Does a value of this type live (partly) in linear memory, so canon options need a memory?
bool needs_memory(TypeRef t) {
  if (!t) return false;
  switch (t->kind) {
    case TypeKind::kString: case TypeKind::kMap: return true;
    case TypeKind::kList: return !t->fixed_length || needs_memory(t->element);
    case TypeKind::kRecord:
      for (auto& f : t->fields) if (needs_memory(f.type)) return true;
      return false;
    case TypeKind::kVariant: case TypeKind::kResult:
      for (auto& c : t->cases) if (needs_memory(c.type)) return true;
      return false;
    case TypeKind::kTuple:
      for (auto e : t->elements) if (needs_memory(e)) return true;
      return false;
    case TypeKind::kOption: return needs_memory(t->element);
    default: return false;
  }
}

Result<const ResourceType*> resource_at(IndexSpaces& s, uint32_t i) {
  WITSERVE_ASSIGN_OR_RETURN(ExternType e, at(s.types, i, "type index"));
  if (e.kind != K::kType || !e.resource)
    return invalid(idx("type index", i) + " is used as a resource but is not one");
  return e.resource;
}

Status canon_opts(IndexSpaces& s, const ast::CanonOpts& o, bool memory_needed, bool realloc_needed,
                  const std::string& what, std::vector<std::string>* unsupported) {
  if (o.memory) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, at(s.core_memories, *o.memory, "core memory"));
    if (m.memory64) return invalid(what + ": 64-bit memories are not supported");
  } else if (memory_needed) {
    return invalid(what + ": the signature passes data through memory but no memory option is given");
  }
  if (o.realloc) {
    WITSERVE_ASSIGN_OR_RETURN(auto ft, at(s.core_funcs, *o.realloc, "core func"));
    engine::FuncType want{{ValType::kI32, ValType::kI32, ValType::kI32, ValType::kI32}, {ValType::kI32}};
    if (ft != want)
      return invalid(what + ": realloc must have type " + engine::to_string(want) + ", has " +
                     engine::to_string(ft));
  } else if (realloc_needed) {
    return invalid(what + ": values must be allocated in guest memory but no realloc option is given");
  }
  if (o.async || o.callback) {
    unsupported->push_back(what + " uses the async ABI");
  }
  return ok();
}

}  // namespace

Status resolve_canon(IndexSpaces& s, const ast::CanonDef& c, std::vector<std::string>* unsupported) {
  using CK = ast::CanonDef::Kind;
  switch (c.kind) {
    case CK::kLift: {
      WITSERVE_ASSIGN_OR_RETURN(auto core, at(s.core_funcs, c.func, "core func"));
      WITSERVE_ASSIGN_OR_RETURN(ExternType ft, at(s.types, c.type, "type index"));
      if (ft.kind != K::kFunc) return invalid("canon lift: " + idx("type index", c.type) + " is not a function type");
      const FuncType& f = *ft.func;
      std::string what = "canon lift of core func " + std::to_string(c.func) + " as " + to_string(f);
      if (!c.opts.async && core != f.core_lift())
        return invalid(what + ": the core function has type " + engine::to_string(core) +
                       ", the canonical ABI wants " + engine::to_string(f.core_lift()));
      bool params_mem = f.params_spilled, results_mem = f.results_spilled;
      for (auto& p : f.params) params_mem |= needs_memory(p.type);
      results_mem |= needs_memory(f.result);
      WITSERVE_TRY(canon_opts(s, c.opts, params_mem || results_mem, params_mem, what, unsupported));
      if (c.opts.post_return) {
        WITSERVE_ASSIGN_OR_RETURN(auto pr, at(s.core_funcs, *c.opts.post_return, "core func"));
        engine::FuncType want{f.flat_results, {}};
        if (pr != want)
          return invalid(what + ": post-return must have type " + engine::to_string(want) +
                         ", has " + engine::to_string(pr));
      }
      s.funcs.push_back(ft.func);
      return ok();
    }
    case CK::kLower: {
      WITSERVE_ASSIGN_OR_RETURN(const FuncType* f, at(s.funcs, c.func, "func"));
      std::string what = "canon lower of func " + std::to_string(c.func) + " (" + to_string(*f) + ")";
      if (c.opts.post_return) return invalid(what + ": post-return is only allowed on canon lift");
      bool params_mem = f->params_spilled, results_mem = f->results_spilled;
      for (auto& p : f->params) params_mem |= needs_memory(p.type);
      bool results_alloc = needs_memory(f->result);
      results_mem |= results_alloc;
      WITSERVE_TRY(canon_opts(s, c.opts, params_mem || results_mem, results_alloc, what, unsupported));
      s.core_funcs.push_back(f->core_lower());
      return ok();
    }
    case CK::kResourceNew:
    case CK::kResourceRep: {
      WITSERVE_ASSIGN_OR_RETURN(const ResourceType* r, resource_at(s, c.type));
      if (!r->defined)
        return invalid(std::string(c.kind == CK::kResourceNew ? "resource.new" : "resource.rep") +
                       " needs a resource this component defines; " + idx("type index", c.type) +
                       " is imported");
      s.core_funcs.push_back({{ValType::kI32}, {ValType::kI32}});
      return ok();
    }
    case CK::kResourceDrop: {
      WITSERVE_TRY(resource_at(s, c.type));
      s.core_funcs.push_back({{ValType::kI32}, {}});
      return ok();
    }
    case CK::kOther:
      unsupported->push_back("canonical built-in " + std::to_string(c.opcode) +
                              " (async, threads or error-context)");
      s.core_funcs.push_back({});
      return ok();
  }
  return ok();
}

}  // namespace witserve::component
