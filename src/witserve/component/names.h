// Import and export names, and the labels of value types, as the component model validates them
// (Explainer.md, "Import and Export Definitions" and "Name Uniqueness"; Binary.md's notes on
// `[constructor]`, `[method]` and `[static]`): kebab-case labels, interface names with an optional
// semver, annotated plain names, and strong uniqueness (names that only differ in case, or a
// `[method]r.f` and an `f`, conflict). Pure functions; any thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "witserve/component/types.h"

namespace witserve::component {

// `a`, `a-b-c`, `A1-2-3`, `is-XML`: fragments that are all-lowercase words or all-uppercase
// acronyms, joined by single '-', the first starting with a letter.
bool is_label(std::string_view s);

// A parsed extern name.
struct ExternName {
  enum class Kind { kPlain, kConstructor, kMethod, kStatic, kInterface };
  Kind kind = Kind::kPlain;
  std::string resource;  // kConstructor/kMethod/kStatic: the resource's label
  std::string label;     // kPlain: the label; kMethod/kStatic: the function's label
};

// Parses `name` as an `externname`; on failure returns false and says why in `why`.
bool parse_extern_name(std::string_view name, ExternName* out, std::string* why);

// The canonical form two names are compared by for strong uniqueness.
std::string uniqueness_key(std::string_view name);

// Labels of one record, variant, flags, enum or function's parameters: each a label, none equal
// to another ignoring case. Returns why not, or an empty string.
std::string check_labels(const std::vector<std::string>& labels, const char* what);

// The names declared so far in one scope (a component, component type or instance type): checks
// each new import or export name against the grammar, strong uniqueness and the rules of
// `[constructor]`, `[method]` and `[static]` names (a function, of a resource named before it in
// the same scope, with the right result or `self` parameter).
class NameScope {
 public:
  // Why `name` cannot be declared with `type`, or an empty string (and the name is recorded).
  // `implements`: the name's `implements` attribute, which must be an interface name on an
  // instance with a plain name.
  std::string add(std::string_view name, const ExternType& type, bool is_import,
                  const std::optional<std::string>& implements = std::nullopt);

 private:
  std::string check_annotation(const ExternName& n, std::string_view name, const ExternType& type, int dir) const;

  std::set<std::string> keys_[2];                                // exports, imports
  std::map<std::string, const ResourceType*> resources_[2];      // by label
};

}  // namespace witserve::component
