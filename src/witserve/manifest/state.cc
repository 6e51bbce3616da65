// Key-value stores and route configuration in the manifest (state.h).
#include "witserve/manifest/state.h"

#include <algorithm>

#include <fmt/format.h>

namespace witserve::manifest::detail {
namespace {

bool is_label(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string_view kind(const toml::node& n) {
  if (n.is_table()) return "a table";
  if (n.is_array()) return "an array";
  if (n.is_string()) return "a string";
  if (n.is_integer()) return "an integer";
  if (n.is_boolean()) return "a boolean";
  return "another type";
}

// A size: an integer number of bytes or a string with a unit.
std::optional<uint64_t> size(const toml::node& n, std::string_view name, const ProblemFn& problem) {
  if (auto* i = n.as_integer()) {
    if (i->get() > 0) return uint64_t(i->get());
    problem(n, fmt::format("{} must be greater than 0", name));
    return std::nullopt;
  }
  if (auto* s = n.as_string()) {
    auto r = parse_size(s->get());
    if (r.ok()) return *r;
    problem(n, fmt::format("{}: {}", name, r.error().message()));
    return std::nullopt;
  }
  problem(n, fmt::format("{} must be an integer or a string like \"1MiB\", not {}", name, kind(n)));
  return std::nullopt;
}

// { env = "NAME" }: the name, or nullopt after reporting the problem.
std::optional<std::string> env_reference(const toml::table& t, std::string_view name, const ProblemFn& problem) {
  const toml::node* env = t.get("env");
  if (!env || t.size() != 1) {
    problem(t, fmt::format("{} must be a string or {{ env = \"NAME\" }}", name));
    return std::nullopt;
  }
  auto* s = env->as_string();
  if (!s || !is_env_name(s->get())) {
    problem(*env, fmt::format("{}.env must name an environment variable (letters, digits, '_')", name));
    return std::nullopt;
  }
  return s->get();
}

}  // namespace

void key_value_stores(const toml::node* node, const std::filesystem::path& base, const ProblemFn& problem,
                      std::map<std::string, KeyValueStoreConfig>& out) {
  if (node && !node->is_table()) {
    problem(*node, fmt::format("key_value_store must be a table of stores ([key_value_store.LABEL]), not {}", kind(*node)));
  } else if (node) {
    for (auto&& [key, value] : *node->as_table()) {
      std::string label(key.str());
      std::string where = "key_value_store." + label;
      if (!is_label(label)) {
        problem(value, fmt::format("key_value_store: \"{}\" is not a store label (1-64 letters, digits, '_' or '-')", label));
        continue;
      }
      auto* t = value.as_table();
      if (!t) {
        problem(value, fmt::format("{} must be a table, not {}", where, kind(value)));
        continue;
      }
      KeyValueStoreConfig c;
      c.line = int(t->source().begin.line);
      for (auto&& [k, v] : *t) {
        std::string_view name = k.str();
        if (name != "type" && name != "path" && name != "url" && name != "max_key" && name != "max_value")
          problem(v, fmt::format("unknown key \"{}.{}\" (a store takes type, path, url, max_key, max_value)", where, name));
      }
      std::string type = "sqlite";
      if (const toml::node* n = t->get("type")) {
        if (auto* s = n->as_string(); s && (s->get() == "sqlite" || s->get() == "redis")) type = s->get();
        else problem(*n, fmt::format("{}.type must be \"sqlite\" or \"redis\"", where));
      }
      if (type == "redis") {
        c.type = KeyValueStoreConfig::Type::kRedis;
        if (t->contains("path")) problem(*t->get("path"), fmt::format("{}.path is for sqlite stores", where));
        const toml::node* url = t->get("url");
        if (!url) {
          problem(*t, fmt::format("{} is a redis store without a url", where));
        } else if (auto* s = url->as_string()) {
          if (!s->get().starts_with("redis://")) problem(*url, fmt::format("{}.url must start with redis://", where));
          c.url = s->get();
        } else if (auto* e = url->as_table()) {
          if (auto name = env_reference(*e, where + ".url", problem)) c.url_env = *name;
        } else {
          problem(*url, fmt::format("{}.url must be a string or {{ env = \"NAME\" }}", where));
        }
      } else {
        if (t->contains("url")) problem(*t->get("url"), fmt::format("{}.url is for redis stores", where));
        if (const toml::node* p = t->get("path")) {
          auto* s = p->as_string();
          if (!s || s->get().empty()) problem(*p, fmt::format("{}.path must be a file name", where));
          else c.path = (std::filesystem::path(s->get()).is_absolute() ? std::filesystem::path(s->get()) : base / s->get()).lexically_normal();
        }
      }
      if (const toml::node* n = t->get("max_key"))
        if (auto v = size(*n, where + ".max_key", problem)) c.max_key = *v;
      if (const toml::node* n = t->get("max_value"))
        if (auto v = size(*n, where + ".max_value", problem)) c.max_value = *v;
      out[label] = std::move(c);
    }
  }
  if (!out.contains("default")) out["default"] = KeyValueStoreConfig{};
}

void route_config(const toml::table& t, const ProblemFn& problem, RouteConfig& route) {
  for (auto&& [key, value] : t) {
    std::string name(key.str());
    if (auto* s = value.as_string()) {
      route.config.emplace(name, s->get());
    } else if (auto* e = value.as_table()) {
      if (auto env = env_reference(*e, "route.config." + name, problem)) route.config_env.emplace(name, *env);
    } else {
      problem(value, fmt::format("route.config.{} must be a string or {{ env = \"NAME\" }}, not {}", name, kind(value)));
    }
  }
}

void route_key_value_stores(const toml::node& node, const std::map<std::string, KeyValueStoreConfig>& stores,
                            const ProblemFn& problem, RouteConfig& route) {
  auto* a = node.as_array();
  if (!a) {
    problem(node, fmt::format("route.key_value_stores must be an array of store labels, not {}", kind(node)));
    return;
  }
  for (const toml::node& e : *a) {
    auto* s = e.as_string();
    if (!s) {
      problem(e, fmt::format("route.key_value_stores: a label must be a string, not {}", kind(e)));
    } else if (!stores.contains(s->get())) {
      problem(e, fmt::format("route.key_value_stores: no store \"{}\" (declare it as [key_value_store.{}])", s->get(),
                             s->get()));
    } else if (std::find(route.key_value_stores.begin(), route.key_value_stores.end(), s->get()) ==
               route.key_value_stores.end()) {
      route.key_value_stores.push_back(s->get());
    }
  }
}

}  // namespace witserve::manifest::detail
