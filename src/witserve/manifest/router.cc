// Route pattern parsing and most-specific-first matching. A sorted list, not a trie: routes are
// few, and "first match in specificity order" is easy to check. Pure code; a built Router is
// read-only, so any thread may match on it.
#include "witserve/manifest/router.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "witserve/base/unicode.h"

namespace witserve::manifest {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Compares a raw request segment with a decoded literal without allocating; a '%' that does not
// start a valid escape stands for itself.
bool decoded_equals(std::string_view raw, std::string_view literal) {
  size_t j = 0;
  for (size_t i = 0; i < raw.size(); ++j) {
    if (j == literal.size()) return false;
    char c = raw[i];
    if (c == '%' && i + 2 < raw.size() && hex_digit(raw[i + 1]) >= 0 &&
        hex_digit(raw[i + 2]) >= 0) {
      c = static_cast<char>(hex_digit(raw[i + 1]) * 16 + hex_digit(raw[i + 2]));
      i += 3;
    } else {
      ++i;
    }
    if (c != literal[j]) return false;
  }
  return j == literal.size();
}

bool is_param_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// A literal in the canonical encoding used by shape(): unreserved ASCII letters, digits and "-_~"
// as they are, every other byte as %XX, so a literal can never read as ":" or "...".
void append_canonical(std::string& out, std::string_view literal) {
  for (unsigned char c : literal) {
    if (is_param_name_char(static_cast<char>(c)) || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
}

// Splits off the segment at the front of `s` (up to the next '/') and advances past its '/'.
std::string_view next_segment(std::string_view& s) {
  size_t slash = s.find('/');
  std::string_view seg = s.substr(0, slash);
  s = slash == std::string_view::npos ? std::string_view() : s.substr(slash + 1);
  return seg;
}

// The order of specificity at segment `i`: literal, parameter, pattern end, wildcard.
int rank_at(const RoutePattern& p, size_t i) {
  if (i < p.segments().size()) return p.segments()[i].kind == RoutePattern::Kind::kLiteral ? 0 : 1;
  return p.has_rest() ? 3 : 2;
}

bool more_specific(const RoutePattern& a, const RoutePattern& b) {
  size_t n = std::min(a.segments().size(), b.segments().size());
  for (size_t i = 0; i <= n; ++i) {
    int ra = rank_at(a, i), rb = rank_at(b, i);
    if (ra != rb) return ra < rb;
  }
  return false;
}

}  // namespace

bool percent_decode(std::string_view s, std::string& out) {
  out.clear();
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

std::string_view path_without_query(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

Result<RoutePattern> RoutePattern::parse(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return Error(ErrorKind::kInvalidArgument, fmt::format("route pattern \"{}\": {}", text, why));
  };
  if (text.empty()) return Error(ErrorKind::kInvalidArgument, "route pattern is empty");
  if (text[0] != '/') return fail("must start with '/'");
  if (size_t q = text.find_first_of("?#"); q != std::string_view::npos)
    return fail(fmt::format("'{}' is not allowed (a pattern matches the path only)", text[q]));

  RoutePattern p;
  p.text_ = std::string(text);
  std::string_view body = text.substr(1);
  for (bool last = body.empty(); !last;) {  // "/" alone has no segments
    last = body.find('/') == std::string_view::npos;
    std::string_view seg = next_segment(body);
    if (seg.empty())
      return fail(last ? "ends in '/' (write \"/a\", or \"/a/...\" for a prefix)"
                       : "has an empty segment (\"//\")");
    if (seg == "...") {
      if (!last) return fail("\"...\" must be the last segment");
      p.has_rest_ = true;
      continue;
    }
    if (seg[0] == ':') {
      std::string_view name = seg.substr(1);
      if (name.empty() || !std::all_of(name.begin(), name.end(), is_param_name_char))
        return fail(fmt::format("bad parameter \"{}\" (names are made of A-Z a-z 0-9 _ -)", seg));
      for (const Segment& s : p.segments_)
        if (s.kind == Kind::kParam && s.text == name)
          return fail(fmt::format("parameter \":{}\" appears twice", name));
      p.segments_.push_back({Kind::kParam, std::string(name)});
      continue;
    }
    for (char c : seg)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
        return fail("spaces and control characters must be percent-encoded (\"%20\")");
    std::string decoded;
    if (!percent_decode(seg, decoded))
      return fail(fmt::format("bad percent-escape in \"{}\"", seg));
    if (decoded == "." || decoded == "..") return fail("\".\" and \"..\" segments are not allowed");
    p.segments_.push_back({Kind::kLiteral, std::move(decoded)});
  }

  for (const Segment& s : p.segments_) {
    p.shape_ += '/';
    if (s.kind == Kind::kParam) {
      p.shape_ += ':';
    } else {
      append_canonical(p.shape_, s.text);
    }
  }
  if (p.has_rest_) p.shape_ += "/...";
  if (p.shape_.empty()) p.shape_ += '/';  // the root
  return p;
}

const std::string* RouteMatch::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return &v;
  return nullptr;
}

Result<Router> Router::build(std::vector<std::pair<RoutePattern, size_t>> routes) {
  std::map<std::string_view, const RoutePattern*> shapes;
  for (const auto& [pattern, id] : routes) {
    auto [it, inserted] = shapes.emplace(pattern.shape(), &pattern);
    if (!inserted)
      return Error(
          ErrorKind::kInvalidArgument,
          fmt::format("routes \"{}\" and \"{}\" are equivalent (only parameter names differ)",
                      it->second->text(), pattern.text()));
  }
  Router router;
  router.entries_.reserve(routes.size());
  for (auto& [pattern, id] : routes) router.entries_.push_back({std::move(pattern), id});
  std::stable_sort(
      router.entries_.begin(), router.entries_.end(),
      [](const Entry& a, const Entry& b) { return more_specific(a.pattern, b.pattern); });
  return router;
}

bool Router::matches(const RoutePattern& pattern, std::string_view segments, size_t count) {
  size_t n = pattern.segments().size();
  if (pattern.has_rest() ? count < n : count != n) return false;
  for (const RoutePattern::Segment& s : pattern.segments()) {
    std::string_view seg = next_segment(segments);
    if (s.kind == RoutePattern::Kind::kParam ? seg.empty() : !decoded_equals(seg, s.text))
      return false;
  }
  return true;
}

std::optional<RouteMatch> Router::match(std::string_view path) const {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::string_view segments = path.substr(1);  // "a/b" for "/a/b"; "" for "/"
  size_t count = segments.empty() ? 0 : 1 + std::count(segments.begin(), segments.end(), '/');

  for (const Entry& e : entries_) {
    if (!matches(e.pattern, segments, count)) continue;
    RouteMatch m;
    m.route = e.route;
    std::string_view rest = segments;
    for (const RoutePattern::Segment& s : e.pattern.segments()) {
      std::string_view raw = next_segment(rest);
      if (s.kind != RoutePattern::Kind::kParam) continue;
      std::string value;
      if (!percent_decode(raw, value) || !is_valid_utf8(value)) value = std::string(raw);
      m.params.emplace_back(s.text, std::move(value));
    }
    if (e.pattern.has_rest()) m.rest = std::string(rest);
    return m;
  }
  return std::nullopt;
}

}  // namespace witserve::manifest
