// Spin's key-value: fermyon:spin/key-value@2.0.0 and spin:key-value/key-value@3.0.0 (Spin 4),
// over the route's granted kv::Stores (keyvalue.h). 3.0.0 declares its functions async: they
// serve a guest that lowers them synchronously; its get-keys returns a stream, which witserve
// does not provide yet. Stateless; acts on WasiContext::current().
#include "witserve/wasi/keyvalue.h"
#include "witserve/wasi/wasi.h"

namespace witserve::wasi {

void add_spin_key_value(component::Linker& l) {
  using namespace keyvalue;
  for (const char* iface : {"fermyon:spin/key-value@2.0.0", "spin:key-value/key-value@3.0.0"})
    add_store_basics(l, iface, "store", "[static]store.open");
  // 2.0.0: every key at once.
  define(l, "fermyon:spin/key-value@2.0.0", "[method]store.get-keys", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OpenStore * s, object<OpenStore>(c, a));
    std::vector<Value> keys;
    std::optional<std::string> cursor;
    do {
      WITSERVE_KV_TRY(kv::KeyPage page, s->store->list_keys(cursor), a);
      for (auto& k : page.keys) keys.push_back(Value::string(std::move(k)));
      cursor = std::move(page.cursor);
      if (keys.size() > 1'000'000)
        return error(error_type(a), Error(ErrorKind::kInvalidArgument, "the store holds more than 1,000,000 keys; list them with wasi:keyvalue's list-keys"));
    } while (cursor);
    return give(Value::ok(Value::list(std::move(keys))));
  });
}

}  // namespace witserve::wasi
