// Manifest parsing: toml++ reads the TOML (its exceptions are caught here), then one pass over
// the document checks every key and value, collecting every problem with its position before
// failing. Pure code apart from load_manifest's file read; any thread.
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

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
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
  known_keys(t, "server", {"listen", "threads", "max_body", "deadline", "data_dir"});
  if (auto v = listen(t, "server.listen")) out.listen = *v;
  if (auto* v = field<int64_t>(t, "threads", "server.threads", "an integer")) {
    if (v->get() < 0 || v->get() > kMaxThreads) {
      problem(*v, fmt::format("server.threads must be from 0 (one per core) to {}, not {}",
                              kMaxThreads, v->get()));
    } else {
      out.threads = static_cast<int>(v->get());
    }
  }
  if (auto v = size(t, "max_body", "server.max_body")) out.max_body = *v;
  if (auto v = deadline(t, "deadline", "server.deadline")) out.deadline = *v;
  if (auto v = string(t, "data_dir", "server.data_dir")) {
    if (v->empty()) {
      problem(*t.get("data_dir"), "server.data_dir is empty");
    } else {
      out.data_dir = path(*v);
    }
  }
}

void Checker::admin(const toml::table& t, AdminConfig& out) {
  known_keys(t, "admin", {"enabled", "listen", "token", "token_env", "max_component"});
  if (auto* v = field<bool>(t, "enabled", "admin.enabled", "a boolean")) out.enabled = v->get();
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
  known_keys(t, "route", {"path", "component", "deadline", "instance", "config"});
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
  if (auto* config = table(t, "config", "route.config")) {
    for (auto&& [key, value] : *config) {
      if (auto* s = value.as_string()) {
        out.config.emplace(key.str(), s->get());
      } else {
        problem(value, fmt::format("route.config.{} must be a string, not {}", key.str(),
                                   type_name(value)));
      }
    }
  }
  if (!valid) return std::nullopt;  // not added, so not checked for equivalence either
  return out;
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
  check.known_keys(doc, "", {"server", "admin", "route"});
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
