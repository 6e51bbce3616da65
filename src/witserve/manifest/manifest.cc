// Manifest parsing: toml++ reads the TOML (its exceptions are caught here), then one pass over
// the document checks every key and value, collecting every problem with its position before
// failing. Also the outbound host rules (parsing and matching). Pure code apart from
// load_manifest's file read; any thread.
#include "witserve/manifest/manifest.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <tuple>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "witserve/base/edit_distance.h"
#include "witserve/manifest/state.h"

namespace witserve::manifest {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Splits "123unit" into its leading decimal number and the unit after it (one optional space
// between them). Nullopt if there are no digits or the number overflows.
std::optional<std::pair<uint64_t, std::string_view>> number_and_unit(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit = text.substr(end - text.data());
  if (unit.size() > 1 && unit[0] == ' ') unit.remove_prefix(1);
  return std::pair{n, unit};
}

struct Unit {
  std::string_view name;
  uint64_t factor;
};

// n * factor for the unit named `unit`, or an error message.
Result<uint64_t> scale(std::string_view what, std::string_view text,
                       std::initializer_list<Unit> units, std::string_view expected) {
  auto fail = [&](std::string_view why) {
    return Error(ErrorKind::kInvalidArgument, fmt::format("bad {} \"{}\": {}", what, text, why));
  };
  auto parsed = number_and_unit(text);
  if (!parsed) return fail(expected);
  auto [n, unit] = *parsed;
  auto u = std::find_if(units.begin(), units.end(), [&](const Unit& x) { return x.name == unit; });
  if (u == units.end()) return fail(expected);
  if (n == 0) return fail("must be greater than 0");
  if (n > std::numeric_limits<int64_t>::max() / u->factor) return fail("too large");
  return n * u->factor;
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Dot-separated labels of 1..63 letters, digits and '-' (not first or last), at most 253 bytes
// in all; the last label not all digits (that would be an IPv4 address, as URLs read it).
bool is_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::string_view label;
  for (size_t start = 0; start <= s.size();) {
    size_t dot = std::min(s.find('.', start), s.size());
    label = s.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    bool ok = std::all_of(label.begin(), label.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
    if (!ok) return false;
    start = dot + 1;
  }
  return !all_digits(label);
}

// Whether the host's last label is all digits, i.e. a URL parser would take it as IPv4.
bool looks_like_ipv4(std::string_view s) {
  size_t dot = s.rfind('.');
  return all_digits(dot == std::string_view::npos ? s : s.substr(dot + 1));
}

// The IPv6 address `s` as inet_ntop writes it (lower-case, zeros compressed), or nullopt.
std::optional<std::string> canonical_ipv6(std::string_view s) {
  in6_addr addr;
  if (inet_pton(AF_INET6, std::string(s).c_str(), &addr) != 1) return std::nullopt;
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, &addr, text, sizeof text)) return std::nullopt;
  return std::string(text);
}

// Why `guest` (non-empty) is not an absolute, normalized guest path, or nullopt if it is one.
std::optional<std::string_view> guest_path_problem(std::string_view guest) {
  if (guest[0] != '/') return "is not absolute (it must start with '/')";
  if (guest == "/") return std::nullopt;
  if (guest.back() == '/') return "ends in '/'";
  for (size_t start = 1; start <= guest.size();) {
    size_t slash = std::min(guest.find('/', start), guest.size());
    std::string_view part = guest.substr(start, slash - start);
    if (part.empty()) return "has an empty component (\"//\")";
    if (part == ".") return "has a \".\" component";
    if (part == "..") return "has a \"..\" component";
    start = slash + 1;
  }
  return std::nullopt;
}

// Walks the parsed document, collecting every problem as (position, message).
class Checker {
 public:
  Checker(std::string label, fs::path base_dir)
      : label_(std::move(label)), base_(std::move(base_dir)) {}

  void problem(const toml::source_region& at, std::string message) {
    problems_.push_back({at.begin.line, at.begin.column, std::move(message)});
  }
  void problem(const toml::node& at, std::string message) {
    problem(at.source(), std::move(message));
  }

  // Every key of `table` must be one of `known`. `where` is the table's dotted name ("" at top).
  void known_keys(const toml::table& table, std::string_view where,
                  std::initializer_list<std::string_view> known) {
    for (auto&& [key, value] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      std::string full =
          where.empty() ? std::string(key.str()) : fmt::format("{}.{}", where, key.str());
      std::string msg = value.is_table()             ? fmt::format("unknown table [{}]", full)
                        : value.is_array_of_tables() ? fmt::format("unknown table [[{}]]", full)
                                                     : fmt::format("unknown key \"{}\"", full);
      for (std::string_view k : known)
        if (edit_distance(key.str(), k) <= std::min<size_t>(2, k.size() / 2)) {
          msg += fmt::format(" (did you mean \"{}\"?)", k);
          break;
        }
      problem(key.source(), std::move(msg));
    }
  }

  // Typed fields: nullptr/nullopt when absent or (after reporting it) of the wrong type.
  template <typename T>
  auto field(const toml::table& t, std::string_view key, std::string_view name,
             std::string_view expected) {
    const toml::node* node = t.get(key);
    auto* v = node ? node->as<T>() : nullptr;
    if (node && !v)
      problem(*node, fmt::format("{} must be {}, not {}", name, expected, type_name(*node)));
    return v;
  }
  const toml::table* table(const toml::table& t, std::string_view key, std::string_view name) {
    return field<toml::table>(t, key, name, "a table");
  }
  std::optional<std::string> string(const toml::table& t, std::string_view key,
                                    std::string_view name) {
    auto* v = field<std::string>(t, key, name, "a string");
    return v ? std::optional(v->get()) : std::nullopt;
  }

  // A size or a duration: an integer (bytes / milliseconds) or a string with a unit.
  template <typename Out, typename Parse>
  std::optional<Out> quantity(const toml::table& t, std::string_view key, std::string_view name,
                              std::string_view example, Parse parse) {
    const toml::node* node = t.get(key);
    if (!node) return std::nullopt;
    if (auto* s = node->as_string()) {
      auto r = parse(s->get());
      if (r.ok()) return Out(*r);
      problem(*node, fmt::format("{}: {}", name, r.error().message()));
    } else if (auto* i = node->as_integer()) {
      if (i->get() > 0) return Out(i->get());
      problem(*node, fmt::format("{} must be greater than 0", name));
    } else {
      problem(*node, fmt::format("{} must be an integer or a string like \"{}\", not {}", name,
                                 example, type_name(*node)));
    }
    return std::nullopt;
  }
  std::optional<uint64_t> size(const toml::table& t, std::string_view key, std::string_view name) {
    return quantity<uint64_t>(t, key, name, "10MiB", parse_size);
  }
  std::optional<milliseconds> deadline(const toml::table& t, std::string_view key,
                                       std::string_view name) {
    auto d = quantity<milliseconds>(t, key, name, "30s", parse_duration);
    if (d && *d > kMaxDeadline) {
      problem(*t.get(key), fmt::format("{} must be at most 1h", name));
      return std::nullopt;
    }
    return d;
  }
  std::optional<ListenAddress> listen(const toml::table& t, std::string_view name) {
    std::optional<ListenAddress> out;
    if (auto text = string(t, "listen", name)) {
      auto r = parse_listen_address(*text);
      if (r.ok()) {
        out = *r;
      } else {
        problem(*t.get("listen"), fmt::format("{}: {}", name, r.error().message()));
      }
    }
    if (!out && t.contains("listen")) bad_listen_ = true;
    return out;
  }
  bool bad_listen() const { return bad_listen_; }  // a listen address was given but is unusable
  fs::path path(std::string_view text) const {
    fs::path p(text);
    return (p.is_absolute() ? p : base_ / p).lexically_normal();
  }

  void server(const toml::table& t, ServerConfig& out);
  void admin(const toml::table& t, AdminConfig& out);
  std::optional<RouteConfig> route(const toml::table& t, milliseconds default_deadline);
  void env(const toml::table& t, std::map<std::string, std::string>& out);
  void dirs(const toml::node& node, std::vector<DirGrant>& out);
  void outbound_hosts(const toml::array& a, std::vector<OutboundHost>& out);

  Status result() {
    if (problems_.empty()) return ok();
    std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::string message;
    for (const Problem& p : problems_) {
      if (!message.empty()) message += '\n';
      message += fmt::format("{}:{}:{}: {}", label_, p.line, p.column, p.message);
    }
    return Error(ErrorKind::kInvalidArgument, std::move(message));
  }

 private:
  struct Problem {
    toml::source_index line, column;
    std::string message;
  };
  std::string label_;
  fs::path base_;
  std::vector<Problem> problems_;
  bool bad_listen_ = false;
};

void Checker::server(const toml::table& t, ServerConfig& out) {
  known_keys(t, "server", {"listen", "threads", "max_body", "deadline", "data_dir", "shutdown_grace",
                           "kept_instances", "instance_idle_timeout", "max_executors", "max_queue"});
  if (auto v = listen(t, "server.listen")) out.listen = *v;
  if (auto* v = field<int64_t>(t, "threads", "server.threads", "an integer")) {
    if (v->get() < 0 || v->get() > kMaxThreads) {
      problem(*v, fmt::format("server.threads must be from 0 (one per core) to {}, not {}",
                              kMaxThreads, v->get()));
    } else {
      out.threads = static_cast<int>(v->get());
    }
  }
  if (auto* v = field<int64_t>(t, "max_executors", "server.max_executors", "an integer")) {
    if (v->get() < 1 || v->get() > kMaxExecutors) {
      problem(*v, fmt::format("server.max_executors must be from 1 to {}, not {}", kMaxExecutors, v->get()));
    } else {
      out.max_executors = static_cast<int>(v->get());
    }
  }
  if (auto* v = field<int64_t>(t, "max_queue", "server.max_queue", "an integer")) {
    if (v->get() < 0 || v->get() > kMaxQueue) {
      problem(*v, fmt::format("server.max_queue must be from 0 to {}, not {}", kMaxQueue, v->get()));
    } else {
      out.max_queue = static_cast<int>(v->get());
    }
  }
  if (auto v = size(t, "max_body", "server.max_body")) out.max_body = *v;
  if (auto v = deadline(t, "deadline", "server.deadline")) out.deadline = *v;
  if (auto v = deadline(t, "shutdown_grace", "server.shutdown_grace")) out.shutdown_grace = *v;
  if (auto* v = field<int64_t>(t, "kept_instances", "server.kept_instances", "an integer")) {
    if (v->get() < 0 || v->get() > kMaxKeptInstances) {
      problem(*v, fmt::format("server.kept_instances must be from 0 to {}, not {}", kMaxKeptInstances, v->get()));
    } else {
      out.kept_instances = static_cast<int>(v->get());
    }
  }
  if (auto v = deadline(t, "instance_idle_timeout", "server.instance_idle_timeout")) out.instance_idle_timeout = *v;
  if (auto v = string(t, "data_dir", "server.data_dir")) {
    if (v->empty()) {
      problem(*t.get("data_dir"), "server.data_dir is empty");
    } else {
      out.data_dir = path(*v);
    }
  }
}

void Checker::admin(const toml::table& t, AdminConfig& out) {
  known_keys(t, "admin", {"enabled", "listen", "token", "token_env", "max_component", "allow_remote"});
  if (auto* v = field<bool>(t, "enabled", "admin.enabled", "a boolean")) out.enabled = v->get();
  if (auto* v = field<bool>(t, "allow_remote", "admin.allow_remote", "a boolean")) out.allow_remote = v->get();
  if (auto v = listen(t, "admin.listen")) out.listen = *v;
  if (auto v = string(t, "token", "admin.token")) {
    if (v->empty()) {
      problem(*t.get("token"),
              "admin.token is empty (leave it out to read the token from the environment)");
    } else {
      out.token = *v;
    }
  }
  if (auto v = string(t, "token_env", "admin.token_env")) {
    if (!is_env_name(*v)) {
      problem(*t.get("token_env"),
              fmt::format("admin.token_env \"{}\" is not an environment variable name", *v));
    } else if (t.contains("token")) {
      problem(*t.get("token_env"), "admin.token and admin.token_env are both set; keep one");
    } else {
      out.token_env = *v;
    }
  }
  if (auto v = size(t, "max_component", "admin.max_component")) out.max_component = *v;
}

std::optional<RouteConfig> Checker::route(const toml::table& t, milliseconds default_deadline) {
  known_keys(t, "route", {"path", "component", "deadline", "instance", "config", "env", "dirs",
                          "allowed_outbound_hosts", "key_value_stores", "execution", "max_concurrency"});
  RouteConfig out;
  out.line = static_cast<int>(t.source().begin.line);
  out.deadline = default_deadline;
  bool valid = true;
  auto invalid = [&](const toml::node& at, std::string message) {
    problem(at, std::move(message));
    valid = false;
  };

  if (auto text = string(t, "path", "route.path")) {
    auto pattern = RoutePattern::parse(*text);
    if (pattern.ok()) {
      out.pattern = std::move(pattern).value();
    } else {
      invalid(*t.get("path"), fmt::format("route.path: {}", pattern.error().message()));
    }
  } else if (!t.contains("path")) {
    invalid(t, "route has no path");
  } else {
    valid = false;
  }
  if (auto text = string(t, "component", "route.component")) {
    if (text->empty()) {
      invalid(*t.get("component"), "route.component is empty");
    } else {
      out.component = path(*text);
    }
  } else if (!t.contains("component")) {
    invalid(t, "route has no component");
  } else {
    valid = false;
  }
  if (auto d = deadline(t, "deadline", "route.deadline")) out.deadline = *d;
  if (auto mode = string(t, "instance", "route.instance")) {
    if (*mode == "reuse") out.reuse_instance = true;
    else if (*mode != "fresh")
      problem(*t.get("instance"), fmt::format("route.instance must be \"fresh\" or \"reuse\", not \"{}\"", *mode));
  }
  if (auto mode = string(t, "execution", "route.execution")) {
    if (*mode == "inline") out.execution = RouteConfig::kInline;
    else if (*mode == "pool") out.execution = RouteConfig::kPool;
    else if (*mode != "auto")
      problem(*t.get("execution"),
              fmt::format("route.execution must be \"auto\", \"inline\" or \"pool\", not \"{}\"", *mode));
  }
  if (auto* v = field<int64_t>(t, "max_concurrency", "route.max_concurrency", "an integer")) {
    if (v->get() < 0 || v->get() > kMaxQueue) {
      problem(*v, fmt::format("route.max_concurrency must be from 0 (no limit) to {}, not {}", kMaxQueue, v->get()));
    } else {
      out.max_concurrency = static_cast<int>(v->get());
    }
  }
  if (auto* config = table(t, "config", "route.config"))
    detail::route_config(*config, [this](const toml::node& at, std::string m) { problem(at, std::move(m)); }, out);
  if (auto* vars = table(t, "env", "route.env")) env(*vars, out.env);
  if (const toml::node* grants = t.get("dirs")) dirs(*grants, out.dirs);
  if (auto* hosts = field<toml::array>(t, "allowed_outbound_hosts",
                                       "route.allowed_outbound_hosts", "an array of strings"))
    outbound_hosts(*hosts, out.allowed_outbound_hosts);
  if (!valid) return std::nullopt;  // not added, so not checked for equivalence either
  return out;
}

void Checker::env(const toml::table& t, std::map<std::string, std::string>& out) {
  for (auto&& [key, value] : t) {
    std::string_view name = key.str();
    if (name.empty()) {
      problem(key.source(), "route.env: an environment variable name cannot be empty");
    } else if (name.find('\0') != std::string_view::npos) {
      problem(key.source(), "route.env: an environment variable name cannot contain NUL");
    } else if (name.find('=') != std::string_view::npos) {
      problem(key.source(),
              fmt::format("route.env: \"{}\" is not an environment variable name (it contains "
                          "'=')",
                          name));
    } else if (auto* s = value.as_string()) {
      if (s->get().find('\0') != std::string::npos) {
        problem(value, fmt::format("route.env.{} cannot contain NUL", name));
      } else {
        out.emplace(name, s->get());
      }
    } else {
      problem(value, fmt::format("route.env.{} must be a string, not {}", name, type_name(value)));
    }
  }
}

void Checker::dirs(const toml::node& node, std::vector<DirGrant>& out) {
  const toml::array* grants = node.as_array();
  if (!grants) {
    problem(node, node.is_table() ? "route.dirs must be an array of tables: write [[route.dirs]] "
                                    "or dirs = [{ ... }], not a single table"
                                  : fmt::format("route.dirs must be an array of tables, not {}",
                                                type_name(node)));
    return;
  }
  std::map<std::string, toml::source_index> guests;  // guest path -> line of its grant
  for (const toml::node& entry : *grants) {
    const toml::table* t = entry.as_table();
    if (!t) {
      problem(entry, fmt::format("a route.dirs entry must be a table like {{ host = \"static\", "
                                 "guest = \"/static\" }}, not {}",
                                 type_name(entry)));
      continue;
    }
    known_keys(*t, "route.dirs", {"host", "guest", "writable"});
    DirGrant grant;
    bool valid = true;
    if (auto text = string(*t, "host", "route.dirs.host")) {
      if (text->empty()) {
        problem(*t->get("host"), "route.dirs.host is empty");
        valid = false;
      } else if (text->find('\0') != std::string::npos) {
        problem(*t->get("host"), "route.dirs.host cannot contain NUL");
        valid = false;
      } else {
        grant.host = path(*text);
      }
    } else {
      if (!t->contains("host")) problem(*t, "route.dirs entry has no host");
      valid = false;
    }
    const toml::node* guest_node = t->get("guest");
    if (auto text = string(*t, "guest", "route.dirs.guest")) {
      if (text->empty()) {
        problem(*guest_node, "route.dirs.guest is empty");
        valid = false;
      } else if (text->find('\0') != std::string::npos) {
        problem(*guest_node, "route.dirs.guest cannot contain NUL");
        valid = false;
      } else if (auto why = guest_path_problem(*text)) {
        problem(*guest_node, fmt::format("route.dirs.guest \"{}\" {}", *text, *why));
        valid = false;
      } else {
        grant.guest = *text;
      }
    } else {
      if (!guest_node) problem(*t, "route.dirs entry has no guest path");
      valid = false;
    }
    if (auto* w = field<bool>(*t, "writable", "route.dirs.writable", "a boolean"))
      grant.writable = w->get();
    if (!valid) continue;
    auto [it, inserted] = guests.emplace(grant.guest, guest_node->source().begin.line);
    if (!inserted) {
      problem(*guest_node, fmt::format("route.dirs.guest \"{}\" is already granted on line {}",
                                       grant.guest, it->second));
      continue;
    }
    out.push_back(std::move(grant));
  }
}

void Checker::outbound_hosts(const toml::array& a, std::vector<OutboundHost>& out) {
  for (const toml::node& entry : a) {
    if (auto* s = entry.as_string()) {
      auto rule = parse_outbound_host(s->get());
      if (rule.ok()) {
        out.push_back(std::move(rule).value());
      } else {
        problem(entry, fmt::format("route.allowed_outbound_hosts: {}", rule.error().message()));
      }
    } else {
      problem(entry, fmt::format("route.allowed_outbound_hosts entries must be strings like "
                                 "\"https://api.example.com\", not {}",
                                 type_name(entry)));
    }
  }
}

}  // namespace

std::string ListenAddress::to_string() const {
  return host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port)
                                             : fmt::format("[{}]:{}", host, port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Error(ErrorKind::kInvalidArgument,
                 fmt::format("bad listen address \"{}\": {}", text, why));
  };
  std::string_view host, port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']'");
    host = text.substr(1, close - 1);
    std::string_view after = text.substr(close + 1);
    if (after.empty() || after[0] != ':')
      return fail("expected [ADDRESS]:PORT, e.g. \"[::1]:9090\"");
    port = after.substr(1);
    in6_addr addr;
    if (inet_pton(AF_INET6, std::string(host).c_str(), &addr) != 1)
      return fail(fmt::format("\"{}\" is not an IPv6 address", host));
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected HOST:PORT, e.g. \"127.0.0.1:9090\"");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail("an IPv6 address goes in brackets, e.g. \"[::1]:9090\"");
    if (host.empty()) return fail("no host (\"0.0.0.0:PORT\" listens on every interface)");
    bool name_chars = std::all_of(host.begin(), host.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '-';
    });
    if (!name_chars) return fail(fmt::format("\"{}\" is not a host name or address", host));
  }
  unsigned n = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n > 65535)
    return fail("the port must be a number from 0 to 65535");
  return ListenAddress{std::string(host), static_cast<uint16_t>(n)};
}

Result<OutboundHost> parse_outbound_host(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Error(ErrorKind::kInvalidArgument,
                 fmt::format("bad outbound host \"{}\": {}", text, why));
  };
  size_t sep = text.find("://");
  if (sep == std::string_view::npos)
    return fail("expected SCHEME://HOST[:PORT], e.g. \"https://api.example.com\"");
  OutboundHost out;
  out.scheme = lower(text.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https" && out.scheme != "*")
    return fail(fmt::format("the scheme must be \"http\", \"https\" or \"*\", not \"{}\"",
                            text.substr(0, sep)));
  std::string_view rest = text.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // "https://example.com/"
  size_t end = rest.find_first_of("/?#");
  if (end != std::string_view::npos) {
    return fail(rest[end] == '/'   ? "no path allowed (only SCHEME://HOST[:PORT])"
                : rest[end] == '?' ? "no query allowed (only SCHEME://HOST[:PORT])"
                                   : "no fragment allowed (only SCHEME://HOST[:PORT])");
  }
  if (rest.find('@') != std::string_view::npos) return fail("no user name or password allowed");

  std::string_view host, port;
  bool has_port = false;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("missing ']'");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return fail("expected [ADDRESS] or [ADDRESS]:PORT after the scheme");
      has_port = true;
      port = after.substr(1);
    }
    auto address = canonical_ipv6(host);
    if (!address) return fail(fmt::format("\"{}\" is not an IPv6 address", host));
    out.host = *address;
  } else {
    size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = rest.substr(colon + 1);
      if (port.find(':') != std::string_view::npos)
        return fail("an IPv6 address goes in brackets, e.g. \"http://[::1]:8080\"");
    }
    if (host.empty()) return fail("no host (\"*\" allows any host)");
    if (host != "*") {
      std::string_view name = host.starts_with("*.") ? host.substr(2) : host;
      if (name.find('*') != std::string_view::npos)
        return fail("a wildcard host is \"*\" or \"*.DOMAIN\", e.g. \"*.example.com\"");
      if (name.size() < host.size()) {
        if (!is_dns_name(name))
          return fail(fmt::format("\"{}\" is not a domain name (\"*.\" must be followed by one)",
                                  name));
      } else if (looks_like_ipv4(name)) {
        in_addr addr;
        if (inet_pton(AF_INET, std::string(name).c_str(), &addr) != 1)
          return fail(fmt::format("\"{}\" is not an IPv4 address", name));
      } else if (!is_dns_name(name)) {
        return fail(fmt::format("\"{}\" is not a host name or address", name));
      }
    }
    out.host = lower(host);
  }
  if (has_port) {
    unsigned n = 0;
    if (port == "*") {
      out.any_port = true;
    } else if (!all_digits(port) ||
               std::from_chars(port.data(), port.data() + port.size(), n).ec != std::errc() ||
               n == 0 || n > 65535) {
      return fail("the port must be a number from 1 to 65535, or \"*\"");
    } else {
      out.port = static_cast<uint16_t>(n);
    }
  }
  return out;
}

bool outbound_allowed(const std::vector<OutboundHost>& rules, std::string_view scheme,
                      std::string_view host, uint16_t port) {
  std::string s = lower(scheme);
  if (s != "http" && s != "https") return false;
  uint16_t default_port = s == "http" ? 80 : 443;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return false;
  std::string h = lower(host);
  if (h.find(':') != std::string::npos) {
    auto address = canonical_ipv6(h);
    if (!address) return false;
    h = *address;
  }
  return std::any_of(rules.begin(), rules.end(), [&](const OutboundHost& rule) {
    if (rule.scheme != "*" && rule.scheme != s) return false;
    if (!rule.any_port && port != rule.port.value_or(default_port)) return false;
    if (rule.host == "*") return true;
    if (rule.host.starts_with("*.")) {
      std::string_view suffix = std::string_view(rule.host).substr(1);  // ".example.com"
      return h.size() > suffix.size() && h.ends_with(suffix);
    }
    return h == rule.host;
  });
}

std::string to_string(const OutboundHost& rule) {
  std::string out = rule.host.find(':') == std::string::npos
                        ? fmt::format("{}://{}", rule.scheme, rule.host)
                        : fmt::format("{}://[{}]", rule.scheme, rule.host);
  if (rule.any_port) {
    out += ":*";
  } else if (rule.port) {
    out += fmt::format(":{}", *rule.port);
  }
  return out;
}

Result<uint64_t> parse_size(std::string_view text) {
  return scale("size", text,
               {{"", 1},
                {"B", 1},
                {"KiB", 1ull << 10},
                {"MiB", 1ull << 20},
                {"GiB", 1ull << 30},
                {"KB", 1000},
                {"MB", 1000'000},
                {"GB", 1000'000'000}},
               "expected a number of bytes with an optional unit B, KiB, MiB, GiB, KB, MB or GB, "
               "e.g. \"10MiB\"");
}

Result<milliseconds> parse_duration(std::string_view text) {
  auto ms =
      scale("duration", text, {{"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3600'000}},
            "expected a number with a unit ms, s, m or h (no unit: ms), e.g. \"30s\"");
  if (!ms.ok()) return std::move(ms).error();
  return milliseconds(static_cast<int64_t>(*ms));
}

Result<Manifest> parse_manifest(std::string_view text, const fs::path& file) {
  std::string label = file.empty() ? "<manifest>" : file.string();
  std::error_code ec;
  fs::path absolute_file = file.empty() ? fs::path() : fs::absolute(file, ec).lexically_normal();
  fs::path base = file.empty() ? fs::current_path(ec) : absolute_file.parent_path();
  if (ec) return Error(ErrorKind::kIo, fmt::format("{}: {}", label, ec.message()));

  toml::table doc;
  try {
    doc = toml::parse(text, std::string_view(label));
  } catch (const toml::parse_error& e) {
    return Error(ErrorKind::kMalformed, fmt::format("{}:{}:{}: {}", label, e.source().begin.line,
                                                    e.source().begin.column, e.description()));
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInternal, fmt::format("{}: {}", label, e.what()));
  }

  Manifest m;
  m.file = absolute_file;
  m.server.data_dir = (base / ".witserve").lexically_normal();
  Checker check(label, base);
  check.known_keys(doc, "", {"server", "admin", "route", "key_value_store"});
  const toml::table* server = check.table(doc, "server", "server");
  const toml::table* admin = check.table(doc, "admin", "admin");
  if (server) check.server(*server, m.server);
  if (admin) check.admin(*admin, m.admin);
  if (m.admin.enabled && !check.bad_listen() && m.admin.listen == m.server.listen && m.server.listen.port != 0) {
    const toml::node* at =
        admin && admin->contains("listen") ? admin->get("listen") : server->get("listen");
    check.problem(*at, fmt::format("admin.listen and server.listen are both {}",
                                   m.server.listen.to_string()));
  }

  detail::ProblemFn problem = [&check](const toml::node& at, std::string msg) { check.problem(at, std::move(msg)); };
  detail::key_value_stores(doc.get("key_value_store"), base, problem, m.key_value_stores);

  if (const toml::node* routes = doc.get("route")) {
    if (!routes->is_array()) {
      check.problem(*routes,
                    routes->is_table()
                        ? "route must be an array of tables: write [[route]], not [route]"
                        : fmt::format("route must be an array of tables ([[route]]), not {}",
                                      type_name(*routes)));
    } else {
      std::map<std::string, std::pair<std::string, int>> shapes;  // shape -> (pattern, line)
      for (const toml::node& node : *routes->as_array()) {
        if (!node.is_table()) {
          check.problem(node, fmt::format("a route must be a table, not {}", type_name(node)));
          continue;
        }
        auto route = check.route(*node.as_table(), m.server.deadline);
        if (!route) continue;
        if (const toml::node* labels = node.as_table()->get("key_value_stores"))
          detail::route_key_value_stores(*labels, m.key_value_stores, problem, *route);
        auto [it, inserted] =
            shapes.emplace(route->pattern.shape(), std::pair(route->pattern.text(), route->line));
        if (!inserted) {
          check.problem(*node.as_table()->get("path"),
                        fmt::format("route \"{}\" is equivalent to route \"{}\" on line {} (only "
                                    "parameter names differ)",
                                    route->pattern.text(), it->second.first, it->second.second));
          continue;
        }
        m.routes.push_back(std::move(*route));
      }
    }
  }
  WITSERVE_TRY(check.result());
  return m;
}

Result<Manifest> load_manifest(const fs::path& file) {
  auto fail = [&](int err) {
    return Error(err == ENOENT ? ErrorKind::kNotFound : ErrorKind::kIo,
                 fmt::format("{}: cannot read: {}", file.string(), std::strerror(err)));
  };
  std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!in) return fail(errno);
  std::string text;
  char buffer[16384];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, in.get())) text.append(buffer, n);
  if (std::ferror(in.get())) return fail(errno);  // e.g. EISDIR
  return parse_manifest(text, file);
}

Result<Router> build_router(const Manifest& manifest) {
  std::vector<std::pair<RoutePattern, size_t>> routes;
  routes.reserve(manifest.routes.size());
  for (size_t i = 0; i < manifest.routes.size(); ++i)
    routes.emplace_back(manifest.routes[i].pattern, i);
  return Router::build(std::move(routes));
}

}  // namespace witserve::manifest
