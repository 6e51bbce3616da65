// The manifest: values and defaults, path resolution, sizes, durations and listen addresses, the
// routes' WASI grants (env, dirs, allowed_outbound_hosts and how outbound rules match), and
// validation that reports every problem at once with its line and column.
#include "witserve/manifest/manifest.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace witserve::manifest {

// Readable gtest failures.
void PrintTo(const OutboundHost& rule, std::ostream* os) { *os << to_string(rule); }
void PrintTo(const DirGrant& grant, std::ostream* os) {
  *os << "{" << grant.host << " as " << grant.guest << (grant.writable ? ", writable}" : "}");
}

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const fs::path kFile = "/srv/app/witserve.toml";

Manifest parse_ok(std::string_view text, const fs::path& file = kFile) {
  auto m = parse_manifest(text, file);
  EXPECT_TRUE(m.ok()) << m.error().message();
  return m.ok() ? std::move(m).value() : Manifest();
}

// The error message of a manifest that must be refused as invalid.
std::string refused(std::string_view text) {
  auto m = parse_manifest(text, kFile);
  if (m.ok()) return "(accepted)";
  EXPECT_EQ(m.error().kind(), ErrorKind::kInvalidArgument) << m.error().message();
  return m.error().message();
}

TEST(Manifest, FullExample) {
  Manifest m = parse_ok(R"([server]
listen = "0.0.0.0:8080"
threads = 4
max_body = "512KiB"
deadline = "2s"
data_dir = "state"

[admin]
listen = "[::1]:8081"
token = "secret"
max_component = 1048576
enabled = true

[[route]]
path = "/greet/:name"
component = "handlers/greet-c.wasm"
deadline = "5s"
[route.config]
greeting = "Hello"
punctuation = "!"

[[route]]
path = "/static/..."
component = "/opt/files.wasm"
instance = "reuse"
)");
  EXPECT_EQ(m.file, kFile);
  EXPECT_EQ(m.server.listen, (ListenAddress{"0.0.0.0", 8080}));
  EXPECT_EQ(m.server.threads, 4);
  EXPECT_EQ(m.server.max_body, 512u * 1024);
  EXPECT_EQ(m.server.deadline, milliseconds(2000));
  EXPECT_EQ(m.server.data_dir, fs::path("/srv/app/state"));
  EXPECT_TRUE(m.admin.enabled);
  EXPECT_EQ(m.admin.listen, (ListenAddress{"::1", 8081}));
  EXPECT_EQ(m.admin.token, std::optional<std::string>("secret"));
  EXPECT_EQ(m.admin.token_env, "WITSERVE_ADMIN_TOKEN");
  EXPECT_EQ(m.admin.max_component, 1048576u);

  ASSERT_EQ(m.routes.size(), 2u);
  const RouteConfig& greet = m.routes[0];
  EXPECT_EQ(greet.pattern.text(), "/greet/:name");
  EXPECT_EQ(greet.component, fs::path("/srv/app/handlers/greet-c.wasm"));
  EXPECT_EQ(greet.deadline, milliseconds(5000));
  EXPECT_EQ(greet.config,
            (std::map<std::string, std::string>{{"greeting", "Hello"}, {"punctuation", "!"}}));
  EXPECT_EQ(greet.line, 14);
  EXPECT_FALSE(greet.reuse_instance);  // "fresh" is the default
  const RouteConfig& files = m.routes[1];
  EXPECT_TRUE(files.reuse_instance);
  EXPECT_EQ(files.component, fs::path("/opt/files.wasm"));
  EXPECT_EQ(files.deadline, milliseconds(2000));  // server.deadline
  EXPECT_TRUE(files.config.empty());
  EXPECT_EQ(files.line, 22);
}

TEST(Manifest, EmptyManifestHasDefaults) {
  Manifest m = parse_ok("");
  EXPECT_EQ(m.server.listen.to_string(), "127.0.0.1:9090");
  EXPECT_EQ(m.server.threads, 0);
  EXPECT_EQ(m.server.max_body, 10u * 1024 * 1024);
  EXPECT_EQ(m.server.deadline, milliseconds(30000));
  EXPECT_EQ(m.server.data_dir, fs::path("/srv/app/.witserve"));
  EXPECT_EQ(m.server.kept_instances, 64);
  EXPECT_EQ(m.server.instance_idle_timeout, milliseconds(300000));
  EXPECT_TRUE(m.admin.enabled);
  EXPECT_EQ(m.admin.listen.to_string(), "127.0.0.1:9091");
  EXPECT_EQ(m.admin.token, std::nullopt);
  EXPECT_EQ(m.admin.token_env, "WITSERVE_ADMIN_TOKEN");
  EXPECT_EQ(m.admin.max_component, 64u * 1024 * 1024);
  EXPECT_TRUE(m.routes.empty());
  auto router = build_router(m);
  ASSERT_TRUE(router.ok());
  EXPECT_FALSE(router->match("/"));
}

TEST(Manifest, ResolvesPathsAgainstTheManifestDirectory) {
  Manifest m = parse_ok(R"(
server.data_dir = "/var/lib/witserve/"
[[route]]
path = "/a"
component = "../shared/./a.wasm"
[[route]]
path = "/b"
component = "x/../b.wasm"
)");
  EXPECT_EQ(m.server.data_dir, fs::path("/var/lib/witserve/"));
  EXPECT_EQ(m.routes[0].component, fs::path("/srv/shared/a.wasm"));
  EXPECT_EQ(m.routes[1].component, fs::path("/srv/app/b.wasm"));

  // A relative manifest path starts from the current directory.
  Manifest rel = parse_ok("[[route]]\npath = \"/\"\ncomponent = \"h.wasm\"\n", "conf/w.toml");
  EXPECT_EQ(rel.file, fs::current_path() / "conf/w.toml");
  EXPECT_EQ(rel.routes[0].component, fs::current_path() / "conf/h.wasm");
  EXPECT_EQ(rel.server.data_dir, fs::current_path() / "conf/.witserve");
}

TEST(Manifest, IntegerSizesAndDurations) {
  Manifest m = parse_ok("[server]\nmax_body = 1024\ndeadline = 500\n");
  EXPECT_EQ(m.server.max_body, 1024u);
  EXPECT_EQ(m.server.deadline, milliseconds(500));
  EXPECT_EQ(parse_ok("server.deadline = \"1h\"").server.deadline, milliseconds(3600000));
}

TEST(Manifest, ReportsEveryProblemWithItsPosition) {
  std::string message = refused(R"([server]
listn = "127.0.0.1:9090"
threads = 2000
max_body = "10XB"
deadline = "2h"
data_dir = 5

[admin]
listen = "localhost"
token = ""
max_component = 0
enabled = "yes"

[[route]]
path = "/a/:x"
component = "a.wasm"
deadline = "0s"
[route.config]
greeting = "hi"
count = 3

[[route]]
path = "/a/:y"
component = "b.wasm"

[[route]]
component = "c.wasm"

[[route]]
path = "no-slash"
compnent = "d.wasm"

[extra]
x = 1
)");
  EXPECT_EQ(
      message,
      "/srv/app/witserve.toml:2:1: unknown key \"server.listn\" (did you mean \"listen\"?)\n"
      "/srv/app/witserve.toml:3:11: server.threads must be from 0 (one per core) to 1024, not "
      "2000\n"
      "/srv/app/witserve.toml:4:12: server.max_body: bad size \"10XB\": expected a number of bytes "
      "with an optional unit B, KiB, MiB, GiB, KB, MB or GB, e.g. \"10MiB\"\n"
      "/srv/app/witserve.toml:5:12: server.deadline must be at most 1h\n"
      "/srv/app/witserve.toml:6:12: server.data_dir must be a string, not an integer\n"
      "/srv/app/witserve.toml:9:10: admin.listen: bad listen address \"localhost\": expected "
      "HOST:PORT, e.g. \"127.0.0.1:9090\"\n"
      "/srv/app/witserve.toml:10:9: admin.token is empty (leave it out to read the token from "
      "the environment)\n"
      "/srv/app/witserve.toml:11:17: admin.max_component must be greater than 0\n"
      "/srv/app/witserve.toml:12:11: admin.enabled must be a boolean, not a string\n"
      "/srv/app/witserve.toml:17:12: route.deadline: bad duration \"0s\": must be greater than 0\n"
      "/srv/app/witserve.toml:20:9: route.config.count must be a string or { env = \"NAME\" }, not an integer\n"
      "/srv/app/witserve.toml:23:8: route \"/a/:y\" is equivalent to route \"/a/:x\" on line 14 "
      "(only parameter names differ)\n"
      "/srv/app/witserve.toml:26:1: route has no path\n"
      "/srv/app/witserve.toml:29:1: route has no component\n"
      "/srv/app/witserve.toml:30:8: route.path: route pattern \"no-slash\": must start with '/'\n"
      "/srv/app/witserve.toml:31:1: unknown key \"route.compnent\" (did you mean \"component\"?)\n"
      "/srv/app/witserve.toml:33:2: unknown table [extra]");
}

TEST(Manifest, SyntaxErrorIsReportedAloneWithItsPosition) {
  auto m = parse_manifest("[server]\nlisten = \nthreads = \"x\"\n", kFile);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().kind(), ErrorKind::kMalformed);
  EXPECT_EQ(m.error().message().rfind("/srv/app/witserve.toml:2:10: ", 0), 0u)
      << m.error().message();
  EXPECT_EQ(m.error().message().find('\n'), std::string::npos);

  m = parse_manifest("a = 1\na = 2\n", kFile);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message().rfind("/srv/app/witserve.toml:2:", 0), 0u) << m.error().message();
}

TEST(Manifest, RouteShapeProblems) {
  EXPECT_EQ(
      refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\ninstance = \"pooled\"\n"),
      "/srv/app/witserve.toml:4:12: route.instance must be \"fresh\" or \"reuse\", not \"pooled\"");
  EXPECT_EQ(
      refused("[route]\npath = \"/a\"\n"),
      "/srv/app/witserve.toml:1:1: route must be an array of tables: write [[route]], not [route]");
  EXPECT_EQ(
      refused("route = 5\n"),
      "/srv/app/witserve.toml:1:9: route must be an array of tables ([[route]]), not an integer");
  EXPECT_EQ(refused("route = [1, { path = \"/a\", component = \"a.wasm\" }]\n"),
            "/srv/app/witserve.toml:1:10: a route must be a table, not an integer");
  EXPECT_EQ(refused("[[route]]\npath = 1\ncomponent = \"\"\nconfig = \"x\"\n"),
            "/srv/app/witserve.toml:2:8: route.path must be a string, not an integer\n"
            "/srv/app/witserve.toml:3:13: route.component is empty\n"
            "/srv/app/witserve.toml:4:10: route.config must be a table, not a string");
  EXPECT_EQ(refused("[[route]]\npath = \"/x\"\ncomponent = \"x.wasm\"\n[route.cfg]\n"),
            "/srv/app/witserve.toml:4:8: unknown table [route.cfg]");
  EXPECT_EQ(refused("[[routes]]\npath = \"/x\"\n"),
            "/srv/app/witserve.toml:1:3: unknown table [[routes]] (did you mean \"route\"?)");
  EXPECT_EQ(
      refused("[[route]]\npath = \"/x\"\ncomponent = \"x.wasm\"\ndeadline = 1.5\n"),
      "/srv/app/witserve.toml:4:12: route.deadline must be an integer or a string like \"30s\", "
      "not a float");
  // Equivalent by escaping, not only by parameter names.
  EXPECT_EQ(refused("[[route]]\npath = \"/ab\"\ncomponent = \"x.wasm\"\n"
                    "[[route]]\npath = \"/%61b\"\ncomponent = \"y.wasm\"\n"),
            "/srv/app/witserve.toml:5:8: route \"/%61b\" is equivalent to route \"/ab\" on line 1 "
            "(only parameter names differ)");
}

TEST(Manifest, ServerAndAdminProblems) {
  EXPECT_EQ(refused("server = 1\n"),
            "/srv/app/witserve.toml:1:10: server must be a table, not an integer");
  EXPECT_EQ(
      refused("[server]\nthreads = -1\nmax_body = -5\n"),
      "/srv/app/witserve.toml:2:11: server.threads must be from 0 (one per core) to 1024, not -1\n"
      "/srv/app/witserve.toml:3:12: server.max_body must be greater than 0");
  EXPECT_EQ(refused("[server]\nkept_instances = -1\ninstance_idle_timeout = \"2h\"\n"),
            "/srv/app/witserve.toml:2:18: server.kept_instances must be from 0 to 100000, not -1\n"
            "/srv/app/witserve.toml:3:25: server.instance_idle_timeout must be at most 1h");
  Manifest kept = parse_ok("[server]\nkept_instances = 0\ninstance_idle_timeout = \"30s\"\n");
  EXPECT_EQ(kept.server.kept_instances, 0);
  EXPECT_EQ(kept.server.instance_idle_timeout, milliseconds(30000));
  EXPECT_EQ(refused("[server]\nthreads = 1.0\ndata_dir = \"\"\n"),
            "/srv/app/witserve.toml:2:11: server.threads must be an integer, not a float\n"
            "/srv/app/witserve.toml:3:12: server.data_dir is empty");
  EXPECT_EQ(refused("[server]\nlisten = \"0.0.0.0:8080\"\n[admin]\nlisten = \"0.0.0.0:8080\"\n"),
            "/srv/app/witserve.toml:4:10: admin.listen and server.listen are both 0.0.0.0:8080");
  EXPECT_EQ(refused("[server]\nlisten = \"127.0.0.1:9091\"\n"),
            "/srv/app/witserve.toml:2:10: admin.listen and server.listen are both 127.0.0.1:9091");
  EXPECT_EQ(refused("[admin]\ntoken = \"s\"\ntoken_env = \"MY_TOKEN\"\n"),
            "/srv/app/witserve.toml:3:13: admin.token and admin.token_env are both set; keep one");
  EXPECT_EQ(
      refused("[admin]\ntoken_env = \"1BAD\"\nlisten = \"[::1]\"\n"),
      "/srv/app/witserve.toml:2:13: admin.token_env \"1BAD\" is not an environment variable name\n"
      "/srv/app/witserve.toml:3:10: admin.listen: bad listen address \"[::1]\": expected "
      "[ADDRESS]:PORT, e.g. \"[::1]:9090\"");
  EXPECT_EQ(
      refused("[admin]\nmax_component = \"1TiB\"\n"),
      "/srv/app/witserve.toml:2:17: admin.max_component: bad size \"1TiB\": expected a number of "
      "bytes with an optional unit B, KiB, MiB, GiB, KB, MB or GB, e.g. \"10MiB\"");

  // An unusable admin.listen is reported once, not also as the default colliding with server.listen.
  EXPECT_EQ(refused("[server]\nlisten = \"127.0.0.1:9091\"\n[admin]\nlisten = 9092\n"),
            "/srv/app/witserve.toml:4:10: admin.listen must be a string, not an integer");

  // A disabled admin API may share nothing, so the same address is fine; token_env alone is kept.
  Manifest m = parse_ok(
      "[server]\nlisten = \"127.0.0.1:9091\"\n[admin]\nenabled = false\n"
      "token_env = \"MY_TOKEN\"\n");
  EXPECT_FALSE(m.admin.enabled);
  EXPECT_EQ(m.admin.token_env, "MY_TOKEN");
  EXPECT_EQ(m.admin.token, std::nullopt);
}

TEST(Manifest, BuildRouterUsesRouteIndexes) {
  Manifest m = parse_ok(R"(
[[route]]
path = "/..."
component = "fallback.wasm"
[[route]]
path = "/greet/:name"
component = "greet.wasm"
)");
  auto router = build_router(m);
  ASSERT_TRUE(router.ok());
  auto match = router->match("/greet/ann");
  ASSERT_TRUE(match);
  EXPECT_EQ(match->route, 1u);
  EXPECT_EQ(*match->param("name"), "ann");
  EXPECT_EQ(router->match("/other")->route, 0u);
}

TEST(Manifest, LoadsFromFile) {
  fs::path dir = fs::temp_directory_path() / ("witserve_manifest_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  fs::path file = dir / "witserve.toml";
  std::ofstream(file) << "[[route]]\npath = \"/\"\ncomponent = \"root.wasm\"\n";
  auto m = load_manifest(file);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->file, file);
  EXPECT_EQ(m->routes[0].component, dir / "root.wasm");

  auto missing = load_manifest(dir / "missing.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().message(),
            (dir / "missing.toml").string() + ": cannot read: No such file or directory");

  auto directory = load_manifest(dir);
  ASSERT_FALSE(directory.ok());
  EXPECT_EQ(directory.error().kind(), ErrorKind::kIo);
  EXPECT_EQ(directory.error().message(), dir.string() + ": cannot read: Is a directory");
  fs::remove_all(dir);
}

TEST(Manifest, RouteGrantsNothingByDefault) {
  Manifest m = parse_ok("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\n");
  ASSERT_EQ(m.routes.size(), 1u);
  EXPECT_TRUE(m.routes[0].env.empty());
  EXPECT_TRUE(m.routes[0].dirs.empty());
  EXPECT_TRUE(m.routes[0].allowed_outbound_hosts.empty());
  EXPECT_FALSE(outbound_allowed(m.routes[0].allowed_outbound_hosts, "http", "localhost", 80));
}

TEST(Manifest, ExecutionAndAdmission) {
  Manifest m = parse_ok("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\n");
  EXPECT_EQ(m.routes[0].execution, RouteConfig::kAuto);
  EXPECT_EQ(m.routes[0].max_concurrency, 0);
  EXPECT_EQ(m.server.max_executors, 256);
  EXPECT_EQ(m.server.max_queue, 1024);
  m = parse_ok(
      "[server]\nmax_executors = 8\nmax_queue = 0\n"
      "[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\nexecution = \"pool\"\nmax_concurrency = 3\n"
      "[[route]]\npath = \"/b\"\ncomponent = \"b.wasm\"\nexecution = \"inline\"\n"
      "[[route]]\npath = \"/c\"\ncomponent = \"c.wasm\"\nexecution = \"auto\"\n");
  EXPECT_EQ(m.server.max_executors, 8);
  EXPECT_EQ(m.server.max_queue, 0);
  EXPECT_EQ(m.routes[0].execution, RouteConfig::kPool);
  EXPECT_EQ(m.routes[0].max_concurrency, 3);
  EXPECT_EQ(m.routes[1].execution, RouteConfig::kInline);
  EXPECT_EQ(m.routes[2].execution, RouteConfig::kAuto);
  EXPECT_EQ(refused("[server]\nmax_executors = 0\nmax_queue = -3\n"),
            "/srv/app/witserve.toml:2:17: server.max_executors must be from 1 to 4096, not 0\n"
            "/srv/app/witserve.toml:3:13: server.max_queue must be from 0 to 1000000, not -3");
  EXPECT_EQ(refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\nexecution = \"fast\"\nmax_concurrency = -1\n"),
            "/srv/app/witserve.toml:4:13: route.execution must be \"auto\", \"inline\" or \"pool\", not \"fast\"\n"
            "/srv/app/witserve.toml:5:19: route.max_concurrency must be from 0 (no limit) to 1000000, not -1");
}

TEST(Manifest, RouteEnv) {
  Manifest m = parse_ok(R"(
[[route]]
path = "/a"
component = "a.wasm"
env = { GREETING = "hello", EMPTY = "", "my.var" = "x=y", lower = "ok" }
[[route]]
path = "/b"
component = "b.wasm"
[route.env]
PATH = "/bin"
[[route]]
path = "/c"
component = "c.wasm"
env.ONE = "1"
)");
  ASSERT_EQ(m.routes.size(), 3u);
  EXPECT_EQ(m.routes[0].env, (std::map<std::string, std::string>{
                                 {"EMPTY", ""}, {"GREETING", "hello"}, {"lower", "ok"},
                                 {"my.var", "x=y"}}));
  EXPECT_EQ(m.routes[1].env, (std::map<std::string, std::string>{{"PATH", "/bin"}}));
  EXPECT_EQ(m.routes[2].env, (std::map<std::string, std::string>{{"ONE", "1"}}));
  EXPECT_TRUE(m.routes[0].config.empty());  // env is not config
}

TEST(Manifest, RouteEnvProblems) {
  EXPECT_EQ(
      refused(R"([[route]]
path = "/a"
component = "a.wasm"
env = { "" = "x", "A=B" = "y", PORT = 8080, "N\u0000UL" = "z", OK = "a\u0000b" }
)"),
      "/srv/app/witserve.toml:4:9: route.env: an environment variable name cannot be empty\n"
      "/srv/app/witserve.toml:4:19: route.env: \"A=B\" is not an environment variable name (it "
      "contains '=')\n"
      "/srv/app/witserve.toml:4:39: route.env.PORT must be a string, not an integer\n"
      "/srv/app/witserve.toml:4:45: route.env: an environment variable name cannot contain NUL\n"
      "/srv/app/witserve.toml:4:69: route.env.OK cannot contain NUL");
  EXPECT_EQ(refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\nenv = \"A=1\"\n"),
            "/srv/app/witserve.toml:4:7: route.env must be a table, not a string");
  EXPECT_EQ(refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\n"
                    "[route.env.SUB]\nX = \"1\"\n"),
            "/srv/app/witserve.toml:4:1: route.env.SUB must be a string, not a table");
  EXPECT_EQ(refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\nenvs = { A = \"1\" }\n"),
            "/srv/app/witserve.toml:4:1: unknown table [route.envs] (did you mean \"env\"?)");
}

TEST(Manifest, RouteDirs) {
  Manifest m = parse_ok(R"(
[[route]]
path = "/a"
component = "a.wasm"
dirs = [{ host = "static", guest = "/static" },
        { host = "/var/data/", guest = "/", writable = true }]
[[route]]
path = "/b"
component = "b.wasm"
[[route.dirs]]
host = "../shared/./files"
guest = "/srv/files"
writable = false
[[route.dirs]]
host = "uploads"
guest = "/uploads"
writable = true
[[route]]
path = "/c"
component = "c.wasm"
dirs = [{ host = "static", guest = "/static" }]  # the same guest path in another route is fine
)");
  ASSERT_EQ(m.routes.size(), 3u);
  EXPECT_EQ(m.routes[0].dirs, (std::vector<DirGrant>{{"/srv/app/static", "/static", false},
                                                     {"/var/data/", "/", true}}));
  EXPECT_EQ(m.routes[1].dirs, (std::vector<DirGrant>{{"/srv/shared/files", "/srv/files", false},
                                                     {"/srv/app/uploads", "/uploads", true}}));
  EXPECT_EQ(m.routes[2].dirs, (std::vector<DirGrant>{{"/srv/app/static", "/static", false}}));
  EXPECT_FALSE(DirGrant{}.writable);  // read-only unless writable = true
}

TEST(Manifest, RouteDirsProblems) {
  EXPECT_EQ(refused(R"([[route]]
path = "/a"
component = "a.wasm"
[[route.dirs]]
host = "static"
guest = "static"
[[route.dirs]]
host = "x"
guest = "/a/../b"
[[route.dirs]]
host = "y"
guest = "/data"
writeable = true
[[route.dirs]]
host = "z"
guest = "/data"
[[route.dirs]]
guest = "/a/./b"
[[route.dirs]]
host = ""
guest = "/c"
writable = "yes"
)"),
            "/srv/app/witserve.toml:6:9: route.dirs.guest \"static\" is not absolute (it must "
            "start with '/')\n"
            "/srv/app/witserve.toml:9:9: route.dirs.guest \"/a/../b\" has a \"..\" component\n"
            "/srv/app/witserve.toml:13:1: unknown key \"route.dirs.writeable\" (did you mean "
            "\"writable\"?)\n"
            "/srv/app/witserve.toml:16:9: route.dirs.guest \"/data\" is already granted on line "
            "12\n"
            "/srv/app/witserve.toml:17:1: route.dirs entry has no host\n"
            "/srv/app/witserve.toml:18:9: route.dirs.guest \"/a/./b\" has a \".\" component\n"
            "/srv/app/witserve.toml:20:8: route.dirs.host is empty\n"
            "/srv/app/witserve.toml:22:12: route.dirs.writable must be a boolean, not a string");

  auto one = [](std::string_view dirs) {
    return refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\ndirs = " + std::string(dirs) +
                   "\n");
  };
  EXPECT_EQ(one(R"([{ host = "a", guest = "/x/" }])"),
            "/srv/app/witserve.toml:4:31: route.dirs.guest \"/x/\" ends in '/'");
  EXPECT_EQ(one(R"([{ host = "a", guest = "/x//y" }])"),
            "/srv/app/witserve.toml:4:31: route.dirs.guest \"/x//y\" has an empty component "
            "(\"//\")");
  EXPECT_EQ(one(R"([{ host = "a", guest = "/.." }])"),
            "/srv/app/witserve.toml:4:31: route.dirs.guest \"/..\" has a \"..\" component");
  EXPECT_EQ(one(R"([{ host = "a", guest = "" }])"),
            "/srv/app/witserve.toml:4:31: route.dirs.guest is empty");
  EXPECT_EQ(one(R"([{ host = "a", guest = 1 }])"),
            "/srv/app/witserve.toml:4:31: route.dirs.guest must be a string, not an integer");
  EXPECT_EQ(one(R"([{ host = "a" }])"),
            "/srv/app/witserve.toml:4:9: route.dirs entry has no guest path");
  EXPECT_EQ(one(R"([{ host = "a", guest = "/", mode = "rw" }])"),
            "/srv/app/witserve.toml:4:36: unknown key \"route.dirs.mode\"");
  EXPECT_EQ(one(R"([{ host = "a", guest = "/" }, { host = "b", guest = "/" }])"),
            "/srv/app/witserve.toml:4:60: route.dirs.guest \"/\" is already granted on line 4");
  EXPECT_EQ(one(R"(["static"])"),
            "/srv/app/witserve.toml:4:9: a route.dirs entry must be a table like { host = "
            "\"static\", guest = \"/static\" }, not a string");
  EXPECT_EQ(one(R"({ host = "a", guest = "/a" })"),
            "/srv/app/witserve.toml:4:8: route.dirs must be an array of tables: write "
            "[[route.dirs]] or dirs = [{ ... }], not a single table");
  EXPECT_EQ(refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\n"
                    "[route.dirs]\nhost = \"a\"\n"),
            "/srv/app/witserve.toml:4:1: route.dirs must be an array of tables: write "
            "[[route.dirs]] or dirs = [{ ... }], not a single table");
  EXPECT_EQ(one(R"("static")"),
            "/srv/app/witserve.toml:4:8: route.dirs must be an array of tables, not a string");
}

TEST(Manifest, RouteAllowedOutboundHosts) {
  Manifest m = parse_ok(R"(
[[route]]
path = "/a"
component = "a.wasm"
allowed_outbound_hosts = ["http://127.0.0.1:8080", "https://api.example.com",
                          "http://*.example.com", "http://localhost:*"]
)");
  ASSERT_EQ(m.routes.size(), 1u);
  EXPECT_EQ(m.routes[0].allowed_outbound_hosts,
            (std::vector<OutboundHost>{{"http", "127.0.0.1", 8080, false},
                                       {"https", "api.example.com", std::nullopt, false},
                                       {"http", "*.example.com", std::nullopt, false},
                                       {"http", "localhost", std::nullopt, true}}));
  EXPECT_TRUE(parse_ok("[[route]]\npath = \"/\"\ncomponent = \"a.wasm\"\n"
                       "allowed_outbound_hosts = []\n")
                  .routes[0]
                  .allowed_outbound_hosts.empty());
}

TEST(Manifest, RouteAllowedOutboundHostsProblems) {
  EXPECT_EQ(
      refused(R"([[route]]
path = "/a"
component = "a.wasm"
allowed_outbound_hosts = ["ftp://example.com", "https://example.com/api", 5, "http://localhost:0"]
)"),
      "/srv/app/witserve.toml:4:27: route.allowed_outbound_hosts: bad outbound host "
      "\"ftp://example.com\": the scheme must be \"http\", \"https\" or \"*\", not \"ftp\"\n"
      "/srv/app/witserve.toml:4:48: route.allowed_outbound_hosts: bad outbound host "
      "\"https://example.com/api\": no path allowed (only SCHEME://HOST[:PORT])\n"
      "/srv/app/witserve.toml:4:75: route.allowed_outbound_hosts entries must be strings like "
      "\"https://api.example.com\", not an integer\n"
      "/srv/app/witserve.toml:4:78: route.allowed_outbound_hosts: bad outbound host "
      "\"http://localhost:0\": the port must be a number from 1 to 65535, or \"*\"");
  EXPECT_EQ(refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\n"
                    "allowed_outbound_hosts = \"https://example.com\"\n"),
            "/srv/app/witserve.toml:4:26: route.allowed_outbound_hosts must be an array of "
            "strings, not a string");
  EXPECT_EQ(refused("[[route]]\npath = \"/a\"\ncomponent = \"a.wasm\"\n"
                    "allowed_outbound_host = [\"https://example.com\"]\n"),
            "/srv/app/witserve.toml:4:1: unknown key \"route.allowed_outbound_host\" (did you "
            "mean \"allowed_outbound_hosts\"?)");
}

TEST(OutboundHost, ParsesAndFormats) {
  struct Case {
    std::string_view text;
    OutboundHost rule;
    std::string_view formatted;
  };
  for (const Case& c : std::vector<Case>{
           {"http://127.0.0.1:8080", {"http", "127.0.0.1", 8080, false}, "http://127.0.0.1:8080"},
           {"https://api.example.com",
            {"https", "api.example.com", std::nullopt, false},
            "https://api.example.com"},
           {"http://*.example.com",
            {"http", "*.example.com", std::nullopt, false},
            "http://*.example.com"},
           {"http://localhost:*", {"http", "localhost", std::nullopt, true}, "http://localhost:*"},
           {"*://example.com", {"*", "example.com", std::nullopt, false}, "*://example.com"},
           {"*://*:*", {"*", "*", std::nullopt, true}, "*://*:*"},
           {"https://*", {"https", "*", std::nullopt, false}, "https://*"},
           {"HTTPS://API.Example.COM:443",
            {"https", "api.example.com", 443, false},
            "https://api.example.com:443"},
           {"https://example.com/", {"https", "example.com", std::nullopt, false},
            "https://example.com"},
           {"http://localhost:65535/", {"http", "localhost", 65535, false},
            "http://localhost:65535"},
           {"http://[::1]:8080", {"http", "::1", 8080, false}, "http://[::1]:8080"},
           {"http://[0:0:0:0:0:0:0:1]", {"http", "::1", std::nullopt, false}, "http://[::1]"},
           {"https://[2001:DB8::1]:*", {"https", "2001:db8::1", std::nullopt, true},
            "https://[2001:db8::1]:*"},
           {"http://a-b.c1.example:1", {"http", "a-b.c1.example", 1, false},
            "http://a-b.c1.example:1"},
       }) {
    auto r = parse_outbound_host(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message();
    EXPECT_EQ(*r, c.rule) << c.text;
    EXPECT_EQ(to_string(*r), c.formatted) << c.text;
    auto again = parse_outbound_host(to_string(*r));
    ASSERT_TRUE(again.ok()) << to_string(*r);
    EXPECT_EQ(*again, c.rule) << to_string(*r);
  }
}

TEST(OutboundHost, RefusesBadForms) {
  struct Case {
    std::string_view text, why;
  };
  constexpr std::string_view kWildcard =
      "a wildcard host is \"*\" or \"*.DOMAIN\", e.g. \"*.example.com\"";
  for (const Case& c : std::vector<Case>{
           {"example.com", "expected SCHEME://HOST[:PORT], e.g. \"https://api.example.com\""},
           {"ftp://example.com", "the scheme must be \"http\", \"https\" or \"*\", not \"ftp\""},
           {"://example.com", "the scheme must be \"http\", \"https\" or \"*\", not \"\""},
           {"https://example.com/api", "no path allowed (only SCHEME://HOST[:PORT])"},
           {"https://example.com//", "no path allowed (only SCHEME://HOST[:PORT])"},
           {"https://example.com?x=1", "no query allowed (only SCHEME://HOST[:PORT])"},
           {"https://example.com#top", "no fragment allowed (only SCHEME://HOST[:PORT])"},
           {"https://user:pw@example.com", "no user name or password allowed"},
           {"http://localhost:0", "the port must be a number from 1 to 65535, or \"*\""},
           {"http://localhost:70000", "the port must be a number from 1 to 65535, or \"*\""},
           {"http://localhost:65536", "the port must be a number from 1 to 65535, or \"*\""},
           {"http://localhost:", "the port must be a number from 1 to 65535, or \"*\""},
           {"http://localhost:+80", "the port must be a number from 1 to 65535, or \"*\""},
           {"http://localhost:8x", "the port must be a number from 1 to 65535, or \"*\""},
           {"http://", "no host (\"*\" allows any host)"},
           {"http://:80", "no host (\"*\" allows any host)"},
           {"http://::1", "an IPv6 address goes in brackets, e.g. \"http://[::1]:8080\""},
           {"http://[::1", "missing ']'"},
           {"http://[nothost]", "\"nothost\" is not an IPv6 address"},
           {"http://[::1]x", "expected [ADDRESS] or [ADDRESS]:PORT after the scheme"},
           {"http://*example.com", kWildcard},
           {"http://a.*.com", kWildcard},
           {"http://*.*.com", kWildcard},
           {"http://*.1.2.3.4",
            "\"1.2.3.4\" is not a domain name (\"*.\" must be followed by one)"},
           {"http://256.0.0.1", "\"256.0.0.1\" is not an IPv4 address"},
           {"http://127.1", "\"127.1\" is not an IPv4 address"},
           {"http://exa mple.com", "\"exa mple.com\" is not a host name or address"},
           {"http://-bad.com", "\"-bad.com\" is not a host name or address"},
           {"http://example.com.", "\"example.com.\" is not a host name or address"},
       }) {
    auto r = parse_outbound_host(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
    EXPECT_EQ(r.error().message(),
              "bad outbound host \"" + std::string(c.text) + "\": " + std::string(c.why));
  }
}

TEST(OutboundHost, Matching) {
  auto rules = [](std::initializer_list<std::string_view> texts) {
    std::vector<OutboundHost> out;
    for (std::string_view t : texts) {
      auto r = parse_outbound_host(t);
      EXPECT_TRUE(r.ok()) << t;
      if (r.ok()) out.push_back(*r);
    }
    return out;
  };

  EXPECT_FALSE(outbound_allowed({}, "http", "example.com", 80));  // nothing allowed by default

  // "*.suffix": any subdomain, however deep, but not the suffix itself.
  auto sub = rules({"http://*.example.com"});
  EXPECT_TRUE(outbound_allowed(sub, "http", "a.example.com", 80));
  EXPECT_TRUE(outbound_allowed(sub, "http", "a.b.example.com", 80));
  EXPECT_FALSE(outbound_allowed(sub, "http", "example.com", 80));
  EXPECT_FALSE(outbound_allowed(sub, "http", "badexample.com", 80));
  EXPECT_FALSE(outbound_allowed(sub, "http", "a.example.com.evil.net", 80));
  EXPECT_FALSE(outbound_allowed(sub, "http", "a.example.com", 8080));  // default port only
  EXPECT_FALSE(outbound_allowed(sub, "https", "a.example.com", 443));  // http only

  // ":*": any port.
  auto any_port = rules({"http://localhost:*"});
  EXPECT_TRUE(outbound_allowed(any_port, "http", "localhost", 1));
  EXPECT_TRUE(outbound_allowed(any_port, "http", "localhost", 80));
  EXPECT_TRUE(outbound_allowed(any_port, "http", "localhost", 65535));
  EXPECT_FALSE(outbound_allowed(any_port, "https", "localhost", 443));
  EXPECT_FALSE(outbound_allowed(any_port, "http", "127.0.0.1", 80));

  // No port: the scheme's default.
  auto https = rules({"https://api.example.com"});
  EXPECT_TRUE(outbound_allowed(https, "https", "api.example.com", 443));
  EXPECT_FALSE(outbound_allowed(https, "https", "api.example.com", 8443));
  EXPECT_FALSE(outbound_allowed(https, "http", "api.example.com", 80));
  EXPECT_FALSE(outbound_allowed(https, "http", "api.example.com", 443));
  auto http = rules({"http://example.com"});
  EXPECT_TRUE(outbound_allowed(http, "http", "example.com", 80));
  EXPECT_FALSE(outbound_allowed(http, "http", "example.com", 443));
  auto explicit_port = rules({"http://127.0.0.1:8080"});
  EXPECT_TRUE(outbound_allowed(explicit_port, "http", "127.0.0.1", 8080));
  EXPECT_FALSE(outbound_allowed(explicit_port, "http", "127.0.0.1", 80));
  EXPECT_FALSE(outbound_allowed(explicit_port, "http", "127.0.0.2", 8080));

  // Scheme "*": both, each with its own default port unless one is given.
  auto both = rules({"*://example.com"});
  EXPECT_TRUE(outbound_allowed(both, "http", "example.com", 80));
  EXPECT_TRUE(outbound_allowed(both, "https", "example.com", 443));
  EXPECT_FALSE(outbound_allowed(both, "http", "example.com", 443));
  EXPECT_FALSE(outbound_allowed(both, "https", "example.com", 80));
  auto both_8000 = rules({"*://example.com:8000"});
  EXPECT_TRUE(outbound_allowed(both_8000, "http", "example.com", 8000));
  EXPECT_TRUE(outbound_allowed(both_8000, "https", "example.com", 8000));
  EXPECT_FALSE(outbound_allowed(both_8000, "https", "example.com", 443));

  // Host names (and schemes) compare case-insensitively.
  auto mixed = rules({"https://API.Example.com", "http://*.Example.ORG"});
  EXPECT_TRUE(outbound_allowed(mixed, "https", "api.EXAMPLE.com", 443));
  EXPECT_TRUE(outbound_allowed(mixed, "HTTPS", "api.example.com", 443));
  EXPECT_TRUE(outbound_allowed(mixed, "http", "WWW.example.org", 80));

  // "*": any host, but only with the scheme and port given.
  auto any_host = rules({"https://*"});
  EXPECT_TRUE(outbound_allowed(any_host, "https", "anything.example", 443));
  EXPECT_TRUE(outbound_allowed(any_host, "https", "10.0.0.1", 443));
  EXPECT_FALSE(outbound_allowed(any_host, "http", "anything.example", 80));
  EXPECT_FALSE(outbound_allowed(any_host, "https", "anything.example", 8443));
  EXPECT_FALSE(outbound_allowed(any_host, "https", "", 443));

  // IPv6 addresses compare as addresses; brackets around the request host are tolerated.
  auto v6 = rules({"http://[::1]:8080"});
  EXPECT_TRUE(outbound_allowed(v6, "http", "::1", 8080));
  EXPECT_TRUE(outbound_allowed(v6, "http", "0:0:0:0:0:0:0:1", 8080));
  EXPECT_TRUE(outbound_allowed(v6, "http", "[::1]", 8080));
  EXPECT_FALSE(outbound_allowed(v6, "http", "::2", 8080));

  // Several rules: any one may allow; other schemes never.
  auto several = rules({"http://a.test", "https://b.test:8443"});
  EXPECT_TRUE(outbound_allowed(several, "http", "a.test", 80));
  EXPECT_TRUE(outbound_allowed(several, "https", "b.test", 8443));
  EXPECT_FALSE(outbound_allowed(several, "https", "a.test", 443));
  EXPECT_FALSE(outbound_allowed(rules({"*://*:*"}), "ftp", "a.test", 21));
  EXPECT_TRUE(outbound_allowed(rules({"*://*:*"}), "https", "a.test", 1));
}

TEST(ParseSize, UnitsAndErrors) {
  struct Case {
    std::string_view text;
    uint64_t bytes;
  };
  for (const Case& c : std::vector<Case>{{"1024", 1024},
                                         {"512B", 512},
                                         {"10KiB", 10240},
                                         {"64MiB", 67108864},
                                         {"1GiB", 1073741824},
                                         {"1KB", 1000},
                                         {"1MB", 1000000},
                                         {"2GB", 2000000000},
                                         {"10 MiB", 10485760}}) {
    auto r = parse_size(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message();
    EXPECT_EQ(*r, c.bytes) << c.text;
  }
  for (std::string_view bad : {"", "MiB", "0", "0MiB", "10mib", "1.5MiB", "-1", "10  MiB", "10 ",
                               " 10", "99999999999GiB"}) {
    auto r = parse_size(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::kInvalidArgument);
  }
  EXPECT_EQ(parse_size("0MiB").error().message(), "bad size \"0MiB\": must be greater than 0");
  EXPECT_EQ(parse_size("99999999999GiB").error().message(),
            "bad size \"99999999999GiB\": too large");
}

TEST(ParseDuration, UnitsAndErrors) {
  struct Case {
    std::string_view text;
    int64_t ms;
  };
  for (const Case& c : std::vector<Case>{{"500ms", 500},
                                         {"30s", 30000},
                                         {"2m", 120000},
                                         {"1h", 3600000},
                                         {"250", 250},
                                         {"1 s", 1000}}) {
    auto r = parse_duration(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message();
    EXPECT_EQ(r->count(), c.ms) << c.text;
  }
  for (std::string_view bad : {"", "s", "0s", "0", "1.5s", "3d", "30S", "-5s"}) {
    EXPECT_FALSE(parse_duration(bad).ok()) << bad;
  }
  EXPECT_EQ(parse_duration("3d").error().message(),
            "bad duration \"3d\": expected a number with a unit ms, s, m or h (no unit: ms), e.g. "
            "\"30s\"");
}

TEST(ListenAddress, ParsesAndFormats) {
  auto a = parse_listen_address("127.0.0.1:9090");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9090);
  EXPECT_EQ(a->to_string(), "127.0.0.1:9090");

  auto v6 = parse_listen_address("[::1]:8080");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  EXPECT_EQ(v6->to_string(), "[::1]:8080");

  EXPECT_EQ(*parse_listen_address("localhost:1"), (ListenAddress{"localhost", 1}));
  EXPECT_EQ(*parse_listen_address("0.0.0.0:65535"), (ListenAddress{"0.0.0.0", 65535}));
  EXPECT_EQ(*parse_listen_address("127.0.0.1:0"), (ListenAddress{"127.0.0.1", 0}));  // any free port
  EXPECT_EQ(*parse_listen_address("[::]:80"), (ListenAddress{"::", 80}));

  struct Case {
    std::string_view text, why;
  };
  for (const Case& c : std::vector<Case>{
           {"", "expected HOST:PORT, e.g. \"127.0.0.1:9090\""},
           {"127.0.0.1", "expected HOST:PORT, e.g. \"127.0.0.1:9090\""},
           {"127.0.0.1:65536", "the port must be a number from 0 to 65535"},
           {"127.0.0.1:80x", "the port must be a number from 0 to 65535"},
           {"127.0.0.1:+80", "the port must be a number from 0 to 65535"},
           {"127.0.0.1:", "the port must be a number from 0 to 65535"},
           {"::1:80", "an IPv6 address goes in brackets, e.g. \"[::1]:9090\""},
           {"[::1]", "expected [ADDRESS]:PORT, e.g. \"[::1]:9090\""},
           {"[::1:80", "missing ']'"},
           {"[nothost]:80", "\"nothost\" is not an IPv6 address"},
           {":80", "no host (\"0.0.0.0:PORT\" listens on every interface)"},
           {"my host:80", "\"my host\" is not a host name or address"},
       }) {
    auto r = parse_listen_address(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().message(),
              "bad listen address \"" + std::string(c.text) + "\": " + std::string(c.why));
  }
}

}  // namespace
}  // namespace witserve::manifest
