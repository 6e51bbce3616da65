// The manifest's handler state and configuration: [key_value_store.LABEL] tables (SQLite by
// default in the data directory, Redis by url or by the environment variable holding it, limits),
// a route's key_value_stores grants, and config values given as { env = "NAME" }.
#include <gtest/gtest.h>

#include "witserve/manifest/manifest.h"

namespace witserve::manifest {
namespace {

namespace fs = std::filesystem;
const fs::path kFile = "/srv/app/witserve.toml";

std::string refused(std::string_view text) {
  auto m = parse_manifest(text, kFile);
  if (m.ok()) return "(accepted)";
  EXPECT_EQ(m.error().kind(), ErrorKind::kInvalidArgument) << m.error().message();
  return m.error().message();
}

TEST(ManifestState, DefaultStoreIsSqliteInTheDataDirectory) {
  auto m = parse_manifest("[[route]]\npath = \"/\"\ncomponent = \"a.wasm\"\nkey_value_stores = [\"default\"]\n", kFile);
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_EQ(m->key_value_stores.size(), 1u);
  const auto& d = m->key_value_stores.at("default");
  EXPECT_EQ(d.type, KeyValueStoreConfig::Type::kSqlite);
  EXPECT_EQ(d.path, fs::path());  // DATA/key-value/default.sqlite, DATA as the server starts with
  EXPECT_EQ(d.max_key, 256u);
  EXPECT_EQ(d.max_value, kMiB);
  EXPECT_EQ(m->routes[0].key_value_stores, std::vector<std::string>{"default"});
}

TEST(ManifestState, DeclaredStores) {
  auto m = parse_manifest(
      "[server]\ndata_dir = \"/var/lib/ws\"\n"
      "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://10.0.0.1:6380/2\"\n"
      "[key_value_store.cache]\nurl = { env = \"CACHE_URL\" }\ntype = \"redis\"\nmax_value = \"4KiB\"\n"
      "[key_value_store.local]\nmax_key = 64\n"
      "[key_value_store.file]\npath = \"state/file.db\"\n"
      "[[route]]\npath = \"/\"\ncomponent = \"a.wasm\"\nkey_value_stores = [\"cache\", \"local\", \"cache\"]\n",
      kFile);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->key_value_stores.at("default").type, KeyValueStoreConfig::Type::kRedis);
  EXPECT_EQ(m->key_value_stores.at("default").url, "redis://10.0.0.1:6380/2");
  EXPECT_EQ(m->key_value_stores.at("cache").url_env, "CACHE_URL");
  EXPECT_EQ(m->key_value_stores.at("cache").max_value, 4096u);
  EXPECT_EQ(m->key_value_stores.at("local").max_key, 64u);
  EXPECT_EQ(m->key_value_stores.at("local").path, fs::path());
  EXPECT_EQ(m->key_value_stores.at("file").path, fs::path("/srv/app/state/file.db"));
  EXPECT_EQ(m->routes[0].key_value_stores, (std::vector<std::string>{"cache", "local"}));
}

TEST(ManifestState, StoreProblemsAreReportedWithTheirPositions) {
  std::string err = refused(
      "[key_value_store.r]\ntype = \"redis\"\n"               // 1-2: no url
      "[key_value_store.x]\ntype = \"memcached\"\n"           // 3-4
      "[key_value_store.y]\nurl = \"redis://h\"\nmax_value = 0\n"  // 5-7: url on sqlite, bad size
      "[key_value_store.z]\ntype = \"redis\"\nurl = \"http://h\"\n"  // 8-10
      "[[route]]\npath = \"/\"\ncomponent = \"a.wasm\"\nkey_value_stores = [\"r\", \"missing\", 3]\n");  // 11-14
  EXPECT_NE(err.find("witserve.toml:1:1: key_value_store.r is a redis store without a url"), std::string::npos) << err;
  EXPECT_NE(err.find(":4:8: key_value_store.x.type must be \"sqlite\" or \"redis\""), std::string::npos) << err;
  EXPECT_NE(err.find(":6:7: key_value_store.y.url is for redis stores"), std::string::npos) << err;
  EXPECT_NE(err.find(":7:13: key_value_store.y.max_value must be greater than 0"), std::string::npos) << err;
  EXPECT_NE(err.find(":10:7: key_value_store.z.url must start with redis://"), std::string::npos) << err;
  EXPECT_NE(err.find(":14:26: route.key_value_stores: no store \"missing\""), std::string::npos) << err;
  EXPECT_NE(err.find(":14:37: route.key_value_stores: a label must be a string, not an integer"), std::string::npos) << err;
}

TEST(ManifestState, ConfigValuesFromTheEnvironment) {
  auto m = parse_manifest(
      "[[route]]\npath = \"/\"\ncomponent = \"a.wasm\"\n[route.config]\nplain = \"v\"\nsecret = { env = \"API_KEY\" }\n",
      kFile);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->routes[0].config, (std::map<std::string, std::string>{{"plain", "v"}}));
  EXPECT_EQ(m->routes[0].config_env, (std::map<std::string, std::string>{{"secret", "API_KEY"}}));
  std::string err = refused("[[route]]\npath = \"/\"\ncomponent = \"a.wasm\"\n[route.config]\n"
                            "a = 1\nb = { env = \"NOT A NAME\" }\nc = { file = \"x\" }\n");  // lines 5-7
  EXPECT_NE(err.find(":5:5: route.config.a must be a string or { env = \"NAME\" }, not an integer"), std::string::npos) << err;
  EXPECT_NE(err.find(":6:13: route.config.b.env must name an environment variable"), std::string::npos) << err;
  EXPECT_NE(err.find(":7:5: route.config.c must be a string or { env = \"NAME\" }"), std::string::npos) << err;
}

}  // namespace
}  // namespace witserve::manifest
