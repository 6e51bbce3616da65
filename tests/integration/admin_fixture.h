// Integration-test support for the admin API: the Admin fixture (a server with manifest routes
// and an admin listener, and helpers to call it) and JSON helpers. One thread per fixture.
#pragma once

#include <nlohmann/json.hpp>

#include "witserve_process.h"

namespace witserve::itest {

using nlohmann::json;

inline constexpr std::string_view kV1 = "version 1\n", kV2 = "version 2\n";

// A query parameter value, percent-encoded (RFC 3986 unreserved characters and '/' and ':' as is).
inline std::string query_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : value) {
    if (std::isalnum(ch) || std::string_view("-._~/:").find(char(ch)) != std::string_view::npos) {
      out += char(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

inline json parse_json(const HttpResponse& r) {
  EXPECT_EQ(r.header("content-type"), "application/json") << r;
  json j = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
  return j;
}

class Admin : public WitserveTest {
 protected:
  // Manifest routes /m and /u/:id (echo), components up to 20 KiB (the test handlers are ~15 KiB).
  ServerProcess* start() {
    if (!fs::exists(dir() / "echo.wasm")) copy_handler("echo.wasm");
    return serve(write_manifest(admin_table("max_component = \"20KiB\"") +
                                "[[route]]\npath = \"/m\"\ncomponent = \"echo.wasm\"\n"
                                "[[route]]\npath = \"/u/:id\"\ncomponent = \"echo.wasm\"\n"));
  }
  HttpResponse admin(ServerProcess& s, std::string_view method, std::string_view target, std::string_view body = {},
                     const Headers& headers = bearer()) {
    return http_request(s.admin_port(), method, target, body, headers);
  }
  HttpResponse post(ServerProcess& s, std::string_view route, std::string_view component,
                    std::string_view extra_query = {}) {
    return admin(s, "POST", "/handler?route=" + query_encode(route) + std::string(extra_query), component);
  }
  json list(ServerProcess& s) {
    HttpResponse r = admin(s, "GET", "/handler");
    EXPECT_EQ(r.status, 200u) << r;
    return parse_json(r)["routes"];
  }
  static const json* find_route(const json& routes, std::string_view route) {
    for (const auto& r : routes)
      if (r["route"] == route) return &r;
    return nullptr;
  }

  std::string v1_ = read_file(test_handler("version-1.wasm"));
  std::string v2_ = read_file(test_handler("version-2.wasm"));
};

}  // namespace witserve::itest
