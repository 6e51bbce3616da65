// Configuration for handlers: wasi:config/store (0.2.0-draft, 0.2.0-rc.1 and Spin's
// 0.2.0-draft-2024-09-27, one shape) and Spin's variables (fermyon:spin/variables@2.0.0,
// spin:variables/variables@3.0.0, the latter async: served to a guest that lowers it
// synchronously), read from the route's config table (Grants::config; `{ env = "NAME" }` values
// were resolved when the route was loaded). Stateless; acts on WasiContext::current().
#include "witserve/wasi/values.h"
#include "witserve/wasi/wasi.h"

namespace witserve::wasi {
namespace {

// Spin's variable names: lower-case letters, digits and '_', starting with a letter, no "__".
bool is_spin_variable_name(std::string_view n) {
  if (n.empty() || !(n[0] >= 'a' && n[0] <= 'z') || n.find("__") != std::string_view::npos || n.back() == '_')
    return false;
  for (char ch : n)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  return true;
}

HostResult variable_error(const Args& a, std::string_view which, std::string message) {
  WITSERVE_ASSIGN_OR_RETURN(Value e, variant_case(err_type(a.type().result), which, string_value(message)));
  return give(Value::err(std::move(e)));
}

}  // namespace

void add_config(component::Linker& l) {
  for (const char* iface : {"wasi:config/store@0.2.0-draft", "wasi:config/store@0.2.0-rc.1",
                            "wasi:config/store@0.2.0-draft-2024-09-27"}) {
    define(l, iface, "get", [](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(std::string key, a.str(0));
      auto it = c.grants().config.find(key);
      if (it == c.grants().config.end()) return give(Value::ok(Value::none()));
      return give(Value::ok(Value::some(string_value(it->second))));
    });
    define(l, iface, "get-all", [](WasiContext& c, const Args&) -> HostResult {
      std::vector<Value> all;
      for (const auto& [k, v] : c.grants().config) all.push_back(Value::tuple({string_value(k), string_value(v)}));
      return give(Value::ok(Value::list(std::move(all))));
    });
  }
  for (const char* iface : {"fermyon:spin/variables@2.0.0", "spin:variables/variables@3.0.0"}) {
    define(l, iface, "get", [](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(const Value* arg, a.at(0, TypeKind::kString));
      const std::string& name = arg->as_string();
      if (!is_spin_variable_name(name))
        return variable_error(a, "invalid-name", "'" + name + "' is not a variable name (lower-case letters, digits and '_', starting with a letter)");
      auto it = c.grants().config.find(name);
      if (it == c.grants().config.end()) return variable_error(a, "undefined", "no variable '" + name + "' in the route's config");
      return give(Value::ok(string_value(it->second)));
    });
  }
}

}  // namespace witserve::wasi
