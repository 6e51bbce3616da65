// The outgoing HTTP client (http_client.h).
#include "witserve/wasi/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>

namespace witserve::wasi {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::variant<ClientResponse, ClientError> fetch(const ClientRequest& r) {
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::vector_body<uint8_t>> req;
  bhttp::response_parser<bhttp::vector_body<uint8_t>> parser;
  parser.body_limit(r.max_body);
  parser.header_limit(64 * 1024);

  req.method_string(r.method);
  req.target(r.target);
  req.version(11);
  req.set(bhttp::field::host, r.authority);
  for (const auto& [n, v] : r.headers)
    if (n != "host" && n != "content-length") req.insert(n, v);
  req.body() = r.body;
  req.keep_alive(false);
  req.prepare_payload();

  auto left = [&](std::optional<std::chrono::nanoseconds> limit) {
    auto d = r.deadline == Clock::time_point::max() ? std::chrono::nanoseconds(std::chrono::seconds(30))
                                                    : std::chrono::nanoseconds(r.deadline - Clock::now());
    if (limit && *limit < d) d = *limit;
    return std::max(d, std::chrono::nanoseconds(1'000'000));
  };

  std::optional<ClientError> failed;
  auto fail = [&](std::string code, const beast::error_code& ec) {
    if (!failed) failed = ClientError{std::move(code), ec.message()};
  };
  auto timed_out = [](const beast::error_code& ec) { return ec == beast::error::timeout; };

  resolver.async_resolve(r.host, std::to_string(r.port), [&](beast::error_code ec, tcp::resolver::results_type eps) {
    if (ec) return fail(ec == asio::error::host_not_found ? "destination-not-found" : "DNS-error", ec);
    stream.expires_after(left(r.connect_timeout));
    stream.async_connect(eps, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) {
        if (timed_out(ec)) return fail("connection-timeout", ec);
        if (ec == asio::error::connection_refused) return fail("connection-refused", ec);
        return fail("destination-unavailable", ec);
      }
      stream.expires_after(left(std::nullopt));
      bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
        if (ec) return fail(timed_out(ec) ? "connection-write-timeout" : "connection-terminated", ec);
        stream.expires_after(left(r.first_byte_timeout));
        bhttp::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) {
          if (!ec) return;
          if (timed_out(ec)) return fail("HTTP-response-timeout", ec);
          if (ec == bhttp::error::body_limit) return fail("HTTP-response-body-size", ec);
          if (ec == bhttp::error::header_limit) return fail("HTTP-response-header-section-size", ec);
          if (ec == bhttp::error::partial_message || ec == asio::error::eof || ec == bhttp::error::end_of_stream)
            return fail("HTTP-response-incomplete", ec);
          return fail("HTTP-protocol-error", ec);
        });
      });
    });
  });
  ioc.run();
  if (failed) return *failed;
  auto msg = parser.release();
  ClientResponse out;
  out.status = uint16_t(msg.result_int());
  for (const auto& f : msg) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    if (name == "transfer-encoding" || name == "connection" || name == "keep-alive") continue;
    out.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  out.body = std::move(msg.body());
  return out;
}

}  // namespace witserve::wasi
