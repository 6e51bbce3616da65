// Internal to manifest/: the parts of the manifest about handler state and configuration — the
// [key_value_store.LABEL] tables, a route's key_value_stores and its config table (strings or
// { env = "NAME" }). Called by manifest.cc's checker; problems go to `problem` with their node.
// Pure code; any thread.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include <toml++/toml.h>

#include "witserve/manifest/manifest.h"

namespace witserve::manifest::detail {

using ProblemFn = std::function<void(const toml::node& at, std::string message)>;

// [key_value_store] (a table of tables by label) into `out`, adding the implicit "default".
// Relative sqlite paths start at `base`; without one the path stays empty (the data directory's,
// known only when the server starts: --data-dir may override the manifest's).
void key_value_stores(const toml::node* node, const std::filesystem::path& base, const ProblemFn& problem,
                      std::map<std::string, KeyValueStoreConfig>& out);

// A route's config table into route.config / route.config_env.
void route_config(const toml::table& t, const ProblemFn& problem, RouteConfig& route);

// A route's key_value_stores array (labels), checked against the declared stores.
void route_key_value_stores(const toml::node& node, const std::map<std::string, KeyValueStoreConfig>& stores,
                            const ProblemFn& problem, RouteConfig& route);

}  // namespace witserve::manifest::detail
