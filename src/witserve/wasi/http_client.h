// The HTTP/1.1 client behind wasi:http/outgoing-handler: one request, sent and read whole with
// Beast on a private io_context, every step bounded by the caller's deadline and timeouts.
// Failures are named by wasi:http error-code cases. Plain http only. Any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "witserve/wasi/context.h"
#include "witserve/wasi/http.h"

namespace witserve::wasi {

struct ClientRequest {
  std::string host;  // without brackets
  uint16_t port = 80;
  std::string method = "GET";
  std::string target = "/";
  std::string authority;  // the Host header
  FieldList headers;
  std::vector<uint8_t> body;
  Clock::time_point deadline = Clock::time_point::max();
  std::optional<std::chrono::nanoseconds> connect_timeout, first_byte_timeout;
  uint64_t max_body = 64 << 20;
};

struct ClientResponse {
  uint16_t status = 0;
  FieldList headers;
  std::vector<uint8_t> body;
};

struct ClientError {
  std::string code;  // an error-code case, e.g. "connection-refused"
  std::string detail;
};

std::variant<ClientResponse, ClientError> fetch(const ClientRequest& request);

}  // namespace witserve::wasi
