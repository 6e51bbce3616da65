// The C SDK's helpers (sdk/c/witserve.h) in a real handler on a real server
// (tests/handlers/sdk-helpers.c): query parameters percent-decoded, JSON string escaping, and the
// answer-at-once helpers with their content types.
#include <nlohmann/json.hpp>

#include "witserve_process.h"

namespace witserve::itest {
namespace {

using json = nlohmann::json;

class CSdk : public WitserveTest {
 protected:
  void SetUp() override {
    copy_handler("sdk-helpers.wasm");
    server_ = serve_text("[[route]]\npath = \"/...\"\ncomponent = \"sdk-helpers.wasm\"\n");
  }
  json query(const std::string& target) {
    HttpResponse r = HttpClient(server_->port()).get(target);
    EXPECT_EQ(r.status, 200u) << target;
    EXPECT_EQ(r.header("content-type"), "application/json") << target;
    return json::parse(r.body, nullptr, false);
  }
  ServerProcess* server_ = nullptr;
};

TEST_F(CSdk, QueryParametersArePercentDecoded) {
  ASSERT_TRUE(server_);
  json j = query("/query?city=Z%C3%BCrich&name=a%20b%2Bc+d");
  EXPECT_EQ(j["name"], "a b+c d");
  EXPECT_EQ(j["city"], "Zürich");
  j = query("/query?x=1&name=&city");
  EXPECT_EQ(j["name"], "");
  EXPECT_EQ(j["city"], "");
  j = query("/query?names=no&xname=no&name=first&name=second");
  EXPECT_EQ(j["name"], "first");  // whole names only; the first of several
  EXPECT_TRUE(j["city"].is_null());
  j = query("/query");
  EXPECT_TRUE(j["name"].is_null());
  j = query("/query?name=100%25%zz%4");  // a malformed escape stays as it is
  EXPECT_EQ(j["name"], "100%%zz%4");
}

TEST_F(CSdk, JsonStringsAreEscaped) {
  ASSERT_TRUE(server_);
  // Quotes, backslashes, newlines, tabs and other control characters survive a JSON round trip.
  json j = query("/query?name=%22q%22%5C%0Aline%09tab%01end");
  EXPECT_EQ(j["name"], "\"q\"\\\nline\ttab\x01" "end");
}

TEST_F(CSdk, TextAnswersCarryTheirStatusAndType) {
  ASSERT_TRUE(server_);
  HttpClient c(server_->port());
  HttpResponse r = c.get("/status?code=418");
  EXPECT_EQ(r.status, 418u);
  EXPECT_EQ(r.header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body, "status 418\n");
  r = c.get("/elsewhere");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, "no such test path\n");
}

}  // namespace
}  // namespace witserve::itest
