// Routing and the request as the handler sees it, through echo.wasm (tests/handlers/echo.c:
// "METHOD PATH\n", one "name: value\n" per header in order, "\n", then the body).
#include "witserve_process.h"

namespace witserve::itest {
namespace {

class Routing : public WitserveTest {};

// The echo body for a request whose headers (after Host) are `headers`.
std::string echo(std::string_view method, std::string_view target, const HttpClient& c, const Headers& headers = {},
                 std::string_view body = {}) {
  std::string out = std::string(method) + " " + std::string(target) + "\nHost: " + c.host() + "\n";
  for (const auto& [n, v] : headers) out += n + ": " + v + "\n";
  return out + "\n" + std::string(body);
}

// Five overlapping patterns, each served by a component that tells which one answered:
//   /a/b -> version-1 ("version 1\n"), /a/:x -> echo (param x), /a/... -> version-2,
//   /:y -> echo (param y), /... -> other-package ("other:pkg GET PATH\n").
TEST_F(Routing, MostSpecificRouteWins) {
  copy_handler("version-1.wasm");
  copy_handler("version-2.wasm");
  copy_handler("echo.wasm");
  copy_handler("other-package.wasm");
  ServerProcess* s = serve_text(
      "[[route]]\npath = \"/...\"\ncomponent = \"other-package.wasm\"\n"
      "[[route]]\npath = \"/:y\"\ncomponent = \"echo.wasm\"\n"
      "[[route]]\npath = \"/a/...\"\ncomponent = \"version-2.wasm\"\n"
      "[[route]]\npath = \"/a/:x\"\ncomponent = \"echo.wasm\"\n"
      "[[route]]\npath = \"/a/b\"\ncomponent = \"version-1.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  auto body = [&](std::string_view target) {
    HttpResponse r = c.get(target);
    EXPECT_EQ(r.status, 200u) << target;
    return r.body;
  };
  EXPECT_EQ(body("/a/b"), "version 1\n");
  EXPECT_EQ(body("/a/b?q=1"), "version 1\n") << "the query plays no part in routing";
  EXPECT_EQ(body("/a/c"), echo("GET", "/a/c", c, {{"x-witserve-param-x", "c"}}));
  EXPECT_EQ(body("/a/%62"), "version 1\n") << "literals compare percent-decoded (%62 is b)";
  EXPECT_EQ(body("/a"), "version 2\n");
  EXPECT_EQ(body("/a/"), "version 2\n");
  EXPECT_EQ(body("/a/b/c"), "version 2\n");
  EXPECT_EQ(body("/a/b/"), "version 2\n");
  EXPECT_EQ(body("/z"), echo("GET", "/z", c, {{"x-witserve-param-y", "z"}}));
  EXPECT_EQ(body("/z?a=b"), echo("GET", "/z?a=b", c, {{"x-witserve-param-y", "z"}}));
  EXPECT_EQ(body("/"), "other:pkg GET /\n");
  EXPECT_EQ(body("/z/b"), "other:pkg GET /z/b\n");
  EXPECT_EQ(body("/z/"), "other:pkg GET /z/\n") << "/:y takes no trailing slash";
  EXPECT_EQ(c.connects(), 1);
}

TEST_F(Routing, ExactRoutesAreStrictAboutSlashesAnd404Otherwise) {
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text(
      "[[route]]\npath = \"/exact\"\ncomponent = \"echo.wasm\"\n"
      "[[route]]\npath = \"/caf%C3%A9\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  EXPECT_EQ(c.get("/exact").status, 200u);
  EXPECT_EQ(c.get("/exact?x=/y").status, 200u);
  EXPECT_EQ(c.get("/caf%C3%A9").status, 200u);
  EXPECT_EQ(c.get("/caf%c3%a9").status, 200u) << "escapes are compared decoded";
  for (const char* path : {"/exact/", "/exact/x", "/Exact", "/exac", "/", "/caf", "/cafe"}) {
    HttpResponse r = c.get(path);
    EXPECT_EQ(r.status, 404u) << path;
    EXPECT_EQ(r.body, "no route for " + std::string(path) + "\n");
    EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
    EXPECT_TRUE(r.keep_alive) << "a 404 keeps the connection";
  }
  // The 404 names the path without the query.
  EXPECT_EQ(c.get("/nope?secret=1").body, "no route for /nope\n");
  EXPECT_EQ(c.connects(), 1);
}

// Parameters arrive as x-witserve-param-NAME headers, percent-decoded, after the request's own
// headers; the raw text when the escapes are malformed or not UTF-8.
TEST_F(Routing, ParametersArriveAsDecodedHeaders) {
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/users/:id/files/:file-name\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  struct Case {
    std::string target, id, file;
  } cases[] = {
      {"/users/7/files/report.txt", "7", "report.txt"},
      {"/users/a%20b/files/x%2Fy", "a b", "x/y"},
      {"/users/%E2%9C%93/files/caf%C3%A9?dl=1", "\xE2\x9C\x93", "caf\xC3\xA9"},
      {"/users/%ZZ/files/%FF", "%ZZ", "%FF"},  // malformed escape; invalid UTF-8
      {"/users/+/files/a+b", "+", "a+b"},      // '+' is not a space in a path
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.target);
    HttpResponse r = c.get(k.target, {{"Accept", "*/*"}});
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, echo("GET", k.target, c,
                           {{"Accept", "*/*"}, {"x-witserve-param-id", k.id}, {"x-witserve-param-file-name", k.file}}));
  }
  EXPECT_EQ(c.get("/users//files/x").status, 404u) << "a parameter is a non-empty segment";
}

// A client cannot forge route parameters: its x-witserve-param-* headers are dropped, whatever
// their case, and only the router's arrive.
TEST_F(Routing, ClientParamHeadersAreDropped) {
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text(
      "[[route]]\npath = \"/u/:id\"\ncomponent = \"echo.wasm\"\n"
      "[[route]]\npath = \"/plain\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  Headers forged{{"x-witserve-param-id", "admin"},
                 {"X-Witserve-Param-Id", "root"},
                 {"X-WITSERVE-PARAM-other", "x"},
                 {"x-witserve-paramless", "kept"},
                 {"x-witserve-param", "kept too"}};
  HttpResponse r = c.get("/u/42", forged);
  EXPECT_EQ(r.body, echo("GET", "/u/42", c,
                         {{"x-witserve-paramless", "kept"}, {"x-witserve-param", "kept too"}, {"x-witserve-param-id", "42"}}));
  HttpResponse plain = c.get("/plain", forged);
  EXPECT_EQ(plain.body,
            echo("GET", "/plain", c, {{"x-witserve-paramless", "kept"}, {"x-witserve-param", "kept too"}}));
}

// Method, target with its query, headers (order, case, duplicates) and body reach the handler
// unchanged.
TEST_F(Routing, RequestArrivesIntact) {
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/echo/...\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());

  std::string binary;
  for (int i = 0; i < 256; ++i) binary += char(i);
  binary += "\r\n\r\nGET / HTTP/1.1\r\n";  // looks like HTTP, is only body
  Headers headers{{"X-First", "1"}, {"content-type", "application/octet-stream"}, {"X-Dup", "a"},
                  {"x-dup", "b"},   {"X-Spaces", "a  b\tc"},                      {"X-Empty", ""}};
  HttpResponse r = c.request("PUT", "/echo/a/b%20c?x=1&y=%2F&z", binary, headers);
  EXPECT_EQ(r.status, 200u);
  Headers sent = headers;
  sent.emplace_back("Content-Length", std::to_string(binary.size()));
  sent.emplace_back("x-witserve-rest", "a/b%20c");  // the wildcard's match, still encoded
  EXPECT_EQ(r.body, echo("PUT", "/echo/a/b%20c?x=1&y=%2F&z", c, sent, binary));
  EXPECT_EQ(r.header("x-echo-body-length"), std::to_string(binary.size()));
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.header("content-length"), std::to_string(r.body.size()));

  // Methods, including one Beast does not know.
  for (const char* method : {"GET", "POST", "DELETE", "PATCH", "OPTIONS", "BREW"}) {
    HttpResponse m = c.request(method, "/echo/m");
    std::string expected = std::string(method) + " /echo/m\nHost: " + c.host() + "\n";
    if (std::string_view(method) == "POST" || std::string_view(method) == "PATCH") expected += "Content-Length: 0\n";
    EXPECT_EQ(m.body, expected + "x-witserve-rest: m\n\n") << method;
  }

  // A chunked body is delivered de-chunked.
  RawConnection raw(s->port());
  ASSERT_TRUE(raw.send("POST /echo/chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                       "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n"));
  std::string got = raw.read_to_eof();
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(contains(got, "x-echo-body-length: 12\r\n")) << got;
  EXPECT_TRUE(got.ends_with("\r\n\r\nPOST /echo/chunked\nHost: h\nTransfer-Encoding: chunked\nConnection: close\nx-witserve-rest: chunked\n\nhello, world"))
      << got;
}

// Several requests on one connection, including pipelined ones, answered in order.
TEST_F(Routing, KeepAliveAndPipelining) {
  copy_handler("echo.wasm");
  copy_handler("counter.wasm");
  ServerProcess* s = serve_text(
      "[[route]]\npath = \"/echo/...\"\ncomponent = \"echo.wasm\"\n"
      "[[route]]\npath = \"/counter\"\ncomponent = \"counter.wasm\"\n");
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  for (int i = 0; i < 10; ++i) {
    std::string target = "/echo/" + std::to_string(i);
    HttpResponse r = i % 2 ? c.request("POST", target, "body " + std::to_string(i)) : c.get(target);
    ASSERT_EQ(r.status, 200u);
    ASSERT_TRUE(r.keep_alive);
    ASSERT_TRUE(r.body.starts_with((i % 2 ? "POST " : "GET ") + target + "\n")) << r.body;
    ASSERT_EQ(c.get("/counter").body, "1");
  }
  EXPECT_EQ(c.connects(), 1);

  // Three pipelined requests in one write, the last asking to close.
  RawConnection raw(s->port());
  ASSERT_TRUE(raw.send("GET /echo/1 HTTP/1.1\r\nHost: h\r\n\r\n"
                       "POST /echo/2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                       "GET /echo/3 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  std::string got = raw.read_to_eof();
  EXPECT_TRUE(raw.eof());
  EXPECT_EQ(count_of(got, "HTTP/1.1 200 OK\r\n"), 3u) << got;
  size_t a = got.find("GET /echo/1\nHost: h\nx-witserve-rest: 1\n\n"),
         b = got.find("POST /echo/2\nHost: h\nContent-Length: 3\nx-witserve-rest: 2\n\nabc"),
         d = got.find("GET /echo/3\nHost: h\nConnection: close\nx-witserve-rest: 3\n\n");
  EXPECT_NE(a, std::string::npos) << got;
  EXPECT_NE(b, std::string::npos) << got;
  EXPECT_NE(d, std::string::npos) << got;
  EXPECT_TRUE(a < b && b < d) << got;

  // HTTP/1.0 without keep-alive: one response, then the server closes.
  RawConnection old(s->port());
  ASSERT_TRUE(old.send("GET /echo/old HTTP/1.0\r\n\r\n"));
  std::string old_got = old.read_to_eof();
  EXPECT_TRUE(old.eof());
  EXPECT_TRUE(old_got.starts_with("HTTP/1.1 200 OK\r\n")) << old_got;
  EXPECT_TRUE(old_got.ends_with("\r\n\r\nGET /echo/old\nx-witserve-rest: old\n\n")) << old_got;
}

// A response to HEAD carries no body (RFC 9110 9.3.2), or the next response on the connection
// is misread: the handler's body must be dropped by the server.
TEST_F(Routing, HeadResponseHasNoBody) {
  copy_handler("echo.wasm");
  ServerProcess* s = serve_text("[[route]]\npath = \"/echo/...\"\ncomponent = \"echo.wasm\"\n");
  ASSERT_TRUE(s);
  RawConnection raw(s->port());
  ASSERT_TRUE(raw.send("HEAD /echo/head HTTP/1.1\r\nHost: h\r\n\r\n"
                       "GET /echo/next HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  std::string got = raw.read_to_eof();
  ASSERT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  size_t head_end = got.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << got;
  std::string after_head = got.substr(head_end + 4);
  EXPECT_TRUE(after_head.starts_with("HTTP/1.1 200 OK\r\n"))
      << "bytes after the HEAD response's header, where the next response should start:\n" << after_head;
  EXPECT_FALSE(contains(got, "HEAD /echo/head\n")) << "the handler's body was sent for HEAD\n" << got;
}

}  // namespace
}  // namespace witserve::itest
