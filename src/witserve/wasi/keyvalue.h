// Internal to wasi/: what keyvalue.cc (wasi:keyvalue) and spin_key_value.cc (Spin's key-value)
// share — the host object behind an opened store (wasi's `bucket`, Spin's `store`) and the
// mapping of a backend's failure to the importer's error variant. Functions run on the worker
// thread of the WasiContext; the kv::Store they reach is thread-safe.
#pragma once

#include <memory>

#include "witserve/kv/store.h"
#include "witserve/wasi/values.h"

namespace witserve::wasi::keyvalue {

// An opened store: the resource `bucket` (wasi:keyvalue) or `store` (Spin).
class OpenStore : public Object {
 public:
  explicit OpenStore(std::shared_ptr<kv::Store> s) : store(std::move(s)) {}
  std::shared_ptr<kv::Store> store;
};

// The granted store labelled `label`, or null (the interface's access-denied).
inline std::shared_ptr<kv::Store> granted(WasiContext& c, const std::string& label) {
  auto it = c.grants().key_value.find(label);
  return it == c.grants().key_value.end() ? nullptr : it->second;
}

// err(other("...")) in the error type `err_t`, e.g. a key over the limit or Redis away.
inline HostResult error(TypeRef err_t, const Error& e) {
  WITSERVE_ASSIGN_OR_RETURN(Value v, variant_case(err_t, "other", string_value(e.message())));
  return give(Value::err(std::move(v)));
}
// err(CASE) without payload: access-denied, no-such-store.
inline HostResult error_case(TypeRef err_t, std::string_view name) {
  WITSERVE_ASSIGN_OR_RETURN(Value v, variant_case(err_t, name));
  return give(Value::err(std::move(v)));
}

// The error type of the function's result<_, error>.
inline TypeRef error_type(const Args& a) { return err_type(a.type().result); }

inline Value option_bytes(const std::optional<std::string>& v) {
  return v ? Value::some(Value::bytes(*v)) : Value::none();
}

template <typename T>
Result<T*> object(WasiContext& c, const Args& a, size_t i = 0) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(i));
  return c.table().get<T>(rep);
}

// Returns the function's error (err(other)) from a backend Result `expr` that failed.
#define WITSERVE_KV_TRY(lhs, expr, a)                                                   \
  auto WITSERVE_CONCAT_(kv_r_, __LINE__) = (expr);                                    \
  if (!WITSERVE_CONCAT_(kv_r_, __LINE__).ok())                                         \
    return ::witserve::wasi::keyvalue::error(::witserve::wasi::keyvalue::error_type(a), \
                                             WITSERVE_CONCAT_(kv_r_, __LINE__).error()); \
  lhs = std::move(WITSERVE_CONCAT_(kv_r_, __LINE__)).value()
#define WITSERVE_KV_CHECK(expr, a)                                                         \
  do {                                                                                     \
    auto kv_s_ = (expr);                                                                   \
    if (!kv_s_.ok())                                                                       \
      return ::witserve::wasi::keyvalue::error(::witserve::wasi::keyvalue::error_type(a), kv_s_.error()); \
  } while (0)

// The functions every version shares, for an interface whose store resource is `resource`
// ("bucket" or "store"): open (under `open_name`), get, set, delete, exists.
void add_store_basics(component::Linker& l, std::string_view iface, std::string_view resource,
                      std::string_view open_name);

}  // namespace witserve::wasi::keyvalue
