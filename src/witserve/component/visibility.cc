// External visibility of types; see visibility.h.
#include "witserve/component/visibility.h"

namespace witserve::component {
namespace {

using K = ExternType::Kind;

bool nominal(TypeRef t) {
  return t && (t->kind == TypeKind::kRecord || t->kind == TypeKind::kVariant || t->kind == TypeKind::kEnum ||
               t->kind == TypeKind::kFlags);
}

}  // namespace

ExternType Visibility::name(const ExternType& t, bool by_export, TypeArena& arena) {
  if (t.kind != K::kType) return t;
  ExternType out = t;
  auto& set = by_export ? by_export_ : by_import_;
  if (t.resource) {
    if (by_export) out.resource = arena.name_of(t.resource);
    set.insert(out.resource);
  } else if (nominal(t.value)) {
    out.value = arena.add(ValueType(*t.value));
    set.insert(out.value);
  }
  return out;
}

bool Visibility::members_visible(TypeRef t, bool is_import, const Local& local) const {
  for (const auto& f : t->fields)
    if (!visible(f.type, is_import, local)) return false;
  if (t->kind != TypeKind::kOption)
    for (const auto& c : t->cases)
      if (!visible(c.type, is_import, local)) return false;
  for (TypeRef e : t->elements)
    if (!visible(e, is_import, local)) return false;
  return visible(t->element, is_import, local) && visible(t->value, is_import, local);
}

bool Visibility::visible(TypeRef t, bool is_import, const Local& local) const {
  if (!t || t->is_primitive() || named(t, is_import, local)) return true;
  if (nominal(t)) return false;
  if (t->kind == TypeKind::kOwn || t->kind == TypeKind::kBorrow) return named(t->resource, is_import, local);
  return members_visible(t, is_import, local);
}

std::string Visibility::check(const ExternType& t, bool is_import) const { return check(t, is_import, {}); }

std::string Visibility::check(const ExternType& t, bool is_import, const Local& local) const {
  const char* as = is_import ? " not valid to be used as import" : " not valid to be used as export";
  switch (t.kind) {
    case K::kFunc:
      for (const auto& p : t.func->params)
        if (!visible(p.type, is_import, local)) return std::string("func") + as + " (parameter `" + p.name + "`)";
      if (!visible(t.func->result, is_import, local)) return std::string("func") + as + " (result)";
      return {};
    case K::kValue:
      return visible(t.value, is_import, local) ? std::string() : std::string("value") + as;
    case K::kType:
      if (t.func || t.instance) {  // a function or instance type itself
        ExternType item = t;
        item.kind = t.func ? K::kFunc : K::kInstance;
        if (std::string why = check(item, is_import, local); !why.empty()) return std::string("type") + as + ": " + why;
        return {};
      }
      if (!t.value) return {};
      if (nominal(t.value) ? !members_visible(t.value, is_import, local) : !visible(t.value, is_import, local))
        return std::string("type") + as;
      return {};
    case K::kInstance: {
      Local inner = local;  // the instance's type exports name what its functions use
      for (const auto& e : t.instance->exports) {
        if (e.type.kind != K::kType) continue;
        if (e.type.resource) inner.insert(e.type.resource);
        if (e.type.value) inner.insert(e.type.value);
      }
      for (const auto& e : t.instance->exports)
        if (std::string why = check(e.type, is_import, inner); !why.empty())
          return std::string("instance") + as + ": export `" + e.name + "`: " + why;
      return {};
    }
    default:
      return {};
  }
}

void Visibility::exported_instance(const InstanceType& t) {
  for (const auto& e : t.exports) {
    if (e.type.kind == K::kInstance && e.type.instance) exported_instance(*e.type.instance);
    if (e.type.kind != K::kType) continue;
    if (e.type.resource) by_export_.insert(e.type.resource);
    if (e.type.value) by_export_.insert(e.type.value);
  }
}

bool refers_to_resources(const ExternType& t) {
  if (t.resource) return true;
  if (t.value && refers_to_resources(t.value)) return true;
  if (t.func) {
    for (const auto& p : t.func->params)
      if (refers_to_resources(p.type)) return true;
    if (t.func->result && refers_to_resources(t.func->result)) return true;
  }
  if (t.instance)
    for (const auto& e : t.instance->exports)
      if (refers_to_resources(e.type)) return true;
  if (t.component) {
    for (const auto& e : t.component->imports)
      if (refers_to_resources(e.type)) return true;
    for (const auto& e : t.component->exports)
      if (refers_to_resources(e.type)) return true;
  }
  return false;
}
bool refers_to_resources(TypeRef t) {
  if (!t) return false;
  if (t->kind == TypeKind::kOwn || t->kind == TypeKind::kBorrow) return true;
  for (const auto& f : t->fields)
    if (refers_to_resources(f.type)) return true;
  for (const auto& c : t->cases)
    if (refers_to_resources(c.type)) return true;
  for (TypeRef e : t->elements)
    if (refers_to_resources(e)) return true;
  return refers_to_resources(t->element) || refers_to_resources(t->value);
}

}  // namespace witserve::component
