// The admin API (src/witserve/admin/admin_api.h): authentication, registering, replacing, listing
// and removing components at run time, its refusals, and persistence in the data directory.
#include "admin_fixture.h"

namespace witserve::itest {
namespace {

TEST_F(Admin, RequiresTheBearerToken) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  std::string t(kAdminToken);
  for (const Headers& h : std::vector<Headers>{
           {},
           {{"Authorization", "Bearer wrong"}},
           {{"Authorization", "Bearer " + t + "x"}},
           {{"Authorization", "Bearer " + t.substr(0, t.size() - 1)}},
           {{"Authorization", "Basic " + t}},
           {{"Authorization", t}},
           {{"Authorization", "Bearer  " + t}},
           {{"X-Token", t}},
       }) {
    SCOPED_TRACE(h.empty() ? std::string("no header") : h[0].first + ": " + h[0].second);
    for (auto [method, body] : {std::pair{"POST", std::string_view(v1_)}, {"GET", ""}, {"DELETE", ""}}) {
      HttpResponse r = admin(*s, method, "/handler?route=/x", body, h);
      EXPECT_EQ(r.status, 401u) << method << "\n" << r;
      EXPECT_EQ(r.header("www-authenticate"), "Bearer");
      EXPECT_EQ(parse_json(r)["error"], "missing or wrong bearer token");
    }
  }
  EXPECT_EQ(http_get(s->port(), "/x").status, 404u) << "nothing was registered";
  EXPECT_FALSE(fs::exists(data_dir() / "routes.json"));
  // The scheme is case-insensitive (RFC 9110 11.1).
  EXPECT_EQ(admin(*s, "GET", "/handler", {}, {{"Authorization", "bearer " + t}}).status, 200u);
}

TEST_F(Admin, RegisterReplaceListDelete) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  const std::string sha1 = sha256_hex(v1_), sha2 = sha256_hex(v2_);
  ASSERT_NE(sha1, sha2);

  HttpResponse created = post(*s, "/x", v1_);
  ASSERT_EQ(created.status, 201u) << created;
  json j = parse_json(created);
  EXPECT_EQ(j["route"], "/x");
  EXPECT_EQ(j["origin"], "admin");
  EXPECT_EQ(j["sha256"], sha1);
  EXPECT_EQ(j["size"], v1_.size());
  EXPECT_EQ(j["replaced"], false);
  EXPECT_EQ(j["deadline_ms"], 30000) << "the server's default deadline";
  EXPECT_FALSE(j.contains("file"));
  EXPECT_TRUE(std::regex_match(j["loaded_at"].get<std::string>(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << j["loaded_at"];
  ASSERT_TRUE(j["world"].is_array());
  bool exports_handle = false;
  for (const auto& w : j["world"]) exports_handle |= w.get<std::string>().starts_with("export handle: func(");
  EXPECT_TRUE(exports_handle) << j["world"];
  EXPECT_TRUE(s->wait_for_log("admin: registered route /x (sha256 " + sha1.substr(0, 12) + ", " +
                              std::to_string(v1_.size()) + " bytes)", 1s))
      << s->log();

  HttpClient c(s->port());
  EXPECT_EQ(c.get("/x").body, kV1);
  EXPECT_EQ(c.get("/x/").status, 404u);

  HttpResponse replaced = post(*s, "/x", v2_);
  ASSERT_EQ(replaced.status, 200u) << replaced;
  json r = parse_json(replaced);
  EXPECT_EQ(r["replaced"], true);
  EXPECT_EQ(r["sha256"], sha2);
  EXPECT_EQ(c.get("/x").body, kV2) << "live at once, on the open connection too";
  EXPECT_EQ(http_get(s->port(), "/x").body, kV2);

  // An admin literal beats the manifest's parameter route; the rest of /u/:id is untouched.
  ASSERT_EQ(post(*s, "/u/me", v1_).status, 201u);
  EXPECT_EQ(c.get("/u/me").body, kV1);
  EXPECT_TRUE(c.get("/u/you").body.starts_with("GET /u/you\n"));

  json routes = list(*s);
  ASSERT_EQ(routes.size(), 4u) << routes.dump(2);
  const json* m = find_route(routes, "/m");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["origin"], "manifest");
  EXPECT_EQ((*m)["file"], (dir() / "echo.wasm").string());
  EXPECT_EQ((*m)["sha256"], sha256_hex(read_file(dir() / "echo.wasm")));
  const json* x = find_route(routes, "/x");
  ASSERT_TRUE(x);
  EXPECT_EQ((*x)["origin"], "admin");
  EXPECT_EQ((*x)["sha256"], sha2);
  EXPECT_EQ((*x)["size"], v2_.size());
  ASSERT_TRUE(find_route(routes, "/u/me"));
  EXPECT_EQ((*find_route(routes, "/u/me"))["origin"], "admin");

  HttpResponse deleted = admin(*s, "DELETE", "/handler?route=/x");
  EXPECT_EQ(deleted.status, 204u) << deleted;
  EXPECT_EQ(deleted.body, "");
  HttpResponse gone = c.get("/x");
  EXPECT_EQ(gone.status, 404u);
  EXPECT_EQ(gone.body, "no route for /x\n");
  EXPECT_FALSE(find_route(list(*s), "/x"));
  EXPECT_TRUE(s->wait_for_log("admin: removed route /x", 1s));

  HttpResponse again = admin(*s, "DELETE", "/handler?route=/x");
  EXPECT_EQ(again.status, 404u) << again;
  EXPECT_EQ(parse_json(again)["error"], "no registered route /x");
  EXPECT_EQ(admin(*s, "DELETE", "/handler?route=/never").status, 404u);
  // A manifest route cannot be deleted through the API.
  EXPECT_EQ(admin(*s, "DELETE", "/handler?route=/m").status, 404u);
  EXPECT_EQ(c.get("/m").status, 200u);
  EXPECT_EQ(c.get("/u/me").body, kV1);
}

TEST_F(Admin, RefusesBadRequests) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  auto error_of = [](const HttpResponse& r) { return parse_json(r)["error"].get<std::string>(); };

  HttpResponse garbage = post(*s, "/x", "this is not a component");
  EXPECT_EQ(garbage.status, 400u) << garbage;
  EXPECT_TRUE(error_of(garbage).starts_with("invalid component: ")) << garbage.body;
  EXPECT_GT(error_of(garbage).size(), std::string_view("invalid component: ").size()) << "with a reason";

  HttpResponse empty = post(*s, "/x", "");
  EXPECT_EQ(empty.status, 400u) << empty;
  EXPECT_TRUE(error_of(empty).starts_with("invalid component: ")) << empty.body;

  HttpResponse truncated = post(*s, "/x", std::string_view(v1_).substr(0, v1_.size() / 2));
  EXPECT_EQ(truncated.status, 400u) << truncated;

  HttpResponse no_route = admin(*s, "POST", "/handler", v1_);
  EXPECT_EQ(no_route.status, 400u);
  EXPECT_EQ(error_of(no_route), "the route query parameter is missing (?route=/path)");

  for (const char* bad : {"x", "/a//b", "/a/", "/a/../b", "/.../a", "/a%2", "/a b", "/a?b", "/:x/:x", ""}) {
    HttpResponse r = post(*s, bad, v1_);
    EXPECT_EQ(r.status, 400u) << bad << "\n" << r;
    EXPECT_TRUE(error_of(r).starts_with("bad route: ")) << r.body;
  }
  // A query that is not valid percent-encoding at all.
  HttpResponse bad_target = admin(*s, "POST", "/handler?route=/a%2", v1_);
  EXPECT_EQ(bad_target.status, 400u);
  EXPECT_EQ(error_of(bad_target), "bad request target");
  // '+' in a query means a space (form encoding): "/a b" is not a route.
  EXPECT_EQ(admin(*s, "POST", "/handler?route=/a+b", v1_).status, 400u);
  EXPECT_EQ(post(*s, "/a+b", v1_).status, 201u) << "encoded as %2B, '+' is a valid path character";
  ASSERT_EQ(admin(*s, "DELETE", "/handler?route=/a%2Bb").status, 204u);

  HttpResponse bad_deadline = post(*s, "/x", v1_, "&deadline=soon");
  EXPECT_EQ(bad_deadline.status, 400u);
  EXPECT_TRUE(error_of(bad_deadline).starts_with("bad deadline: ")) << bad_deadline.body;

  // A route the manifest owns, or one equivalent to it.
  for (const char* taken : {"/m", "/u/:id", "/u/:name"}) {
    HttpResponse r = post(*s, taken, v1_);
    EXPECT_EQ(r.status, 409u) << taken << "\n" << r;
    EXPECT_TRUE(contains(error_of(r), "conflicts with the manifest's route")) << r.body;
  }
  EXPECT_TRUE(http_get(s->port(), "/m").body.starts_with("GET /m\n")) << "the manifest's component still serves";

  HttpResponse put = admin(*s, "PUT", "/handler?route=/x", v1_);
  EXPECT_EQ(put.status, 405u);
  EXPECT_EQ(put.header("allow"), "GET, POST, DELETE");
  EXPECT_EQ(admin(*s, "GET", "/other").status, 404u);

  // Nothing of this was stored or served.
  EXPECT_EQ(http_get(s->port(), "/x").status, 404u);
  EXPECT_EQ(list(*s).size(), 2u);
  EXPECT_EQ(json::parse(read_file(data_dir() / "routes.json")), json::array()) << "only /a+b was stored, and deleted";
  EXPECT_EQ(fs::is_empty(data_dir() / "components"), true);
}

// The admin listener's body limit is admin.max_component (20 KiB here).
TEST_F(Admin, ComponentOverTheLimitIs413) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  std::string over(20 * 1024 + 1, 'w');
  HttpResponse r = post(*s, "/x", over);
  EXPECT_EQ(r.status, 413u) << r;
  EXPECT_FALSE(r.keep_alive);
  // Unauthenticated uploads are refused by size before the token is even looked at.
  EXPECT_EQ(admin(*s, "POST", "/handler?route=/x", over, {}).status, 413u);
  // The largest allowed size passes the limit (and then fails as garbage).
  EXPECT_EQ(post(*s, "/x", std::string(20 * 1024, 'w')).status, 400u);
  EXPECT_EQ(post(*s, "/x", v1_).status, 201u);
}

// ?deadline= sets a registered route's time limit.
TEST_F(Admin, DeadlineParameter) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  HttpResponse r = post(*s, "/slow", read_file(test_handler("loop.wasm")), "&deadline=300ms");
  ASSERT_EQ(r.status, 201u) << r;
  EXPECT_EQ(parse_json(r)["deadline_ms"], 300);
  auto t0 = Clock::now();
  HttpResponse slow = http_get(s->port(), "/slow");
  auto took = Clock::now() - t0;
  EXPECT_EQ(slow.status, 504u);
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 1300ms);
}

// Registrations live in the data directory (routes.json, components/SHA.wasm) and come back
// when a new server starts on it; deletions are kept too.
TEST_F(Admin, RegistrationsSurviveARestart) {
  const std::string sha1 = sha256_hex(v1_), sha2 = sha256_hex(v2_);
  {
    ServerProcess* s = start();
    ASSERT_TRUE(s);
    ASSERT_EQ(post(*s, "/kept", v1_, "&deadline=2s").status, 201u);
    ASSERT_EQ(post(*s, "/also/:p", v1_).status, 201u);  // same component: stored once
    ASSERT_EQ(post(*s, "/deleted", v2_).status, 201u);
    ASSERT_EQ(admin(*s, "DELETE", "/handler?route=/deleted").status, 204u);
    stop_cleanly(*s);
  }
  fs::path routes_json = data_dir() / "routes.json";
  ASSERT_TRUE(fs::exists(routes_json));
  json stored = json::parse(read_file(routes_json));
  ASSERT_TRUE(stored.is_array()) << stored;
  ASSERT_EQ(stored.size(), 2u) << stored.dump(2);
  EXPECT_EQ(stored[0]["route"], "/kept");
  EXPECT_EQ(stored[0]["sha256"], sha1);
  EXPECT_EQ(stored[0]["deadline_ms"], 2000);
  EXPECT_EQ(stored[1]["route"], "/also/:p");
  fs::path component = data_dir() / "components" / (sha1 + ".wasm");
  ASSERT_TRUE(fs::exists(component));
  EXPECT_EQ(read_file(component), v1_) << "stored byte for byte";
  EXPECT_FALSE(fs::exists(data_dir() / "components" / (sha2 + ".wasm"))) << "a component no route uses is removed";
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(data_dir() / "components")) files += e.is_regular_file();
  EXPECT_EQ(files, 1u) << "no temporary files left behind";

  ServerProcess* s = start();
  ASSERT_TRUE(s);
  HttpClient c(s->port());
  EXPECT_EQ(c.get("/kept").body, kV1);
  EXPECT_EQ(c.get("/also/thing").body, kV1);
  EXPECT_EQ(c.get("/deleted").status, 404u);
  EXPECT_TRUE(contains(s->log(), "admin: restored route /kept (sha256 " + sha1.substr(0, 12) + ")")) << s->log();
  json routes = list(*s);
  const json* kept = find_route(routes, "/kept");
  ASSERT_TRUE(kept) << routes.dump(2);
  EXPECT_EQ((*kept)["origin"], "admin");
  EXPECT_EQ((*kept)["deadline_ms"], 2000);
  EXPECT_EQ(routes.size(), 4u) << routes.dump(2);
}

// Routes are identified by shape: /p/:id and /p/:name are the same route. Deleting it under the
// other spelling must delete the stored registration as well as the live one, or it comes back on
// the next start.
TEST_F(Admin, DeleteUnderAnEquivalentPatternIsPersisted) {
  {
    ServerProcess* s = start();
    ASSERT_TRUE(s);
    ASSERT_EQ(post(*s, "/p/:id", v1_).status, 201u);
    HttpResponse d = admin(*s, "DELETE", "/handler?route=/p/:name");
    ASSERT_EQ(d.status, 204u) << d;
    EXPECT_EQ(http_get(s->port(), "/p/1").status, 404u);
    stop_cleanly(*s);
  }
  std::string stored = read_file(data_dir() / "routes.json");
  EXPECT_FALSE(contains(stored, "/p/")) << "routes.json still holds the deleted route:\n" << stored;
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  EXPECT_EQ(http_get(s->port(), "/p/1").status, 404u) << "the deleted route came back after a restart";
  EXPECT_FALSE(find_route(list(*s), "/p/:id"));
}

// Replacing a route under an equivalent spelling replaces its stored registration too.
TEST_F(Admin, ReplaceUnderAnEquivalentPatternIsPersisted) {
  {
    ServerProcess* s = start();
    ASSERT_TRUE(s);
    ASSERT_EQ(post(*s, "/q/:id", v1_).status, 201u);
    HttpResponse r = post(*s, "/q/:name", v2_);
    ASSERT_EQ(r.status, 200u) << r;
    EXPECT_EQ(http_get(s->port(), "/q/1").body, kV2);
    stop_cleanly(*s);
  }
  json stored = json::parse(read_file(data_dir() / "routes.json"));
  EXPECT_EQ(stored.size(), 1u) << "one route, one registration:\n" << stored.dump(2);
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  EXPECT_EQ(http_get(s->port(), "/q/1").body, kV2);
  EXPECT_EQ(list(*s).size(), 3u);
}

// The token from the environment ($WITSERVE_ADMIN_TOKEN, or the variable admin.token_env names).
TEST_F(Admin, TokenFromTheEnvironment) {
  copy_handler("echo.wasm");
  fs::path m = write_manifest("[[route]]\npath = \"/m\"\ncomponent = \"echo.wasm\"\n");
  ServerProcess* s = serve(m, {}, true, {{"WITSERVE_ADMIN_TOKEN", "from-env"}});
  ASSERT_TRUE(s);
  EXPECT_EQ(admin(*s, "GET", "/handler", {}, bearer("from-env")).status, 200u);
  EXPECT_EQ(admin(*s, "GET", "/handler", {}, bearer()).status, 401u);
  EXPECT_FALSE(fs::exists(data_dir() / "admin-token")) << "no token generated when one is configured";
  stop_cleanly(*s);

  fs::path m2 = write_manifest("[admin]\ntoken_env = \"MY_ADMIN_SECRET\"\n", "custom.toml");
  ServerProcess* s2 = serve(m2, {}, true, {{"MY_ADMIN_SECRET", "custom-secret"}, {"WITSERVE_ADMIN_TOKEN", "nope"}});
  ASSERT_TRUE(s2);
  EXPECT_EQ(admin(*s2, "GET", "/handler", {}, bearer("custom-secret")).status, 200u);
  EXPECT_EQ(admin(*s2, "GET", "/handler", {}, bearer("nope")).status, 401u);
}

}  // namespace
}  // namespace witserve::itest

// The probes: /healthz and /readyz answer GET without a token (for load balancers and
// orchestrators); everything else still needs it. /readyz says why it is not ready.
namespace witserve::itest {
namespace {

TEST_F(Admin, ProbesAnswerWithoutATokenAndReadinessSaysWhy) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  HttpResponse health = admin(*s, "GET", "/healthz", {}, Headers{});
  EXPECT_EQ(health.status, 200u) << health;
  EXPECT_EQ(parse_json(health)["status"], "ok");
  HttpResponse ready = admin(*s, "GET", "/readyz", {}, Headers{});
  EXPECT_EQ(ready.status, 200u) << ready;
  EXPECT_EQ(parse_json(ready)["status"], "ready");

  EXPECT_EQ(admin(*s, "POST", "/healthz", "x", Headers{}).status, 401u);
  EXPECT_EQ(admin(*s, "GET", "/handler", {}, Headers{}).status, 401u);

  // The registry's data directory gone: not ready, and the answer names it.
  fs::rename(data_dir(), dir() / "moved-away");
  HttpResponse gone = admin(*s, "GET", "/readyz", {}, Headers{});
  EXPECT_EQ(gone.status, 503u) << gone;
  EXPECT_EQ(gone.header("retry-after"), "1");
  json problems = parse_json(gone)["problems"];
  ASSERT_EQ(problems.size(), 1u) << gone;
  EXPECT_NE(problems[0].get<std::string>().find("data directory"), std::string::npos) << gone;
  fs::rename(dir() / "moved-away", data_dir());
  EXPECT_EQ(admin(*s, "GET", "/readyz", {}, Headers{}).status, 200u);
  EXPECT_EQ(admin(*s, "GET", "/healthz", {}, Headers{}).status, 200u);
}

}  // namespace
}  // namespace witserve::itest
