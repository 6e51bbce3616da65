// Route patterns ("/greet/:name", "/static/...") and the Router that picks the most specific
// route for a request path. A RoutePattern is a plain value (any thread). A Router is immutable
// once built; any number of threads may call match() on it at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::manifest {

// A parsed route pattern. Syntax: '/' then segments separated by '/', each one of
//   literal     "greet"   matches that segment (compared after percent-decoding both sides)
//   parameter   ":name"   matches any non-empty segment; name is [A-Za-z0-9_-]+, unique
//   wildcard    "..."     last segment only; matches zero or more remaining segments ("rest")
// "/" alone is the root (no segments). Refused: empty, no leading '/', empty segments ("//",
// a trailing '/'), "." or "..", '?', '#', spaces or control characters, bad %-escapes,
// a "..." that is not last, duplicate parameter names.
class RoutePattern {
 public:
  enum class Kind { kLiteral, kParam };
  struct Segment {
    Kind kind;
    std::string text;  // literal: percent-decoded bytes; parameter: its name
  };

  // Errors are kInvalidArgument and say what is wrong with the pattern.
  static Result<RoutePattern> parse(std::string_view text);

  const std::string& text() const { return text_; }                   // as written
  const std::vector<Segment>& segments() const { return segments_; }  // without the wildcard
  bool has_rest() const { return has_rest_; }                         // ends in "/..."

  // The pattern with parameter names dropped and literals in one canonical encoding, e.g.
  // "/greet/:" for "/greet/:name". Two patterns are equivalent (match exactly the same paths)
  // iff their shapes are equal.
  const std::string& shape() const { return shape_; }

 private:
  std::string text_;
  std::string shape_;
  std::vector<Segment> segments_;
  bool has_rest_ = false;
};

struct RouteMatch {
  size_t route = 0;  // the id given to Router::build
  // Parameter values in pattern order, percent-decoded (the raw text if the escapes are
  // malformed or decode to invalid UTF-8).
  std::vector<std::pair<std::string, std::string>> params;
  // What "..." matched, without its leading '/', still percent-encoded (so "%2F" stays
  // distinguishable from '/'); empty if the pattern has no wildcard or it matched nothing.
  std::string rest;

  // The value of parameter `name`, or nullptr.
  const std::string* param(std::string_view name) const;
};

class Router {
 public:
  Router() = default;

  // Refuses two equivalent patterns (same shape, only parameter names differ), naming both.
  static Result<Router> build(std::vector<std::pair<RoutePattern, size_t /*route id*/>> routes);

  // The most specific route matching `path`, which must be the path alone (strip the query with
  // path_without_query first; a path not starting with '/' matches nothing). Paths are compared
  // strictly: "/a/" does not match "/a", but does match "/a/...".
  // Specificity, comparing segment by segment from the left: literal beats parameter beats
  // wildcard, and where one pattern ends exactly at the path's end it beats a wildcard there
  // ("/a/b" wins over "/a/..." for /a/b; "/a/..." takes /a, /a/ and /a/c).
  std::optional<RouteMatch> match(std::string_view path) const;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    RoutePattern pattern;
    size_t route;
  };
  static bool matches(const RoutePattern& pattern, std::string_view segments, size_t count);

  std::vector<Entry> entries_;  // most specific first: the first that matches wins
};

// The path part of a request target: everything before the first '?' or '#'.
std::string_view path_without_query(std::string_view target);

// Percent-decodes `s` into `out`; false (out unspecified) on a malformed escape.
bool percent_decode(std::string_view s, std::string& out);

}  // namespace witserve::manifest
