// KeyValueStores (key_value.h).
#include "witserve/runtime/key_value.h"

#include <cstdlib>
#include <set>

#include "witserve/base/log.h"

namespace witserve::runtime {

Result<std::shared_ptr<const KeyValueStores>> KeyValueStores::open(const manifest::Manifest& m) {
  auto out = std::make_shared<KeyValueStores>();
  std::set<std::string> used;
  for (const auto& r : m.routes) used.insert(r.key_value_stores.begin(), r.key_value_stores.end());
  for (const auto& label : used) {
    auto it = m.key_value_stores.find(label);
    if (it == m.key_value_stores.end())
      return Error(ErrorKind::kInvalidArgument, "no key-value store '" + label + "' in the manifest");
    const auto& c = it->second;
    kv::StoreOptions o;
    o.limits.max_key = c.max_key;
    o.limits.max_value = c.max_value;
    std::string where;
    if (c.type == manifest::KeyValueStoreConfig::Type::kRedis) {
      o.type = kv::StoreOptions::Type::kRedis;
      o.url = c.url;
      if (!c.url_env.empty()) {
        const char* v = std::getenv(c.url_env.c_str());
        if (!v || !*v)
          return Error(ErrorKind::kInvalidArgument, "key_value_store." + label + ".url: the environment variable " +
                                                        c.url_env + " is not set");
        o.url = v;
      }
      where = "redis";
    } else {
      o.path = c.path.empty() ? m.server.data_dir / "key-value" / (label + ".sqlite") : c.path;
      where = o.path.string();
    }
    auto store = kv::open_store(label, o);
    if (!store.ok()) return std::move(store).error().with_context("key-value store '" + label + "'");
    spdlog::info("key-value store '{}': {}", label, where);
    out->stores_[label] = std::move(*store);
  }
  return std::shared_ptr<const KeyValueStores>(std::move(out));
}

std::shared_ptr<kv::Store> KeyValueStores::find(const std::string& label) const {
  auto it = stores_.find(label);
  return it == stores_.end() ? nullptr : it->second;
}

}  // namespace witserve::runtime
