// Route patterns and the Router: what parses, what is refused, and which route wins a path.
#include "witserve/manifest/router.h"

#include <gtest/gtest.h>

namespace witserve::manifest {
namespace {

RoutePattern pattern(std::string_view text) {
  auto p = RoutePattern::parse(text);
  EXPECT_TRUE(p.ok()) << text << ": " << p.error().message();
  return p.ok() ? *p : RoutePattern();
}

Router router(std::vector<std::string_view> patterns) {
  std::vector<std::pair<RoutePattern, size_t>> routes;
  for (size_t i = 0; i < patterns.size(); ++i) routes.emplace_back(pattern(patterns[i]), i);
  auto r = Router::build(std::move(routes));
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? std::move(r).value() : Router();
}

// The id of the route that takes `path`, or -1.
int winner(const Router& r, std::string_view path) {
  auto m = r.match(path);
  return m ? static_cast<int>(m->route) : -1;
}

TEST(RoutePattern, ParsesSegments) {
  RoutePattern p = pattern("/users/:id/files/...");
  EXPECT_EQ(p.text(), "/users/:id/files/...");
  ASSERT_EQ(p.segments().size(), 3u);
  EXPECT_EQ(p.segments()[0].kind, RoutePattern::Kind::kLiteral);
  EXPECT_EQ(p.segments()[0].text, "users");
  EXPECT_EQ(p.segments()[1].kind, RoutePattern::Kind::kParam);
  EXPECT_EQ(p.segments()[1].text, "id");
  EXPECT_EQ(p.segments()[2].text, "files");
  EXPECT_TRUE(p.has_rest());
  EXPECT_EQ(p.shape(), "/users/:/files/...");

  RoutePattern root = pattern("/");
  EXPECT_TRUE(root.segments().empty());
  EXPECT_FALSE(root.has_rest());
  EXPECT_EQ(root.shape(), "/");
  EXPECT_EQ(pattern("/...").shape(), "/...");
  // Literals are decoded, and re-encoded canonically in the shape.
  RoutePattern enc = pattern("/caf%C3%A9/a.b");
  EXPECT_EQ(enc.segments()[0].text, "caf\xC3\xA9");
  EXPECT_EQ(enc.shape(), "/caf%C3%A9/a%2Eb");
  EXPECT_EQ(pattern("/x/:a-b_9").segments()[1].text, "a-b_9");
}

TEST(RoutePattern, RefusesBadPatterns) {
  struct Case {
    std::string_view text, message;
  };
  for (const Case& c : std::vector<Case>{
           {"", "route pattern is empty"},
           {"a/b", "route pattern \"a/b\": must start with '/'"},
           {"/a//b", "route pattern \"/a//b\": has an empty segment (\"//\")"},
           {"//", "route pattern \"//\": has an empty segment (\"//\")"},
           {"/a/", "route pattern \"/a/\": ends in '/' (write \"/a\", or \"/a/...\" for a prefix)"},
           {"/.../a", "route pattern \"/.../a\": \"...\" must be the last segment"},
           {"/a/:x/:x", "route pattern \"/a/:x/:x\": parameter \":x\" appears twice"},
           {"/a?b=1",
            "route pattern \"/a?b=1\": '?' is not allowed (a pattern matches the path only)"},
           {"/a#frag",
            "route pattern \"/a#frag\": '#' is not allowed (a pattern matches the path only)"},
           {"/:", "route pattern \"/:\": bad parameter \":\" (names are made of A-Z a-z 0-9 _ -)"},
           {"/:a.b",
            "route pattern \"/:a.b\": bad parameter \":a.b\" (names are made of A-Z a-z 0-9 _ -)"},
           {"/a b",
            "route pattern \"/a b\": spaces and control characters must be percent-encoded "
            "(\"%20\")"},
           {"/a%2", "route pattern \"/a%2\": bad percent-escape in \"a%2\""},
           {"/a/../b", "route pattern \"/a/../b\": \".\" and \"..\" segments are not allowed"},
           {"/%2E", "route pattern \"/%2E\": \".\" and \"..\" segments are not allowed"},
       }) {
    auto p = RoutePattern::parse(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(p.error().message(), c.message);
  }
}

TEST(Router, MatchesLiteralsParamsAndRoot) {
  Router r = router({"/", "/greet/:name", "/a/b/c"});
  EXPECT_EQ(winner(r, "/"), 0);
  EXPECT_EQ(winner(r, "/a/b/c"), 2);
  EXPECT_EQ(winner(r, "/a/b"), -1);
  EXPECT_EQ(winner(r, "/a/b/c/d"), -1);
  EXPECT_EQ(winner(r, "/greet"), -1);
  EXPECT_EQ(winner(r, "/greet/"), -1);  // a parameter never matches an empty segment
  EXPECT_EQ(winner(r, ""), -1);
  EXPECT_EQ(winner(r, "*"), -1);
  EXPECT_EQ(winner(r, "greet/bob"), -1);

  auto m = r.match("/greet/bob");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route, 1u);
  ASSERT_EQ(m->params.size(), 1u);
  EXPECT_EQ(m->params[0], (std::pair<std::string, std::string>{"name", "bob"}));
  ASSERT_NE(m->param("name"), nullptr);
  EXPECT_EQ(*m->param("name"), "bob");
  EXPECT_EQ(m->param("other"), nullptr);
  EXPECT_EQ(m->rest, "");
}

TEST(Router, TrailingSlashIsStrict) {
  Router r = router({"/a", "/b/..."});
  EXPECT_EQ(winner(r, "/a"), 0);
  EXPECT_EQ(winner(r, "/a/"), -1);
  EXPECT_EQ(winner(r, "/b"), 1);
  EXPECT_EQ(winner(r, "/b/"), 1);
}

TEST(Router, WildcardRest) {
  Router r = router({"/static/...", "/..."});
  auto rest = [&](std::string_view path) { return r.match(path)->rest; };
  EXPECT_EQ(r.match("/static")->route, 0u);
  EXPECT_EQ(rest("/static"), "");
  EXPECT_EQ(rest("/static/"), "");
  EXPECT_EQ(rest("/static/css/site.css"), "css/site.css");
  EXPECT_EQ(rest("/static/a%2Fb/"), "a%2Fb/");  // raw, trailing slash kept
  EXPECT_EQ(r.match("/staticx")->route, 1u);
  EXPECT_EQ(rest("/staticx"), "staticx");
  EXPECT_EQ(rest("/"), "");
  EXPECT_EQ(rest("//x"), "/x");
}

TEST(Router, MostSpecificWins) {
  // Listed from least to most specific, so the order of the list cannot be what decides.
  Router r = router({"/...", "/:x", "/a/...", "/:x/b", "/a/:y", "/a/b", "/"});
  EXPECT_EQ(winner(r, "/a/b"), 5);  // literal, literal
  EXPECT_EQ(winner(r, "/a/c"), 4);  // literal, param beats literal, wildcard
  EXPECT_EQ(winner(r, "/z/b"), 3);  // param, literal
  EXPECT_EQ(winner(r, "/a"), 2);    // "/a/..." beats "/:x" because the literal comes first
  EXPECT_EQ(winner(r, "/a/"), 2);   // empty segment: only a wildcard takes it
  EXPECT_EQ(winner(r, "/a/b/c"), 2);
  EXPECT_EQ(winner(r, "/z"), 1);
  EXPECT_EQ(winner(r, "/z/c"), 0);
  EXPECT_EQ(winner(r, "/"), 6);  // the exact root beats "/..."
  EXPECT_EQ(winner(r, "/z/b/c"), 0);
}

TEST(Router, ExactBeatsWildcardAtTheSameDepth) {
  Router r = router({"/a/...", "/a", "/a/:x/..."});
  EXPECT_EQ(winner(r, "/a"), 1);
  EXPECT_EQ(winner(r, "/a/"), 0);
  EXPECT_EQ(winner(r, "/a/x"), 2);  // parameter beats wildcard in the second segment
  EXPECT_EQ(r.match("/a/x/y/z")->rest, "y/z");
  EXPECT_EQ(*r.match("/a/x/y/z")->param("x"), "x");
}

TEST(Router, PercentDecoding) {
  Router r = router({"/caf%C3%A9", "/f/:name/:other"});
  EXPECT_EQ(winner(r, "/caf%c3%a9"), 0);  // escapes on either side, any case
  EXPECT_EQ(winner(r, "/caf\xC3\xA9"), 0);
  EXPECT_EQ(winner(r, "/caf%C3"), -1);

  auto m = r.match("/f/hello%20world/%E2%82%AC");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m->param("name"), "hello world");
  EXPECT_EQ(*m->param("other"), "\xE2\x82\xAC");
  m = r.match("/f/a%2Fb/100%");  // "%2F" decodes inside one segment; a bad escape stays raw
  EXPECT_EQ(*m->param("name"), "a/b");
  EXPECT_EQ(*m->param("other"), "100%");
  m = r.match("/f/%FF/a+b");  // decodes to invalid UTF-8: raw; '+' is not a space in a path
  EXPECT_EQ(*m->param("name"), "%FF");
  EXPECT_EQ(*m->param("other"), "a+b");
}

TEST(Router, ParamsInPatternOrder) {
  Router r = router({"/:a/x/:b/..."});
  auto m = r.match("/1/x/2/3");
  ASSERT_TRUE(m);
  std::vector<std::pair<std::string, std::string>> want{{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(m->params, want);
  EXPECT_EQ(m->rest, "3");
}

TEST(Router, RefusesEquivalentPatterns) {
  std::vector<std::pair<RoutePattern, size_t>> routes;
  routes.emplace_back(pattern("/a/:x/..."), 0);
  routes.emplace_back(pattern("/b"), 1);
  routes.emplace_back(pattern("/a/:y/..."), 2);
  auto r = Router::build(std::move(routes));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(r.error().message(),
            "routes \"/a/:x/...\" and \"/a/:y/...\" are equivalent (only parameter names differ)");

  // Escaped and plain spellings of a literal are the same route too.
  routes.clear();
  routes.emplace_back(pattern("/%61b"), 0);
  routes.emplace_back(pattern("/ab"), 1);
  EXPECT_FALSE(Router::build(std::move(routes)).ok());

  // Same prefix, different shape: fine.
  routes.clear();
  routes.emplace_back(pattern("/a"), 0);
  routes.emplace_back(pattern("/a/..."), 1);
  routes.emplace_back(pattern("/:x"), 2);
  EXPECT_TRUE(Router::build(std::move(routes)).ok());
}

TEST(Router, EmptyRouterMatchesNothing) {
  Router r;
  EXPECT_EQ(r.size(), 0u);
  EXPECT_FALSE(r.match("/"));
}

TEST(PathWithoutQuery, StripsQueryAndFragment) {
  EXPECT_EQ(path_without_query("/a/b?x=1&y=2"), "/a/b");
  EXPECT_EQ(path_without_query("/a#top"), "/a");
  EXPECT_EQ(path_without_query("/?"), "/");
  EXPECT_EQ(path_without_query("/plain"), "/plain");
  EXPECT_EQ(path_without_query(""), "");
}

}  // namespace
}  // namespace witserve::manifest
