// Value equality and type checking. See value.h.
#include "witserve/component/value.h"

#include "witserve/base/unicode.h"

#include <cmath>

namespace witserve::component {

bool Value::operator==(const Value& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case TypeKind::kF32:
    case TypeKind::kF64:
      return f_ == o.f_ || (std::isnan(f_) && std::isnan(o.f_));
    case TypeKind::kS8: case TypeKind::kS16: case TypeKind::kS32: case TypeKind::kS64:
      return i_ == o.i_;
    case TypeKind::kString:
      return s_ == o.s_;
    case TypeKind::kList:
      if (is_bytes_ && o.is_bytes_) return s_ == o.s_;
      return items() == o.items();
    default:
      return u_ == o.u_ && items_ == o.items_;
  }
}

namespace {

Error mismatch(const std::string& what) { return Error(ErrorKind::kInvalidArgument, what); }

bool kind_fits(TypeKind value, TypeKind type) { return value == type; }

}  // namespace

Status check_value(const Value& v, TypeRef t) {
  if (!kind_fits(v.kind(), t->kind))
    return mismatch("expected a value of type " + to_string(t));
  switch (t->kind) {
    case TypeKind::kString:
      if (!is_valid_utf8(v.as_string())) return mismatch("string is not valid UTF-8");
      return ok();
    case TypeKind::kChar: {
      char32_t c = v.as_char();
      if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return mismatch("not a Unicode scalar value");
      return ok();
    }
    case TypeKind::kList:
      if (v.is_bytes() && !t->fixed_length && t->element->kind == TypeKind::kU8) return ok();
      if (t->fixed_length && v.items().size() != *t->fixed_length)
        return mismatch("expected " + std::to_string(*t->fixed_length) + " elements, got " +
                        std::to_string(v.items().size()));
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (auto st = check_value(v.items()[i], t->element); !st.ok())
          return std::move(st).error().with_context("element " + std::to_string(i));
      }
      return ok();
    case TypeKind::kRecord:
      if (v.items().size() != t->fields.size())
        return mismatch("expected " + std::to_string(t->fields.size()) + " record fields, got " +
                        std::to_string(v.items().size()));
      for (size_t i = 0; i < t->fields.size(); ++i) {
        if (auto st = check_value(v.items()[i], t->fields[i].type); !st.ok())
          return std::move(st).error().with_context("field " + t->fields[i].name);
      }
      return ok();
    case TypeKind::kTuple:
      if (v.items().size() != t->elements.size())
        return mismatch("expected a tuple of " + std::to_string(t->elements.size()));
      for (size_t i = 0; i < t->elements.size(); ++i) {
        if (auto st = check_value(v.items()[i], t->elements[i]); !st.ok())
          return std::move(st).error().with_context("element " + std::to_string(i));
      }
      return ok();
    case TypeKind::kVariant:
    case TypeKind::kOption:
    case TypeKind::kResult: {
      if (v.case_index() >= t->cases.size()) return mismatch("case index out of range");
      const auto& c = t->cases[v.case_index()];
      if (!c.type != !v.payload())
        return mismatch(c.type ? "case " + c.name + " needs a payload" : "case " + c.name + " has no payload");
      if (c.type) {
        if (auto st = check_value(*v.payload(), c.type); !st.ok())
          return std::move(st).error().with_context("case " + c.name);
      }
      return ok();
    }
    case TypeKind::kEnum:
      if (v.case_index() >= t->labels.size()) return mismatch("enum case out of range");
      return ok();
    case TypeKind::kFlags:
      if (t->labels.size() < 32 && (v.flag_bits() >> t->labels.size()) != 0)
        return mismatch("flag bits beyond the type's labels");
      return ok();
    default:
      return ok();
  }
}

}  // namespace witserve::component
