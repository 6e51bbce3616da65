// The manifest keys of the server's lifetime and the admin listener's reach: server.shutdown_grace
// (a duration bounded like deadlines) and admin.allow_remote (a boolean). Pure parsing: any thread.
#include <gtest/gtest.h>

#include "witserve/manifest/manifest.h"

namespace witserve::manifest {
namespace {

using std::chrono::milliseconds;

TEST(ManifestLifetime, ShutdownGraceDefaultAndValue) {
  auto d = parse_manifest("", "/srv/witserve.toml");
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->server.shutdown_grace, milliseconds(10'000));
  EXPECT_FALSE(d->admin.allow_remote);

  auto m = parse_manifest("[server]\nshutdown_grace = \"250ms\"\n[admin]\nallow_remote = true\n", "/srv/witserve.toml");
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->server.shutdown_grace, milliseconds(250));
  EXPECT_TRUE(m->admin.allow_remote);
  auto n = parse_manifest("[server]\nshutdown_grace = 1500\n", "/srv/witserve.toml");
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_EQ(n->server.shutdown_grace, milliseconds(1500));
}

TEST(ManifestLifetime, BadValuesAreReportedWithTheirPosition) {
  auto m = parse_manifest(
      "[server]\n"
      "shutdown_grace = \"2h\"\n"
      "[admin]\n"
      "allow_remote = \"yes\"\n",
      "/srv/witserve.toml");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message(),
            "/srv/witserve.toml:2:18: server.shutdown_grace must be at most 1h\n"
            "/srv/witserve.toml:4:16: admin.allow_remote must be a boolean, not a string");
  EXPECT_FALSE(parse_manifest("[server]\nshutdown_grace = 0\n", "/srv/witserve.toml").ok());
}

}  // namespace
}  // namespace witserve::manifest
