// Extern-name and label validation; see names.h.
#include "witserve/component/names.h"

#include <cctype>
#include <vector>

namespace witserve::component {
namespace {

bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool upper_or_digit(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// `words`: lowercase words joined by '-', the first starting with a letter.
bool is_words(std::string_view s) {
  auto parts = split(s, '-');
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return false;
    if (i == 0 && !(parts[i][0] >= 'a' && parts[i][0] <= 'z')) return false;
    for (char c : parts[i])
      if (!lower_or_digit(c)) return false;
  }
  return true;
}

bool is_numeric(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Semantic Versioning 2.0: MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD].
bool is_semver(std::string_view v, std::string* why) {
  if (v.empty()) return *why = "an empty string is not a version", false;
  std::string_view build, pre;
  if (auto plus = v.find('+'); plus != std::string_view::npos) {
    build = v.substr(plus + 1);
    v = v.substr(0, plus);
    for (auto id : split(build, '.')) {
      if (id.empty()) return *why = "empty identifier segment in the version's build metadata", false;
      for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
          return *why = std::string("unexpected character '") + c + "' in the version", false;
    }
  }
  if (auto dash = v.find('-'); dash != std::string_view::npos) {
    pre = v.substr(dash + 1);
    v = v.substr(0, dash);
    for (auto id : split(pre, '.')) {
      if (id.empty()) return *why = "empty identifier segment in the version's pre-release", false;
      for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
          return *why = std::string("unexpected character '") + c + "' in the version", false;
      if (is_numeric(id) && id.size() > 1 && id[0] == '0')
        return *why = "a numeric pre-release identifier has a leading zero", false;
    }
  }
  auto nums = split(v, '.');
  for (auto n : nums) {
    for (char c : n)
      if (c < '0' || c > '9') return *why = std::string("unexpected character '") + c + "' in the version", false;
    if (n.empty()) return *why = "unexpected end of input in the version", false;
    if (n.size() > 1 && n[0] == '0') return *why = "a version number has a leading zero", false;
  }
  if (nums.size() != 3) return *why = "unexpected end of input: a version is MAJOR.MINOR.PATCH", false;
  return true;
}

bool bad(std::string* why, std::string_view name, const std::string& what) {
  *why = "`" + std::string(name) + "` " + what;
  return false;
}

}  // namespace

bool is_label(std::string_view s) {
  auto parts = split(s, '-');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view f = parts[i];
    if (f.empty()) return false;
    if (i == 0 && !std::isalpha(static_cast<unsigned char>(f[0]))) return false;
    bool all_lower = true, all_upper = true;
    for (char c : f) {
      all_lower &= lower_or_digit(c);
      all_upper &= upper_or_digit(c);
    }
    if (!all_lower && !all_upper) return false;
  }
  return true;
}

bool parse_extern_name(std::string_view name, ExternName* out, std::string* why) {
  ExternName n;
  auto annotated = [&](std::string_view prefix, ExternName::Kind kind, bool dotted) -> int {
    if (!name.starts_with(prefix)) return 0;
    std::string_view rest = name.substr(prefix.size());
    n.kind = kind;
    if (!dotted) {
      if (!is_label(rest)) return bad(why, rest, "is not in kebab case") ? 1 : -1;
      n.resource = std::string(rest);
      return 1;
    }
    auto dot = rest.find('.');
    if (dot == std::string_view::npos)
      return bad(why, name, "is not a valid extern name: expected `" + std::string(prefix) + "R.name`") ? 1 : -1;
    std::string_view r = rest.substr(0, dot), f = rest.substr(dot + 1);
    if (!is_label(r)) return bad(why, r, "is not in kebab case") ? 1 : -1;
    if (!is_label(f)) return bad(why, f, "is not in kebab case") ? 1 : -1;
    n.resource = std::string(r);
    n.label = std::string(f);
    return 1;
  };
  for (auto [prefix, kind, dotted] : {std::tuple{std::string_view("[constructor]"), ExternName::Kind::kConstructor, false},
                                      std::tuple{std::string_view("[method]"), ExternName::Kind::kMethod, true},
                                      std::tuple{std::string_view("[static]"), ExternName::Kind::kStatic, true}}) {
    int r = annotated(prefix, kind, dotted);
    if (r < 0) return false;
    if (r > 0) {
      *out = n;
      return true;
    }
  }
  if (!name.empty() && name[0] == '[') return bad(why, name, "is not a valid extern name: unknown annotation");
  auto colon = name.find(':');
  if (colon == std::string_view::npos) {
    if (!is_label(name)) return bad(why, name, "is not in kebab case");
    n.label = std::string(name);
    *out = n;
    return true;
  }
  // An interface name: namespace ':' package '/' interface ('@' version)?
  std::string_view ns = name.substr(0, colon), rest = name.substr(colon + 1);
  if (!is_label(ns)) return bad(why, ns, "is not in kebab case");
  if (!is_words(ns)) return bad(why, name, "is not a valid extern name");
  auto at = rest.find('@');
  std::string_view path = rest.substr(0, at);
  auto slash = path.find('/');
  if (slash == std::string_view::npos) {
    if (path.find(':') != std::string_view::npos) return bad(why, name, "is not a valid extern name: expected `/` after package name");
    return bad(why, path, "is not in kebab case");
  }
  std::string_view pkg = path.substr(0, slash), iface = path.substr(slash + 1);
  if (pkg.find(':') != std::string_view::npos)
    return bad(why, name, "is not a valid extern name: expected `/` after package name");
  if (!is_label(pkg)) return bad(why, pkg, "is not in kebab case");
  if (!is_words(pkg)) return bad(why, name, "is not a valid extern name");
  if (auto more = iface.find('/'); more != std::string_view::npos)
    return bad(why, name, "is not a valid extern name: trailing characters found: `" + std::string(iface.substr(more)) + "`");
  if (!is_label(iface)) return bad(why, iface, "is not in kebab case");
  if (at != std::string_view::npos) {
    std::string v;
    if (!is_semver(rest.substr(at + 1), &v)) return bad(why, name, "is not a valid extern name: " + v);
  }
  n.kind = ExternName::Kind::kInterface;
  *out = n;
  return true;
}

std::string uniqueness_key(std::string_view name) {
  std::string s(name);
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view prefix : {"[method]", "[static]"}) {
    if (!std::string_view(s).starts_with(prefix)) continue;
    std::string rest = s.substr(prefix.size());
    auto dot = rest.find('.');
    if (dot != std::string::npos && rest.substr(0, dot) == rest.substr(dot + 1)) return rest.substr(0, dot);
  }
  if (!s.empty() && s[0] == '[' && !std::string_view(s).starts_with("[constructor]")) {
    auto close = s.find(']');
    if (close != std::string::npos) return s.substr(close + 1);
  }
  return s;
}

std::string check_labels(const std::vector<std::string>& labels, const char* what) {
  std::set<std::string> seen;
  for (const auto& l : labels) {
    if (!is_label(l)) return std::string(what) + " name `" + l + "` is not in kebab case";
    if (!seen.insert(uniqueness_key(l)).second)
      return std::string(what) + " name `" + l + "` conflicts with previous name";
  }
  return {};
}

std::string NameScope::add(std::string_view name, const ExternType& type, bool is_import,
                           const std::optional<std::string>& implements) {
  ExternName n;
  std::string why;
  if (!parse_extern_name(name, &n, &why)) return why;
  if (implements) {
    if (type.kind != ExternType::Kind::kInstance) return "only instances can have an `implements` attribute";
    if (n.kind != ExternName::Kind::kPlain) return "name `" + std::string(name) + "` is not valid with `implements`";
    ExternName in;
    if (!parse_extern_name(*implements, &in, &why)) return "`implements`: " + why + " (not a valid name)";
    if (in.kind != ExternName::Kind::kInterface) return "`implements` value `" + *implements + "` must be an interface name";
  }
  int dir = is_import ? 1 : 0;
  std::string key = uniqueness_key(name);
  if (keys_[dir].count(key)) return "name `" + std::string(name) + "` conflicts with previous name";
  if (std::string bad = check_annotation(n, name, type, dir); !bad.empty()) return bad;
  keys_[dir].insert(key);
  if (n.kind == ExternName::Kind::kPlain && type.kind == ExternType::Kind::kType && type.resource)
    resources_[dir][n.label] = type.resource;
  return {};
}

std::string NameScope::check_annotation(const ExternName& n, std::string_view name, const ExternType& type,
                                        int dir) const {
  using K = ExternType::Kind;
  if (n.kind == ExternName::Kind::kPlain || n.kind == ExternName::Kind::kInterface) return {};

  std::string q = "`" + std::string(name) + "`";
  if (type.kind != K::kFunc) return q + " is not a function";
  auto r = resources_[dir].find(n.resource);
  if (r == resources_[dir].end())
    return q + ": resource `" + n.resource + "` is not declared before it in the same scope";
  const FuncType& f = *type.func;
  auto own_of_r = [&](TypeRef t) { return t && t->kind == TypeKind::kOwn && t->resource->identity() == r->second->identity(); };
  switch (n.kind) {
    case ExternName::Kind::kConstructor: {
      TypeRef res = f.result;
      bool fits = own_of_r(res) || (res && res->kind == TypeKind::kResult && own_of_r(res->cases[0].type));
      if (!fits) return q + ": a constructor must return `own<" + n.resource + ">` or a result of it";
      return {};
    }
    case ExternName::Kind::kMethod:
      if (f.params.empty() || f.params[0].name != "self" || f.params[0].type->kind != TypeKind::kBorrow ||
          f.params[0].type->resource->identity() != r->second->identity())
        return q + ": a method's first parameter must be `self: borrow<" + n.resource + ">`";
      return {};
    default:
      return {};
  }
}

}  // namespace witserve::component
