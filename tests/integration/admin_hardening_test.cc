// The admin API and its data directory against hostile or broken input (issue 15): text that is
// not UTF-8, unknown or repeated parameters, unbounded deadlines, settings kept on a replace,
// component files left behind, authentication before the body, and a registry that a crash or a
// newer loader left unreadable. Each test runs on the test's main thread against its own server
// process and directory.
#include <sys/wait.h>

#include <set>

#include "admin_fixture.h"

namespace witserve::itest {
namespace {

using AdminInput = Admin;

// Percent-encoded bytes that are not UTF-8 in any key or value, on POST and DELETE: a 400 that
// says so, and the process lives on (it used to abort on a JSON type_error.316).
TEST_F(AdminInput, InvalidUtf8IsRefusedAndTheServerLives) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  const std::vector<std::pair<std::string, std::string>> calls{
      {"DELETE", "/handler?route=%FF"},
      {"DELETE", "/handler?route=/a%C3"},
      {"POST", "/handler?route=%FF"},
      {"POST", "/handler?route=/x&env=A=%FF"},
      {"POST", "/handler?route=/x&env=%FF=1"},
      {"POST", "/handler?route=/x&allowed_outbound_hosts=http://%FF"},
      {"POST", "/handler?route=/x&deadline=%FF"},
      {"POST", "/handler?route=/x&config=k=%C0%80"},       // overlong
      {"POST", "/handler?route=/x&instance=%ED%A0%80"},    // a surrogate
      {"POST", "/handler?route=/x&%FF=1"},
      {"GET", "/handler?%FE"},
  };
  for (const auto& [method, target] : calls) {
    HttpResponse r = admin(*s, method, target, method == "POST" ? std::string_view(v1_) : std::string_view());
    EXPECT_EQ(r.status, 400u) << method << " " << target << "\n" << r;
    json j = parse_json(r);
    EXPECT_TRUE(contains(j.value("error", ""), "not valid UTF-8")) << method << " " << target << "\n" << r.body;
    ASSERT_TRUE(s->running()) << method << " " << target << " ended the process\n" << s->describe();
  }
  EXPECT_EQ(list(*s).size(), 2u);
  EXPECT_EQ(http_get(s->port(), "/m").status, 200u);
  EXPECT_EQ(http_get(s->port(), "/x").status, 404u) << "nothing was registered";
}

// Unknown parameters are refused as the manifest refuses unknown keys; single-valued ones given
// twice are ambiguous.
TEST_F(AdminInput, UnknownOrRepeatedParametersAre400) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  for (std::string_view extra : {"&bogus=1", "&Route=/y", "&deadline=1s&deadline=2s", "&route=/y",
                                 "&instance=reuse&instance=fresh", "&dirs=/tmp"}) {
    HttpResponse r = post(*s, "/x", v1_, extra);
    EXPECT_EQ(r.status, 400u) << extra << "\n" << r;
  }
  EXPECT_EQ(parse_json(post(*s, "/x", v1_, "&bogus=1"))["error"],
            "unknown query parameter 'bogus' (POST /handler takes route, deadline, instance, config, env, "
            "allowed_outbound_hosts)");
  EXPECT_EQ(admin(*s, "DELETE", "/handler?route=/x&deadline=1s").status, 400u) << "DELETE takes route only";
  EXPECT_EQ(admin(*s, "GET", "/handler?route=/x").status, 400u) << "GET takes no parameters";
  EXPECT_EQ(admin(*s, "GET", "/handler?").status, 200u) << "an empty query is no parameter";
  EXPECT_EQ(http_get(s->port(), "/x").status, 404u);
  EXPECT_FALSE(fs::exists(data_dir() / "routes.json"));
}

// config and instance are accepted as the manifest accepts them, and checked the same way.
TEST_F(AdminInput, ConfigAndInstanceAsInTheManifest) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  std::string counter = read_file(test_handler("counter.wasm"));
  HttpResponse r = post(*s, "/count", counter, "&instance=reuse&config=greeting=Hello%20there&config=b=");
  ASSERT_EQ(r.status, 201u) << r;
  json j = parse_json(r);
  EXPECT_EQ(j["instance"], "reuse");
  EXPECT_EQ(j["config"], json::array({"b", "greeting"}));
  HttpClient c(s->port());
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) seen.insert(c.get("/count").body);
  EXPECT_GT(seen.size(), 1u) << "a reused instance counts on (not always 1)";

  ASSERT_EQ(post(*s, "/fresh", counter, "&instance=fresh").status, 201u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.get("/fresh").body, "1");

  for (std::string_view bad : {"&instance=sometimes", "&instance=", "&config=novalue", "&config==x",
                               "&config=a=1&config=a=2"}) {
    HttpResponse refused = post(*s, "/y", counter, bad);
    EXPECT_EQ(refused.status, 400u) << bad << "\n" << refused;
  }
  EXPECT_EQ(http_get(s->port(), "/y").status, 404u);
}

// The admin deadline has the manifest's bound (1 h), so no deadline overflows the clock and no
// handler holds a worker for ever.
TEST_F(AdminInput, DeadlineIsBoundedAsInTheManifest) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  for (std::string_view d : {"2h", "3600001", "61m", "2562047h", "100000000h", "99999999999999999999h", "0", "-1s"}) {
    HttpResponse r = post(*s, "/slow", v1_, "&deadline=" + std::string(d));
    EXPECT_EQ(r.status, 400u) << d << "\n" << r;
    EXPECT_TRUE(parse_json(r)["error"].get<std::string>().starts_with("bad deadline")) << r.body;
  }
  HttpResponse hour = post(*s, "/slow", v1_, "&deadline=1h");
  ASSERT_EQ(hour.status, 201u) << hour;
  EXPECT_EQ(parse_json(hour)["deadline_ms"], 3600000);
  EXPECT_EQ(http_get(s->port(), "/slow").body, kV1) << "a long deadline is not an immediate 504";
}

// A replace (POST to a registered route) keeps every setting it does not give; a repeatable one
// given empty is set to none.
TEST_F(AdminInput, ReplaceKeepsTheSettingsItDoesNotGive) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  ASSERT_EQ(post(*s, "/x", v1_,
                 "&deadline=2s&instance=reuse&config=k=v&env=A=1&env=B=2&allowed_outbound_hosts=http://127.0.0.1:1")
                .status,
            201u);
  HttpResponse replaced = post(*s, "/x", v2_);
  ASSERT_EQ(replaced.status, 200u) << replaced;
  json j = parse_json(replaced);
  EXPECT_EQ(j["sha256"], sha256_hex(v2_));
  EXPECT_EQ(j["deadline_ms"], 2000);
  EXPECT_EQ(j["instance"], "reuse");
  EXPECT_EQ(j["config"], json::array({"k"}));
  EXPECT_EQ(j["env"], json::array({"A", "B"})) << "the env grant survives a replace";
  EXPECT_EQ(j["allowed_outbound_hosts"], json::array({"http://127.0.0.1:1"}));
  EXPECT_EQ(http_get(s->port(), "/x").body, kV2);

  HttpResponse changed = post(*s, "/x", v1_, "&env=C=3&allowed_outbound_hosts=&deadline=5s");
  ASSERT_EQ(changed.status, 200u) << changed;
  j = parse_json(changed);
  EXPECT_EQ(j["env"], json::array({"C"})) << "given: replaced whole";
  EXPECT_EQ(j["allowed_outbound_hosts"], json::array()) << "given empty: none";
  EXPECT_EQ(j["deadline_ms"], 5000);
  EXPECT_EQ(j["config"], json::array({"k"}));
  EXPECT_EQ(j["instance"], "reuse");

  json stored = json::parse(read_file(data_dir() / "routes.json"));
  ASSERT_EQ(stored.size(), 1u) << stored.dump(2);
  EXPECT_EQ(stored[0]["env"], json({{"C", "3"}}));
  EXPECT_EQ(stored[0]["config"], json({{"k", "v"}}));
  EXPECT_EQ(stored[0]["instance"], "reuse");

  // After a DELETE, a new registration starts from the defaults.
  ASSERT_EQ(admin(*s, "DELETE", "/handler?route=/x").status, 204u);
  HttpResponse fresh = post(*s, "/x", v1_);
  ASSERT_EQ(fresh.status, 201u);
  EXPECT_EQ(parse_json(fresh)["env"], json::array());
  EXPECT_EQ(parse_json(fresh)["deadline_ms"], 30000);
}

size_t component_files(const fs::path& data) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(data / "components")) n += e.is_regular_file();
  return n;
}

// A component replaced or deleted leaves the data directory once no registration uses it.
TEST_F(AdminInput, UnusedComponentsLeaveTheDataDirectory) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  fs::path c1 = data_dir() / "components" / (sha256_hex(v1_) + ".wasm");
  fs::path c2 = data_dir() / "components" / (sha256_hex(v2_) + ".wasm");
  ASSERT_EQ(post(*s, "/x", v1_).status, 201u);
  ASSERT_EQ(post(*s, "/x", v2_).status, 200u);
  EXPECT_FALSE(fs::exists(c1)) << "replaced, used by nothing";
  EXPECT_TRUE(fs::exists(c2));
  ASSERT_EQ(post(*s, "/x", v2_).status, 200u);
  EXPECT_TRUE(fs::exists(c2)) << "replaced by itself";
  ASSERT_EQ(post(*s, "/y", v2_).status, 201u);
  ASSERT_EQ(admin(*s, "DELETE", "/handler?route=/x").status, 204u);
  EXPECT_TRUE(fs::exists(c2)) << "still used by /y";
  ASSERT_EQ(admin(*s, "DELETE", "/handler?route=/y").status, 204u);
  EXPECT_EQ(component_files(data_dir()), 0u);
}

// A request without the token is answered 401 from its head: the server does not wait for (or
// read) its body, and closes the connection.
TEST_F(AdminInput, WrongTokenIsRefusedBeforeTheBody) {
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  for (std::string_view auth : {"", "Authorization: Bearer wrong\r\n", "Authorization: Bearer wrong\r\nExpect: 100-continue\r\n"}) {
    RawConnection raw(s->admin_port());
    ASSERT_TRUE(raw.send("POST /handler?route=/x HTTP/1.1\r\nHost: a\r\nContent-Length: 15000\r\n" + std::string(auth) +
                         "\r\n"));
    const std::string& got = raw.read_to_eof(3s);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 401 ")) << auth << "\n" << got;
    EXPECT_TRUE(contains(got, "missing or wrong bearer token")) << got;
    EXPECT_TRUE(raw.eof()) << "the connection is closed: its body was never read";
  }
  // With the token, the head alone gets no answer: the server waits for the body.
  RawConnection ok(s->admin_port());
  ASSERT_TRUE(ok.send("POST /handler?route=/x HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(v1_.size()) +
                      "\r\nAuthorization: Bearer " + std::string(kAdminToken) + "\r\n\r\n"));
  EXPECT_EQ(ok.read_until("\r\n\r\n", 300ms), "");
  ASSERT_TRUE(ok.send(v1_));
  EXPECT_TRUE(ok.read_until("\r\n\r\n", 5s).starts_with("HTTP/1.1 201 ")) << ok.received();
}

class Registry : public Admin {
 protected:
  // A pid no process has: a child that has exited and been reaped.
  static pid_t dead_pid() {
    pid_t p = ::fork();
    if (p == 0) ::_exit(0);
    ::waitpid(p, nullptr, 0);
    return p;
  }
  std::vector<fs::path> set_aside() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(data_dir()))
      if (e.path().filename().string().starts_with("routes.json.bad-")) out.push_back(e.path());
    return out;
  }
};

// Temporary files of writes cut short (kill -9) are removed at startup; a live writer's are not.
// So is a component file no registration uses.
TEST_F(Registry, LeftoversOfACrashAreRemovedAtStartup) {
  fs::create_directories(data_dir() / "components");
  std::string dead = std::to_string(dead_pid()), live = std::to_string(::getpid());
  write_file(data_dir() / "routes.json", "[]\n");
  for (std::string name : {"routes.json.tmp." + dead, "routes.json.tmp." + live})
    write_file(data_dir() / name, "[{\"route\": \"/half");
  std::string orphan = std::string(64, 'a') + ".wasm";
  write_file(data_dir() / "components" / (orphan + ".tmp." + dead), v1_);
  write_file(data_dir() / "components" / orphan, v1_);
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  EXPECT_FALSE(fs::exists(data_dir() / ("routes.json.tmp." + dead)));
  EXPECT_FALSE(fs::exists(data_dir() / "components" / (orphan + ".tmp." + dead)));
  EXPECT_FALSE(fs::exists(data_dir() / "components" / orphan)) << "no registration uses it";
  EXPECT_TRUE(fs::exists(data_dir() / ("routes.json.tmp." + live))) << "its writer is alive";
  EXPECT_EQ(post(*s, "/x", v1_).status, 201u);
}

// A truncated routes.json is kept aside (never deleted or overwritten), the server starts and
// serves, and registrations work again; the component files are kept for a recovery by hand.
TEST_F(Registry, TruncatedRoutesJsonIsKeptAsideAndTheServerServes) {
  {
    ServerProcess* s = start();
    ASSERT_TRUE(s);
    ASSERT_EQ(post(*s, "/a", v1_).status, 201u);
    ASSERT_EQ(post(*s, "/b", v2_).status, 201u);
    stop_cleanly(*s);
  }
  std::string whole = read_file(data_dir() / "routes.json");
  std::string truncated = whole.substr(0, whole.size() / 2);
  write_file(data_dir() / "routes.json", truncated);

  ServerProcess* s = start();
  ASSERT_TRUE(s);
  EXPECT_EQ(http_get(s->port(), "/m").status, 200u) << "the manifest's routes serve";
  auto aside = set_aside();
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(read_file(aside[0]), truncated) << "kept byte for byte";
  EXPECT_EQ(component_files(data_dir()), 2u) << "components kept for a recovery by hand";
  HttpResponse again = post(*s, "/a", v1_);
  EXPECT_EQ(again.status, 201u) << again;
  EXPECT_EQ(http_get(s->port(), "/a").body, kV1);
  json stored = json::parse(read_file(data_dir() / "routes.json"));
  EXPECT_EQ(stored.size(), 1u) << stored.dump(2);
}

// A routes.json with one unusable entry: the others are restored and served, the file is kept
// aside whole.
TEST_F(Registry, UnusableEntryIsSetAsideTheOthersServe) {
  {
    ServerProcess* s = start();
    ASSERT_TRUE(s);
    ASSERT_EQ(post(*s, "/a", v1_).status, 201u);
    stop_cleanly(*s);
  }
  json stored = json::parse(read_file(data_dir() / "routes.json"));
  stored.push_back({{"route", "/b"}});  // no sha256
  stored.push_back({{"route", "/c"}, {"sha256", "../../etc/passwd"}});
  write_file(data_dir() / "routes.json", stored.dump());
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  EXPECT_EQ(http_get(s->port(), "/a").body, kV1);
  ASSERT_EQ(set_aside().size(), 1u);
  EXPECT_EQ(json::parse(read_file(set_aside()[0])), stored);
  json now = json::parse(read_file(data_dir() / "routes.json"));
  ASSERT_EQ(now.size(), 1u) << now.dump(2);
  EXPECT_EQ(now[0]["route"], "/a");
}

// A registered component that no longer loads (a newer loader refuses it, or its file is
// damaged) does not stop the restart: the rest serves, its route answers 503, its registration
// is kept and listed with the reason, and it can be replaced or deleted.
TEST_F(Registry, RegisteredComponentThatNoLongerLoadsIsKept) {
  {
    ServerProcess* s = start();
    ASSERT_TRUE(s);
    ASSERT_EQ(post(*s, "/x", v1_, "&env=A=1").status, 201u);
    ASSERT_EQ(post(*s, "/y", v2_).status, 201u);
    stop_cleanly(*s);
  }
  write_file(data_dir() / "components" / (sha256_hex(v1_) + ".wasm"), "damaged");
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  EXPECT_EQ(http_get(s->port(), "/y").body, kV2);
  EXPECT_EQ(http_get(s->port(), "/m").status, 200u);
  EXPECT_EQ(http_get(s->port(), "/x").status, 503u);
  json routes = list(*s);
  const json* x = find_route(routes, "/x");
  ASSERT_TRUE(x);
  EXPECT_TRUE((*x)["error"].is_string()) << x->dump(2);
  EXPECT_EQ(json::parse(read_file(data_dir() / "routes.json")).size(), 2u) << "the registration is kept";

  HttpResponse replaced = post(*s, "/x", v2_);
  ASSERT_EQ(replaced.status, 200u) << replaced;
  EXPECT_EQ(parse_json(replaced)["env"], json::array({"A"})) << "its settings are kept too";
  EXPECT_EQ(http_get(s->port(), "/x").body, kV2);
  EXPECT_FALSE(fs::exists(data_dir() / "components" / (sha256_hex(v1_) + ".wasm")));
}

// A large registry restarts without compiling everything first: every route is published at
// once and serves (a request loads its own component if the background load has not reached it
// yet), the listing shows every registration, and the background load finishes.
TEST_F(Registry, ALargeRegistryServesWhileItsComponentsLoad) {
  constexpr int kRoutes = 400;
  fs::create_directories(data_dir() / "components");
  std::string echo = read_file(test_handler("echo.wasm"));
  json stored = json::array();
  for (int i = 0; i < kRoutes; ++i) {
    // A custom section makes each component distinct (its own hash, its own compile).
    std::string payload = "n" + std::to_string(i);
    std::string section = std::string(1, '\0') + char(payload.size() + 1) + char(1) + payload;
    std::string bytes = echo + section;
    std::string sha = sha256_hex(bytes);
    write_file(data_dir() / "components" / (sha + ".wasm"), bytes);
    stored.push_back({{"route", "/r" + std::to_string(i)}, {"sha256", sha}, {"deadline_ms", 30000},
                      {"env", json::object()}, {"allowed_outbound_hosts", json::array()}});
  }
  write_file(data_dir() / "routes.json", stored.dump());
  ServerProcess* s = start();
  ASSERT_TRUE(s);
  for (int i : {kRoutes - 1, 0, kRoutes / 2}) {
    HttpResponse r = http_get(s->port(), "/r" + std::to_string(i));
    EXPECT_EQ(r.status, 200u) << r;
    EXPECT_TRUE(r.body.starts_with("GET /r" + std::to_string(i) + "\n")) << r;
  }
  json routes = list(*s);
  size_t admin_routes = 0;
  for (const auto& r : routes)
    if (r["origin"] == "admin") {
      ++admin_routes;
      EXPECT_EQ(r["sha256"].get<std::string>().size(), 64u) << r;
    }
  EXPECT_EQ(admin_routes, size_t(kRoutes));
  EXPECT_TRUE(s->wait_for_log("admin: " + std::to_string(kRoutes) + " registered components loaded in ", 60s))
      << s->log();
  json after = list(*s);
  for (const auto& r : after)
    if (r["origin"] == "admin") EXPECT_TRUE(r.contains("world") && !r.contains("loading")) << r;
  EXPECT_EQ(http_get(s->port(), "/r7").status, 200u);
}

}  // namespace
}  // namespace witserve::itest
