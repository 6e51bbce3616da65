// The manifest: values and defaults, path resolution, sizes, durations and listen addresses, and
// validation that reports every problem at once with its line and column.
#include "witserve/manifest/manifest.h"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace witserve::manifest {
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
      "/srv/app/witserve.toml:20:9: route.config.count must be a string, not an integer\n"
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
