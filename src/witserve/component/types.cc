// Resolved types: the arena, canonical ABI layout (CanonicalABI.md: alignment, elem_size,
// flatten_type, flatten_functype), WIT-like printing and structural subtyping. See types.h.
#include "witserve/component/types.h"

#include <algorithm>
#include <atomic>

namespace witserve::component {
namespace {

using engine::ValType;

uint64_t align_to(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

uint32_t num_i32_flags(size_t labels) { return uint32_t((labels + 31) / 32); }

// Sizes saturate here, far above any limit, so that no product or sum overflows before the
// resolver refuses the type (kMaxValueByteSize).
constexpr uint64_t kSizeCap = uint64_t(1) << 40;
uint64_t sat(uint64_t n) { return std::min(n, kSizeCap); }
uint64_t sat_mul(uint64_t a, uint64_t b) { return b != 0 && a > kSizeCap / b ? kSizeCap : sat(a * b); }

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

// elem_size and alignment (CanonicalABI.md) for 32-bit (`p64` false) or 64-bit pointers, from
// the members' layouts computed when they were made.
struct Layout {
  uint64_t size;
  uint32_t align;
};

Layout layout_of(TypeRef m, bool p64) { return p64 ? Layout{m->size64, m->align64} : Layout{m->size, m->align}; }

Layout record_layout(const std::vector<TypeRef>& members, bool p64) {
  uint64_t s = 0;
  uint32_t a = 1;
  for (TypeRef m : members) {
    Layout l = layout_of(m, p64);
    s = sat(align_to(s, l.align) + l.size);
    a = std::max(a, l.align);
  }
  return {sat(align_to(s, a)), a};
}

// Variant layout over case payloads (null = no payload), shared by variant, option, result, enum.
Layout variant_layout(const std::vector<TypeRef>& payloads, size_t ncases, bool p64) {
  uint32_t disc = discriminant_size(ncases);
  uint32_t max_case_align = 1;
  uint64_t max_case_size = 0;
  for (TypeRef p : payloads) {
    if (!p) continue;
    Layout l = layout_of(p, p64);
    max_case_align = std::max(max_case_align, l.align);
    max_case_size = std::max(max_case_size, l.size);
  }
  uint32_t align = std::max(disc, max_case_align);
  return {sat(align_to(align_to(disc, max_case_align) + max_case_size, align)), align};
}

std::vector<TypeRef> payloads(const ValueType& t) {
  std::vector<TypeRef> p;
  for (auto& c : t.cases) p.push_back(c.type);
  return p;
}

std::vector<TypeRef> members(const ValueType& t) {
  if (t.kind == TypeKind::kTuple) return t.elements;
  std::vector<TypeRef> m;
  for (auto& f : t.fields) m.push_back(f.type);
  return m;
}

Layout layout(const ValueType& t, bool p64) {
  uint32_t ptr = p64 ? 8 : 4;
  switch (t.kind) {
    case TypeKind::kString: return {2u * ptr, ptr};
    case TypeKind::kErrorContext: return {4, 4};
    case TypeKind::kRecord: case TypeKind::kTuple: return record_layout(members(t), p64);
    case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult:
      return variant_layout(payloads(t), t.cases.size(), p64);
    case TypeKind::kEnum: return variant_layout({}, t.labels.size(), p64);
    case TypeKind::kFlags: {
      size_t n = t.labels.size();
      return {n <= 8 ? 1u : n <= 16 ? 2u : 4u * num_i32_flags(n), n <= 8 ? 1u : n <= 16 ? 2u : 4u};
    }
    case TypeKind::kList:
      if (t.fixed_length) {
        Layout e = layout_of(t.element, p64);
        return {sat_mul(*t.fixed_length, e.size), e.align};
      }
      return {2u * ptr, ptr};
    case TypeKind::kMap: return {2u * ptr, ptr};
    case TypeKind::kOwn: case TypeKind::kBorrow: case TypeKind::kStream: case TypeKind::kFuture:
      return {4, 4};
    default: {
      uint32_t size = prim_layout(t.kind).size;
      return {size, size};
    }
  }
}

void append_flat(std::vector<ValType>& flat, const std::vector<ValType>& more) {
  for (ValType v : more) {
    if (flat.size() >= kFlatCap) return;
    flat.push_back(v);
  }
}

std::vector<ValType> flatten(const ValueType& t) {
  std::vector<ValType> flat;
  switch (t.kind) {
    case TypeKind::kRecord: case TypeKind::kTuple:
      for (TypeRef m : members(t)) append_flat(flat, m->flat);
      return flat;
    case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult: case TypeKind::kEnum: {
      std::vector<ValType> joined;
      for (auto& c : t.cases) {
        if (!c.type) continue;
        for (size_t i = 0; i < c.type->flat.size(); ++i) {
          if (i < joined.size()) joined[i] = join(joined[i], c.type->flat[i]);
          else joined.push_back(c.type->flat[i]);
        }
      }
      flat = {ValType::kI32};
      append_flat(flat, joined);
      return flat;
    }
    case TypeKind::kFlags: return std::vector<ValType>(num_i32_flags(t.labels.size()), ValType::kI32);
    case TypeKind::kList:
      if (t.fixed_length) {
        for (uint32_t i = 0; i < *t.fixed_length && flat.size() < kFlatCap && !t.element->flat.empty(); ++i)
          append_flat(flat, t.element->flat);
        return flat;
      }
      return {ValType::kI32, ValType::kI32};
    case TypeKind::kMap: return {ValType::kI32, ValType::kI32};
    case TypeKind::kOwn: case TypeKind::kBorrow: case TypeKind::kStream: case TypeKind::kFuture:
      return {ValType::kI32};
    default:
      return prim_layout(t.kind).flat;
  }
}

// How deep `t` nests and how many nodes it has written out, from its direct members.
void compute_shape(ValueType& t) {
  uint32_t depth = 0;
  uint64_t nodes = 1 + t.labels.size();
  auto member = [&](TypeRef m) {
    if (!m) return;
    depth = std::max(depth, m->depth);
    nodes = std::min(nodes + m->nodes, kSizeCap);
  };
  for (auto& f : t.fields) member(f.type);
  if (t.kind != TypeKind::kOption)  // an option's one case is its element
    for (auto& c : t.cases) member(c.type);
  for (TypeRef e : t.elements) member(e);
  member(t.element);
  member(t.value);
  t.depth = depth + 1;
  t.nodes = nodes;
}

void compute_layout(ValueType& t) {
  Layout l32 = layout(t, false), l64 = layout(t, true);
  t.size = uint32_t(std::min<uint64_t>(l32.size, UINT32_MAX));
  t.align = l32.align;
  t.size64 = l64.size;
  t.align64 = l64.align;
  t.flat = flatten(t);
  compute_shape(t);
}

void flatten_func(FuncType& f) {
  f.flat_params.clear();
  f.nodes = 1;
  for (auto& p : f.params) {
    append_flat(f.flat_params, p.type->flat);
    f.nodes = std::min(f.nodes + p.type->nodes, kSizeCap);
  }
  if (f.result) f.nodes = std::min(f.nodes + f.result->nodes, kSizeCap);
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

std::string check_limits(TypeRef t) {
  if (t->depth > kMaxTypeDepth)
    return "type nesting is too deep (more than " + std::to_string(kMaxTypeDepth) + " levels)";
  if (t->nodes > kMaxTypeSize)
    return "effective type size exceeds the limit of " + std::to_string(kMaxTypeSize) + " nodes";
  if (t->size64 >= kMaxValueByteSize)
    return "type exceeds maximum byte size (2^28 bytes with 64-bit pointers)";
  return {};
}

std::string check_limits(const FuncType& f) {
  if (f.nodes > kMaxTypeSize)
    return "effective type size exceeds the limit of " + std::to_string(kMaxTypeSize) + " nodes";
  return {};
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

const ResourceType* TypeArena::name_of(const ResourceType* r) {
  resources_.push_back(ResourceType{g_next_resource_id++, "", r->defined, r->dtor_core_func, r->identity()});
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
    if (e->identity() == expected->identity()) return a;
  return nullptr;
}

bool Matcher::resource(const ResourceType* actual, const ResourceType* expected, std::string* why) {
  if (actual->identity() == expected->identity()) return true;
  if (const ResourceType* b = bound(expected)) {
    if (b->identity() == actual->identity()) return true;
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
      if (e.func || e.instance || e.component) {  // a function, instance or component type itself
        if (!a.func != !e.func || !a.instance != !e.instance || !a.component != !e.component) {
          if (why) *why = "different kinds of type";
          return false;
        }
        if (e.func) return func(*a.func, *e.func, why);
        if (e.instance) {
          ExternType ai = a, ei = e;
          ai.kind = ei.kind = K::kInstance;
          return extern_type(ai, ei, why);
        }
        return true;
      }
      if (!a.value && !a.resource) {
        if (why) *why = "expected a value or resource type";
        return false;
      }
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
    case K::kCoreModule:
      return core_module(*a.core_module, *e.core_module, why);
    case K::kComponent: {
      // Covariant in exports; contravariant in imports: whatever the actual component imports,
      // the expected one must promise to provide (with a type at least as specific).
      for (const auto& want : e.component->exports) {
        const NamedExtern* got = nullptr;
        for (const auto& x : a.component->exports)
          if (x.name == want.name) got = &x;
        if (!got) {
          if (why) *why = "missing export '" + want.name + "'";
          return false;
        }
        if (!extern_type(got->type, want.type, why)) {
          if (why) *why = "export '" + want.name + "': " + *why;
          return false;
        }
      }
      for (const auto& need : a.component->imports) {
        const NamedExtern* given = nullptr;
        for (const auto& x : e.component->imports)
          if (x.name == need.name) given = &x;
        if (!given) {
          if (why) *why = "the component imports '" + need.name + "', which is not in the expected type";
          return false;
        }
        Matcher inner;
        if (!inner.extern_type(given->type, need.type, why)) {
          if (why) *why = "import '" + need.name + "': " + *why;
          return false;
        }
      }
      return true;
    }
  }
  return false;
}

namespace {

bool limits_fit(const engine::Limits& a, const engine::Limits& e) {
  if (a.min < e.min) return false;
  if (!e.max) return true;
  return a.max && *a.max <= *e.max;
}

}  // namespace

bool core_extern_fits(const engine::ExternType& a, const engine::ExternType& e) {
  if (a.index() != e.index()) return false;
  if (auto* am = std::get_if<engine::MemoryType>(&a)) {
    auto& em = std::get<engine::MemoryType>(e);
    return am->shared == em.shared && am->memory64 == em.memory64 && limits_fit(am->limits, em.limits);
  }
  if (auto* at = std::get_if<engine::TableType>(&a)) {
    auto& et = std::get<engine::TableType>(e);
    return at->element == et.element && limits_fit(at->limits, et.limits);
  }
  return a == e;  // functions, globals and tags: equal types
}

namespace {

std::string describe(const engine::ExternType& t) {
  if (auto* f = std::get_if<engine::FuncType>(&t)) return "func " + engine::to_string(*f);
  return engine::to_string(engine::kind_of(t));
}

}  // namespace

bool Matcher::core_module(const CoreModuleType& a, const CoreModuleType& e, std::string* why) {
  for (const auto& want : e.exports) {
    const engine::ExportType* got = nullptr;
    for (const auto& x : a.exports)
      if (x.name == want.name) got = &x;
    if (!got) {
      if (why) *why = "core module has no export '" + want.name + "'";
      return false;
    }
    if (!core_extern_fits(got->type, want.type)) {
      if (why) *why = "core export '" + want.name + "' is a " + describe(got->type) + ", expected a " + describe(want.type);
      return false;
    }
  }
  for (const auto& need : a.imports) {
    const engine::ImportType* given = nullptr;
    for (const auto& x : e.imports)
      if (x.module == need.module && x.name == need.name) given = &x;
    if (!given) {
      if (why) *why = "core module imports '" + need.module + "' '" + need.name + "', which is not in the expected type";
      return false;
    }
    if (!core_extern_fits(given->type, need.type)) {
      if (why) *why = "core import '" + need.module + "' '" + need.name + "' is a " + describe(need.type) +
                      ", the expected type gives a " + describe(given->type);
      return false;
    }
  }
  return true;
}

// ---- substitution --------------------------------------------------------------------------

static TypeRef subst(TypeRef t, const Matcher& m, TypeArena& arena) {
  if (!t || t->is_primitive()) return t;
  ValueType v = *t;
  bool changed = false;
  auto sub = [&](TypeRef& r) {
    TypeRef n = subst(r, m, arena);
    changed |= n != r;
    r = n;
  };
  for (auto& f : v.fields) sub(f.type);
  for (auto& c : v.cases) sub(c.type);
  for (auto& e : v.elements) sub(e);
  sub(v.element);
  sub(v.value);
  if (v.resource) {
    if (auto* b = m.bound(v.resource)) {
      v.resource = b;
      changed = true;
    }
  }
  return changed ? arena.add(std::move(v)) : t;
}

// The exports of an instantiated component, with its imported resources replaced by the ones
// the instantiation supplied.
ExternType substitute(const ExternType& t, const Matcher& m, TypeArena& arena) {
  using K = ExternType::Kind;
  ExternType out = t;
  switch (t.kind) {
    case K::kType:
      if (t.resource) {
        if (auto* b = m.bound(t.resource)) out.resource = b;
      } else {
        out.value = subst(t.value, m, arena);
      }
      break;
    case K::kValue:
      out.value = subst(t.value, m, arena);
      break;
    case K::kFunc: {
      FuncType f = *t.func;
      bool changed = false;
      for (auto& p : f.params) {
        TypeRef n = subst(p.type, m, arena);
        changed |= n != p.type;
        p.type = n;
      }
      TypeRef r = subst(f.result, m, arena);
      changed |= r != f.result;
      f.result = r;
      if (changed) out.func = arena.add(std::move(f));
      break;
    }
    case K::kInstance: {
      InstanceType it;
      for (const auto& e : t.instance->exports) it.exports.push_back({e.name, substitute(e.type, m, arena)});
      out.instance = arena.add(std::move(it));
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace witserve::component
