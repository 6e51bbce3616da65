// Resolved types: the arena, canonical ABI layout (CanonicalABI.md: alignment, elem_size,
// flatten_type, flatten_functype), WIT-like printing and structural subtyping. See types.h.
#include "witserve/component/types.h"

#include <algorithm>
#include <atomic>

namespace witserve::component {
namespace {

using engine::ValType;

uint32_t align_to(uint32_t n, uint32_t a) { return (n + a - 1) / a * a; }

uint32_t num_i32_flags(size_t labels) { return uint32_t((labels + 31) / 32); }

ValType join(ValType a, ValType b) {
  if (a == b) return a;
  if ((a == ValType::kI32 && b == ValType::kF32) || (a == ValType::kF32 && b == ValType::kI32))
    return ValType::kI32;
  return ValType::kI64;
}

struct PrimLayout {
  uint32_t size;
  std::vector<ValType> flat;
};

PrimLayout prim_layout(TypeKind k) {
  switch (k) {
    case TypeKind::kBool: case TypeKind::kS8: case TypeKind::kU8: return {1, {ValType::kI32}};
    case TypeKind::kS16: case TypeKind::kU16: return {2, {ValType::kI32}};
    case TypeKind::kS32: case TypeKind::kU32: case TypeKind::kChar: return {4, {ValType::kI32}};
    case TypeKind::kF32: return {4, {ValType::kF32}};
    case TypeKind::kS64: case TypeKind::kU64: return {8, {ValType::kI64}};
    case TypeKind::kF64: return {8, {ValType::kF64}};
    case TypeKind::kString: return {8, {ValType::kI32, ValType::kI32}};
    case TypeKind::kErrorContext: return {4, {ValType::kI32}};
    default: return {0, {}};
  }
}

// Variant layout over case payloads (null = no payload), shared by variant, option and result.
void variant_layout(ValueType& t, const std::vector<TypeRef>& payloads, size_t ncases) {
  uint32_t disc = discriminant_size(ncases);
  uint32_t max_case_align = 1, max_case_size = 0;
  std::vector<ValType> flat;
  for (TypeRef p : payloads) {
    if (!p) continue;
    max_case_align = std::max(max_case_align, p->align);
    max_case_size = std::max(max_case_size, p->size);
    for (size_t i = 0; i < p->flat.size(); ++i) {
      if (i < flat.size()) flat[i] = join(flat[i], p->flat[i]);
      else flat.push_back(p->flat[i]);
    }
  }
  t.align = std::max(disc, max_case_align);
  t.size = align_to(align_to(disc, max_case_align) + max_case_size, t.align);
  t.flat = {ValType::kI32};
  t.flat.insert(t.flat.end(), flat.begin(), flat.end());
}

void record_layout(ValueType& t, const std::vector<TypeRef>& members) {
  uint32_t s = 0, a = 1;
  t.flat.clear();
  for (TypeRef m : members) {
    s = align_to(s, m->align);
    s += m->size;
    a = std::max(a, m->align);
    t.flat.insert(t.flat.end(), m->flat.begin(), m->flat.end());
  }
  t.align = a;
  t.size = align_to(s, a);
}

void compute_layout(ValueType& t) {
  if (t.is_primitive()) {
    auto p = prim_layout(t.kind);
    t.size = p.size;
    t.align = p.size == 8 && t.kind == TypeKind::kString ? 4 : p.size;
    if (t.kind == TypeKind::kErrorContext) t.align = 4;
    t.flat = p.flat;
    return;
  }
  switch (t.kind) {
    case TypeKind::kRecord: {
      std::vector<TypeRef> m;
      for (auto& f : t.fields) m.push_back(f.type);
      record_layout(t, m);
      break;
    }
    case TypeKind::kTuple:
      record_layout(t, t.elements);
      break;
    case TypeKind::kVariant: {
      std::vector<TypeRef> p;
      for (auto& c : t.cases) p.push_back(c.type);
      variant_layout(t, p, t.cases.size());
      break;
    }
    case TypeKind::kOption:
      variant_layout(t, {nullptr, t.element}, 2);
      break;
    case TypeKind::kResult:
      variant_layout(t, {t.cases[0].type, t.cases[1].type}, 2);
      break;
    case TypeKind::kEnum:
      variant_layout(t, {}, t.labels.size());
      break;
    case TypeKind::kFlags: {
      size_t n = t.labels.size();
      t.size = n <= 8 ? 1 : n <= 16 ? 2 : 4 * num_i32_flags(n);
      t.align = n <= 8 ? 1 : n <= 16 ? 2 : 4;
      t.flat.assign(num_i32_flags(n), ValType::kI32);
      break;
    }
    case TypeKind::kList:
      if (t.fixed_length) {
        t.align = t.element->align;
        t.size = *t.fixed_length * t.element->size;
        t.flat.clear();
        for (uint32_t i = 0; i < *t.fixed_length; ++i)
          t.flat.insert(t.flat.end(), t.element->flat.begin(), t.element->flat.end());
      } else {
        t.size = 8;
        t.align = 4;
        t.flat = {ValType::kI32, ValType::kI32};
      }
      break;
    case TypeKind::kMap:
      t.size = 8;
      t.align = 4;
      t.flat = {ValType::kI32, ValType::kI32};
      break;
    case TypeKind::kOwn: case TypeKind::kBorrow: case TypeKind::kStream: case TypeKind::kFuture:
      t.size = 4;
      t.align = 4;
      t.flat = {ValType::kI32};
      break;
    default:
      break;
  }
}

void flatten_func(FuncType& f) {
  f.flat_params.clear();
  for (auto& p : f.params) f.flat_params.insert(f.flat_params.end(), p.type->flat.begin(), p.type->flat.end());
  f.params_spilled = f.flat_params.size() > kMaxFlatParams;
  if (f.params_spilled) f.flat_params = {ValType::kI32};
  f.flat_results = f.result ? f.result->flat : std::vector<ValType>{};
  f.results_spilled = f.flat_results.size() > kMaxFlatResults;
  if (f.results_spilled) f.flat_results = {ValType::kI32};
}

std::atomic<uint64_t> g_next_resource_id{1};

}  // namespace

uint32_t discriminant_size(size_t cases) {
  if (cases <= 256) return 1;
  if (cases <= 65536) return 2;
  return 4;
}

engine::FuncType FuncType::core_lift() const { return {flat_params, flat_results}; }

engine::FuncType FuncType::core_lower() const {
  engine::FuncType t{flat_params, flat_results};
  if (results_spilled) {
    t.params.push_back(ValType::kI32);  // where the caller wants the results written
    t.results.clear();
  }
  return t;
}

const NamedExtern* InstanceType::find(std::string_view name) const {
  for (const auto& e : exports)
    if (e.name == name) return &e;
  return nullptr;
}

TypeRef TypeArena::primitive(TypeKind k) {
  auto& slot = prims_[size_t(k)];
  if (!slot) {
    ValueType t;
    t.kind = k;
    slot = add(std::move(t));
  }
  return slot;
}

TypeRef TypeArena::add(ValueType t) {
  compute_layout(t);
  values_.push_back(std::move(t));
  return &values_.back();
}

const FuncType* TypeArena::add(FuncType f) {
  flatten_func(f);
  funcs_.push_back(std::move(f));
  return &funcs_.back();
}

const ResourceType* TypeArena::new_resource(std::string name, bool defined, std::optional<uint32_t> dtor) {
  resources_.push_back(ResourceType{g_next_resource_id++, std::move(name), defined, dtor});
  return &resources_.back();
}

void TypeArena::name_resource(const ResourceType* r, const std::string& name) {
  for (auto& owned : resources_)
    if (&owned == r && owned.name.empty()) owned.name = name;
}

const InstanceType* TypeArena::add(InstanceType t) {
  instances_.push_back(std::move(t));
  return &instances_.back();
}

const ComponentType* TypeArena::add(ComponentType t) {
  components_.push_back(std::move(t));
  return &components_.back();
}

const CoreModuleType* TypeArena::add(CoreModuleType t) {
  modules_.push_back(std::move(t));
  return &modules_.back();
}

// ---- printing ---------------------------------------------------------------------------------

std::string to_string(TypeRef t, const TypeNames& names, bool define) {
  if (!t) return "_";
  if (names && !define) {
    if (const std::string* n = names(t)) return *n;
  }
  auto sub = [&](TypeRef x) { return to_string(x, names, false); };
  switch (t->kind) {
    case TypeKind::kBool: return "bool";
    case TypeKind::kS8: return "s8";
    case TypeKind::kU8: return "u8";
    case TypeKind::kS16: return "s16";
    case TypeKind::kU16: return "u16";
    case TypeKind::kS32: return "s32";
    case TypeKind::kU32: return "u32";
    case TypeKind::kS64: return "s64";
    case TypeKind::kU64: return "u64";
    case TypeKind::kF32: return "f32";
    case TypeKind::kF64: return "f64";
    case TypeKind::kChar: return "char";
    case TypeKind::kString: return "string";
    case TypeKind::kErrorContext: return "error-context";
    case TypeKind::kRecord: {
      std::string s = "record { ";
      for (size_t i = 0; i < t->fields.size(); ++i)
        s += (i ? ", " : "") + t->fields[i].name + ": " + sub(t->fields[i].type);
      return s + " }";
    }
    case TypeKind::kVariant: {
      std::string s = "variant { ";
      for (size_t i = 0; i < t->cases.size(); ++i) {
        s += (i ? ", " : "") + t->cases[i].name;
        if (t->cases[i].type) s += "(" + sub(t->cases[i].type) + ")";
      }
      return s + " }";
    }
    case TypeKind::kList:
      return "list<" + sub(t->element) +
             (t->fixed_length ? ", " + std::to_string(*t->fixed_length) : std::string()) + ">";
    case TypeKind::kTuple: {
      std::string s = "tuple<";
      for (size_t i = 0; i < t->elements.size(); ++i) s += (i ? ", " : "") + sub(t->elements[i]);
      return s + ">";
    }
    case TypeKind::kFlags:
    case TypeKind::kEnum: {
      std::string s = t->kind == TypeKind::kFlags ? "flags { " : "enum { ";
      for (size_t i = 0; i < t->labels.size(); ++i) s += (i ? ", " : "") + t->labels[i];
      return s + " }";
    }
    case TypeKind::kOption: return "option<" + sub(t->element) + ">";
    case TypeKind::kResult: {
      TypeRef ok = t->cases[0].type, err = t->cases[1].type;
      if (!ok && !err) return "result";
      if (!err) return "result<" + sub(ok) + ">";
      return "result<" + (ok ? sub(ok) : std::string("_")) + ", " + sub(err) + ">";
    }
    case TypeKind::kOwn: return t->resource->name;
    case TypeKind::kBorrow: return "borrow<" + t->resource->name + ">";
    case TypeKind::kStream: return t->element ? "stream<" + sub(t->element) + ">" : "stream";
    case TypeKind::kFuture: return t->element ? "future<" + sub(t->element) + ">" : "future";
    case TypeKind::kMap: return "map<" + sub(t->element) + ", " + sub(t->value) + ">";
  }
  return "?";
}

std::string to_string(const FuncType& f) {
  std::string s = f.async ? "async func(" : "func(";
  for (size_t i = 0; i < f.params.size(); ++i)
    s += (i ? ", " : "") + f.params[i].name + ": " + to_string(f.params[i].type);
  s += ")";
  if (f.result) s += " -> " + to_string(f.result);
  return s;
}

// ---- subtyping --------------------------------------------------------------------------------

const ResourceType* Matcher::bound(const ResourceType* expected) const {
  for (const auto& [e, a] : bindings_)
    if (e == expected) return a;
  return nullptr;
}

bool Matcher::resource(const ResourceType* actual, const ResourceType* expected, std::string* why) {
  if (actual == expected) return true;
  if (const ResourceType* b = bound(expected)) {
    if (b == actual) return true;
    if (why) *why = "resource " + expected->name + " is bound to " + b->name + ", not " + actual->name;
    return false;
  }
  if (!expected->defined) {
    bindings_.emplace_back(expected, actual);
    return true;
  }
  if (why) *why = "expected resource " + expected->name + ", found " + actual->name;
  return false;
}

bool Matcher::value(TypeRef a, TypeRef e, std::string* why) {
  if (a == e) return true;
  auto fail = [&](const std::string& what) {
    if (why) *why = what + " (expected " + to_string(e) + ", found " + to_string(a) + ")";
    return false;
  };
  if (a->kind != e->kind) return fail("different kinds of type");
  switch (a->kind) {
    case TypeKind::kRecord:
      if (a->fields.size() != e->fields.size()) return fail("records have different fields");
      for (size_t i = 0; i < a->fields.size(); ++i) {
        if (a->fields[i].name != e->fields[i].name)
          return fail("record field " + std::to_string(i) + " is named " + a->fields[i].name +
                      ", not " + e->fields[i].name);
        if (!value(a->fields[i].type, e->fields[i].type, why)) return false;
      }
      return true;
    case TypeKind::kVariant:
      if (a->cases.size() != e->cases.size()) return fail("variants have different cases");
      for (size_t i = 0; i < a->cases.size(); ++i) {
        if (a->cases[i].name != e->cases[i].name)
          return fail("variant case " + std::to_string(i) + " is named " + a->cases[i].name +
                      ", not " + e->cases[i].name);
        if (!a->cases[i].type != !e->cases[i].type) return fail("case " + a->cases[i].name + " payloads differ");
        if (a->cases[i].type && !value(a->cases[i].type, e->cases[i].type, why)) return false;
      }
      return true;
    case TypeKind::kResult:
      for (size_t i = 0; i < 2; ++i) {
        if (!a->cases[i].type != !e->cases[i].type) return fail("result payloads differ");
        if (a->cases[i].type && !value(a->cases[i].type, e->cases[i].type, why)) return false;
      }
      return true;
    case TypeKind::kTuple:
      if (a->elements.size() != e->elements.size()) return fail("tuples have different lengths");
      for (size_t i = 0; i < a->elements.size(); ++i)
        if (!value(a->elements[i], e->elements[i], why)) return false;
      return true;
    case TypeKind::kFlags:
    case TypeKind::kEnum:
      if (a->labels != e->labels) return fail("labels differ");
      return true;
    case TypeKind::kList:
      if (a->fixed_length != e->fixed_length) return fail("list lengths differ");
      return value(a->element, e->element, why);
    case TypeKind::kOption:
      return value(a->element, e->element, why);
    case TypeKind::kStream:
    case TypeKind::kFuture:
      if (!a->element != !e->element) return fail("element types differ");
      return !a->element || value(a->element, e->element, why);
    case TypeKind::kMap:
      return value(a->element, e->element, why) && value(a->value, e->value, why);
    case TypeKind::kOwn:
    case TypeKind::kBorrow:
      return resource(a->resource, e->resource, why);
    default:
      return true;  // primitives of the same kind
  }
}

bool Matcher::func(const FuncType& a, const FuncType& e, std::string* why) {
  if (a.async != e.async) {
    if (why) *why = "one function is async and the other is not";
    return false;
  }
  if (a.params.size() != e.params.size()) {
    if (why) *why = "expected " + to_string(e) + ", found " + to_string(a);
    return false;
  }
  for (size_t i = 0; i < a.params.size(); ++i) {
    if (!value(a.params[i].type, e.params[i].type, why)) {
      if (why) *why = "parameter " + e.params[i].name + ": " + *why;
      return false;
    }
  }
  if (!a.result != !e.result) {
    if (why) *why = "expected " + to_string(e) + ", found " + to_string(a);
    return false;
  }
  if (a.result && !value(a.result, e.result, why)) {
    if (why) *why = "result: " + *why;
    return false;
  }
  return true;
}

bool Matcher::extern_type(const ExternType& a, const ExternType& e, std::string* why) {
  using K = ExternType::Kind;
  if (a.kind != e.kind) {
    if (why) *why = "different kinds of item";
    return false;
  }
  switch (e.kind) {
    case K::kFunc:
      return func(*a.func, *e.func, why);
    case K::kValue:
      return value(a.value, e.value, why);
    case K::kType:
      if (e.resource) {
        if (!a.resource) {
          if (why) *why = "expected a resource type, found " + to_string(a.value);
          return false;
        }
        return resource(a.resource, e.resource, why);
      }
      if (!a.value) {
        if (why) *why = "expected " + to_string(e.value) + ", found resource " + a.resource->name;
        return false;
      }
      return value(a.value, e.value, why);
    case K::kInstance:
      for (const auto& want : e.instance->exports) {
        const NamedExtern* got = a.instance->find(want.name);
        if (!got) {
          if (why) *why = "missing export '" + want.name + "'";
          return false;
        }
        if (!extern_type(got->type, want.type, why)) {
          if (why) *why = "export '" + want.name + "': " + *why;
          return false;
        }
      }
      return true;
    case K::kComponent:
    case K::kCoreModule:
      // Nested components and imported core modules are checked when they are instantiated.
      return true;
  }
  return false;
}

}  // namespace witserve::component
