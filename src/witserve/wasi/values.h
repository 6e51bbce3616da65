// Helpers for WASI host functions written against component Values: checked access to the
// arguments (a component may declare any type for an import; a mismatch traps instead of
// misreading), cases and labels found by name in the importer's own types, and the Linker
// registration shorthand. Any thread; header only.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "witserve/component/linker.h"
#include "witserve/component/types.h"
#include "witserve/wasi/context.h"

namespace witserve::wasi {

using component::FuncType;
using component::TypeKind;
using component::TypeRef;
using component::Value;
using HostResult = Result<std::optional<Value>>;

inline Error wasi_trap(std::string what) { return Error(ErrorKind::kTrap, std::move(what)); }

// Checked views of a host function's arguments.
class Args {
 public:
  Args(const FuncType& type, std::span<const Value> args) : type_(type), args_(args) {}
  Result<const Value*> at(size_t i, TypeKind kind) const {
    if (i >= args_.size() || args_[i].kind() != kind)
      return wasi_trap("argument " + std::to_string(i) + " does not have the type witserve implements");
    return &args_[i];
  }
  Result<uint64_t> u64(size_t i) const {
    if (i < args_.size()) {
      TypeKind k = args_[i].kind();
      if (k == TypeKind::kU64 || k == TypeKind::kU32 || k == TypeKind::kU16 || k == TypeKind::kU8) return args_[i].as_unsigned();
    }
    return wasi_trap("argument " + std::to_string(i) + " is not an unsigned integer");
  }
  Result<uint32_t> rep(size_t i) const {  // own or borrow of a host resource: its rep
    if (i < args_.size() && (args_[i].kind() == TypeKind::kOwn || args_[i].kind() == TypeKind::kBorrow))
      return args_[i].handle();
    return wasi_trap("argument " + std::to_string(i) + " is not a resource handle");
  }
  Result<std::string> str(size_t i) const {
    WITSERVE_ASSIGN_OR_RETURN(const Value* v, at(i, TypeKind::kString));
    return v->as_string();
  }
  // The list<u8> argument i; valid while the arguments and `store` live (a byte list is not
  // copied; `store` holds the bytes of any other list of u8 values).
  Result<std::span<const uint8_t>> bytes(size_t i, std::string& store) const {
    WITSERVE_ASSIGN_OR_RETURN(const Value* v, at(i, TypeKind::kList));
    if (!v->is_bytes()) { WITSERVE_ASSIGN_OR_RETURN(store, byte_string(*v)); }
    const std::string& b = v->is_bytes() ? v->byte_data() : store;
    return std::span(reinterpret_cast<const uint8_t*>(b.data()), b.size());
  }
  // The bytes of a list<u8> value.
  static Result<std::string> byte_string(const Value& v) {
    if (v.kind() != TypeKind::kList) return wasi_trap("a list<u8> was expected");
    if (v.is_bytes()) return v.byte_data();
    std::string out;
    out.reserve(v.items().size());
    for (const Value& b : v.items()) {
      if (b.kind() != TypeKind::kU8) return wasi_trap("a list<u8> was expected");
      out.push_back(char(b.as_unsigned()));
    }
    return out;
  }
  const FuncType& type() const { return type_; }
  TypeRef param(size_t i) const { return i < type_.params.size() ? type_.params[i].type : nullptr; }
  size_t size() const { return args_.size(); }
  const Value& operator[](size_t i) const { return args_[i]; }

 private:
  const FuncType& type_;
  std::span<const Value> args_;
};

// Index of the case (variant, option, result) or label (enum, flags) `name` in `t`; -1 if none.
inline int case_index(TypeRef t, std::string_view name) {
  if (!t) return -1;
  for (size_t i = 0; i < t->cases.size(); ++i)
    if (t->cases[i].name == name) return int(i);
  for (size_t i = 0; i < t->labels.size(); ++i)
    if (t->labels[i] == name) return int(i);
  return -1;
}
// The payload type of case `i` of a variant/option/result (null if none or out of range).
inline TypeRef case_payload(TypeRef t, uint32_t i) { return t && i < t->cases.size() ? t->cases[i].type : nullptr; }
inline TypeRef ok_type(TypeRef result) { return case_payload(result, 0); }
inline TypeRef err_type(TypeRef result) { return case_payload(result, 1); }

// The case `name` of variant `t` with `payload`; a trap if the importer's type has no such case.
inline Result<Value> variant_case(TypeRef t, std::string_view name, std::optional<Value> payload = std::nullopt) {
  int i = case_index(t, name);
  if (i < 0) return wasi_trap("the imported type has no case '" + std::string(name) + "'");
  if (t->kind == TypeKind::kEnum) return Value::enumeration(uint32_t(i));
  return Value::variant(uint32_t(i), std::move(payload));
}

inline Value bytes_value(std::span<const uint8_t> b) {
  return Value::bytes(std::string(reinterpret_cast<const char*>(b.data()), b.size()));
}
inline Value string_value(std::string_view s) { return Value::string(std::string(s)); }

inline HostResult nothing() { return std::optional<Value>(); }
inline HostResult give(Value v) { return std::optional<Value>(std::move(v)); }

// The current thread's context, or a trap when a WASI function runs outside one.
inline Result<WasiContext*> context() {
  WasiContext* c = WasiContext::current();
  if (!c) return wasi_trap("WASI called outside a request");
  return c;
}

// Registers `fn` under every interface name in `ifaces` (versions are matched by the Linker).
using WasiFn = std::function<HostResult(WasiContext&, const Args&)>;
inline void define(component::Linker& l, std::string_view iface, std::string_view name, WasiFn fn) {
  l.define_func(std::string(iface), std::string(name),
                [fn = std::move(fn)](const FuncType& type, std::span<const Value> a) -> HostResult {
                  WITSERVE_ASSIGN_OR_RETURN(WasiContext * c, context());
                  HostResult r = fn(*c, Args(type, a));
                  if (c->table().over_limit())
                    return wasi_trap("more than " + std::to_string(Table::kMaxLive) + " WASI resources are open");
                  return r;
                });
}
// A resource whose host objects live in the context's table; dropping the last handle frees it.
inline void define_resource(component::Linker& l, std::string_view iface, std::string_view name) {
  l.define_resource(std::string(iface), std::string(name), [](uint32_t rep) {
    if (WasiContext* c = WasiContext::current()) c->table().remove(rep);
  });
}
// A new object in the context's table, as the rep an own<...> result carries.
inline Value own(WasiContext& c, std::unique_ptr<Object> o) { return Value::own(c.table().add(std::move(o))); }

}  // namespace witserve::wasi
