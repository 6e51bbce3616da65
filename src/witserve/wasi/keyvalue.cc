// wasi:keyvalue: `store`, `atomics` and `batch` of 0.2.0-draft (what wasmtime links) and
// 0.2.0-draft2 (what Spin 4 links), over the route's granted kv::Stores (keyvalue.h). The two
// drafts differ in a few types (list-keys' cursor u64 / string, increment's u64 / s64, get-many's
// element shape, and draft2's compare-and-swap); each function reads which from the importer's
// own types, so one implementation serves both. Stateless; acts on WasiContext::current().
#include "witserve/wasi/keyvalue.h"

#include <limits>

#include "witserve/wasi/wasi.h"

namespace witserve::wasi {
namespace keyvalue {

void add_store_basics(component::Linker& l, std::string_view iface, std::string_view resource,
                      std::string_view open_name) {
  std::string r(resource);
  define_resource(l, iface, r);
  define(l, iface, open_name, [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(std::string label, a.str(0));
    auto store = granted(c, label);
    if (!store) return error_case(error_type(a), "access-denied");
    return give(Value::ok(own(c, std::make_unique<OpenStore>(std::move(store)))));
  });
  define(l, iface, "[method]" + r + ".get", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string key, a.str(1));
    WITSERVE_KV_CHECK(s->store->check_key(key), a);
    WITSERVE_KV_TRY(auto v, s->store->get(key), a);
    return give(Value::ok(option_bytes(v)));
  });
  define(l, iface, "[method]" + r + ".set", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string key, a.str(1));
    std::string held;
    WITSERVE_ASSIGN_OR_RETURN(auto bytes, a.bytes(2, held));
    std::string value(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    WITSERVE_KV_CHECK(s->store->check_key(key), a);
    WITSERVE_KV_CHECK(s->store->check_value(value), a);
    WITSERVE_KV_CHECK(s->store->set(key, value), a);
    return give(Value::ok());
  });
  define(l, iface, "[method]" + r + ".delete", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string key, a.str(1));
    WITSERVE_KV_CHECK(s->store->check_key(key), a);
    WITSERVE_KV_CHECK(s->store->remove(key), a);
    return give(Value::ok());
  });
  define(l, iface, "[method]" + r + ".exists", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string key, a.str(1));
    WITSERVE_KV_CHECK(s->store->check_key(key), a);
    WITSERVE_KV_TRY(bool e, s->store->exists(key), a);
    return give(Value::ok(Value::boolean(e)));
  });
}

}  // namespace keyvalue

namespace {

using namespace keyvalue;

// A compare-and-swap in progress (draft2 atomics.cas): the value the key held when it began.
class Cas : public Object {
 public:
  std::shared_ptr<kv::Store> store;
  std::string key;
  std::optional<std::string> current;
};

// The keys of a list<string> argument, checked against the store's limits.
Result<std::vector<std::string>> key_list(const Value& list) {
  std::vector<std::string> keys;
  for (const Value& k : list.items()) {
    if (k.kind() != TypeKind::kString) return wasi_trap("a list<string> was expected");
    keys.push_back(k.as_string());
  }
  return keys;
}

Status check_keys(const kv::Store& s, const std::vector<std::string>& keys) {
  WITSERVE_TRY(s.check_batch(keys.size()));
  for (const auto& k : keys) WITSERVE_TRY(s.check_key(k));
  return ok();
}

void add_version(component::Linker& l, const std::string& version) {
  const std::string store = "wasi:keyvalue/store@" + version;
  const std::string atomics = "wasi:keyvalue/atomics@" + version;
  const std::string batch = "wasi:keyvalue/batch@" + version;
  add_store_basics(l, store, "bucket", "open");

  define(l, store, "[method]bucket.list-keys", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(const Value* cursor, a.at(1, TypeKind::kOption));
    std::optional<std::string> from;
    if (const Value* p = cursor->payload())
      from = p->kind() == TypeKind::kString ? p->as_string() : std::to_string(p->as_unsigned());
    WITSERVE_KV_TRY(kv::KeyPage page, s->store->list_keys(from), a);
    // key-response { keys: list<string>, cursor: option<u64> (draft) or option<string> (draft2) }
    TypeRef response = ok_type(a.type().result);
    if (!response || response->fields.size() != 2) return wasi_trap("list-keys: unexpected key-response type");
    TypeRef cursor_t = case_payload(response->fields[1].type, 1);
    std::vector<Value> keys;
    for (auto& k : page.keys) keys.push_back(Value::string(std::move(k)));
    Value next = Value::none();
    if (page.cursor) {
      if (cursor_t && cursor_t->kind == TypeKind::kU64) next = Value::some(Value::u64(std::stoull(*page.cursor)));
      else next = Value::some(Value::string(*page.cursor));
    }
    return give(Value::ok(Value::record({Value::list(std::move(keys)), std::move(next)})));
  });

  // atomics: increment (delta u64 in draft, s64 in draft2), and draft2's cas and swap.
  define(l, atomics, "increment", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string key, a.str(1));
    if (a.size() < 3) return wasi_trap("increment: no delta");
    bool is_unsigned = a[2].kind() == TypeKind::kU64;
    if (!is_unsigned && a[2].kind() != TypeKind::kS64) return wasi_trap("increment: the delta is not a u64 or s64");
    if (is_unsigned && a[2].as_unsigned() > uint64_t(std::numeric_limits<int64_t>::max()))
      return error(error_type(a), Error(ErrorKind::kInvalidArgument, "increment: a delta above 2^63-1 is not supported"));
    int64_t delta = is_unsigned ? int64_t(a[2].as_unsigned()) : a[2].as_signed();
    WITSERVE_KV_CHECK(s->store->check_key(key), a);
    WITSERVE_KV_TRY(int64_t n, s->store->increment(key, delta), a);
    TypeRef out = ok_type(a.type().result);
    if (out && out->kind == TypeKind::kU64) {
      if (n < 0) return error(error_type(a), Error(ErrorKind::kInvalidArgument, "the counter '" + key + "' is negative (" + std::to_string(n) + "), not a u64"));
      return give(Value::ok(Value::u64(uint64_t(n))));
    }
    return give(Value::ok(Value::s64(n)));
  });
  define_resource(l, atomics, "cas");
  define(l, atomics, "[static]cas.new", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string key, a.str(1));
    WITSERVE_KV_CHECK(s->store->check_key(key), a);
    auto cas = std::make_unique<Cas>();
    WITSERVE_KV_TRY(cas->current, s->store->get(key), a);
    cas->store = s->store;
    cas->key = std::move(key);
    return give(Value::ok(own(c, std::move(cas))));
  });
  define(l, atomics, "[method]cas.current", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Cas * cas, object<Cas>(c, a));
    return give(Value::ok(option_bytes(cas->current)));
  });
  define(l, atomics, "swap", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(auto cas, c.table().take<Cas>(rep));
    std::string held;
    WITSERVE_ASSIGN_OR_RETURN(auto bytes, a.bytes(1, held));
    std::string value(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    TypeRef cas_error = error_type(a);  // variant { store-error(error), cas-failed(cas) }
    auto store_error = [&](const Error& e) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(Value inner, variant_case(case_payload(cas_error, 0), "other", string_value(e.message())));
      WITSERVE_ASSIGN_OR_RETURN(Value v, variant_case(cas_error, "store-error", std::move(inner)));
      return give(Value::err(std::move(v)));
    };
    if (Status s = cas->store->check_value(value); !s.ok()) return store_error(s.error());
    auto swapped = cas->store->compare_and_swap(cas->key, cas->current, value);
    if (!swapped.ok()) return store_error(swapped.error());
    if (*swapped) return give(Value::ok());
    // Someone else changed it: a new cas with the value now there, to retry from.
    auto again = cas->store->get(cas->key);
    if (!again.ok()) return store_error(again.error());
    cas->current = std::move(*again);
    WITSERVE_ASSIGN_OR_RETURN(Value v, variant_case(cas_error, "cas-failed", own(c, std::move(cas))));
    return give(Value::err(std::move(v)));
  });

  // batch: get-many's elements are option<tuple<key, value>> (draft) or tuple<key, option<value>>
  // (draft2).
  define(l, batch, "get-many", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(const Value* list, a.at(1, TypeKind::kList));
    WITSERVE_ASSIGN_OR_RETURN(auto keys, key_list(*list));
    WITSERVE_KV_CHECK(check_keys(*s->store, keys), a);
    WITSERVE_KV_TRY(auto values, s->store->get_many(keys), a);
    TypeRef out = ok_type(a.type().result);
    bool draft = out && out->element && out->element->kind == TypeKind::kOption;
    std::vector<Value> items;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (draft) {
        items.push_back(values[i] ? Value::some(Value::tuple({Value::string(keys[i]), Value::bytes(*values[i])}))
                                  : Value::none());
      } else {
        items.push_back(Value::tuple({Value::string(keys[i]), option_bytes(values[i])}));
      }
    }
    return give(Value::ok(Value::list(std::move(items))));
  });
  define(l, batch, "set-many", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(const Value* list, a.at(1, TypeKind::kList));
    std::vector<std::pair<std::string, std::string>> entries;
    for (const Value& e : list->items()) {
      if (e.kind() != TypeKind::kTuple || e.items().size() != 2) return wasi_trap("set-many: bad entry");
      WITSERVE_ASSIGN_OR_RETURN(std::string value, Args::byte_string(e.items()[1]));
      WITSERVE_KV_CHECK(s->store->check_key(e.items()[0].as_string()), a);
      WITSERVE_KV_CHECK(s->store->check_value(value), a);
      entries.emplace_back(e.items()[0].as_string(), std::move(value));
    }
    WITSERVE_KV_CHECK(s->store->check_batch(entries.size()), a);
    WITSERVE_KV_CHECK(s->store->set_many(entries), a);
    return give(Value::ok());
  });
  define(l, batch, "delete-many", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(const Value* list, a.at(1, TypeKind::kList));
    WITSERVE_ASSIGN_OR_RETURN(auto keys, key_list(*list));
    WITSERVE_KV_CHECK(check_keys(*s->store, keys), a);
    WITSERVE_KV_CHECK(s->store->remove_many(keys), a);
    return give(Value::ok());
  });
}

}  // namespace

void add_keyvalue(component::Linker& l) {
  for (const char* version : {"0.2.0-draft", "0.2.0-draft2"}) add_version(l, version);
}

}  // namespace witserve::wasi
