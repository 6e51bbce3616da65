// The HTTP/1.1 server: Boost.Beast over Asio, one thread per core. Each worker thread owns an
// io_context, an SO_REUSEPORT acceptor on the shared address, its connections, and the request
// handler made for it on that thread (so a handler may own per-thread state such as an engine
// Store). Nothing here knows about WebAssembly.
//
// Limits: the request head (16 KiB) and body (ServerOptions::max_body) are bounded while reading;
// a request that does not arrive in time, or a connection idle past the keep-alive timeout, is
// closed. Malformed HTTP gets 400, an oversized body 413, and the connection is closed after them.
// A handler answers through its Responder, at once or later and from any thread (an execution
// thread, say): a whole Response, or a response streamed through Request::stream first.
//
// Threads: start() and stop() from one controlling thread; handlers are called on the worker
// (I/O) threads; a Responder, and the stream of its request, may be used from any one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "witserve/base/result.h"

namespace witserve::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Lets a handler send its response while it runs instead of filling Response: send_head once,
// then write any number of times, then finish. The body goes chunked unless a content length is
// given. Writes block the calling thread (the worker thread, or the execution thread the handler
// was handed to), each bounded by the write timeout; a failed write (the client went away, or
// stopped reading) is an Error. If the head went out but finish did not, the connection is closed
// once the Responder is done, so the client sees a truncated body.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual Status send_head(uint16_t status, const std::vector<std::pair<std::string, std::string>>& headers,
                           std::optional<uint64_t> content_length) = 0;
  virtual Status write(std::span<const uint8_t> data) = 0;
  virtual Status finish() = 0;
  virtual bool started() const = 0;
  // No write waits past `at` (the handler's deadline): a client that stops reading cannot hold
  // the handler longer than its deadline, nor longer than ServerOptions::write_timeout per write.
  virtual void set_deadline(std::chrono::steady_clock::time_point at) = 0;
};

struct Request {
  std::string method;
  std::string target;  // path and query as received
  Headers headers;     // in the order received, names as sent
  std::vector<uint8_t> body;
  ResponseStream* stream = nullptr;  // valid until the request's Responder has sent
};

struct Response {
  uint16_t status = 200;
  Headers headers;  // content-length is set by the server; handlers must not send framing headers
  std::vector<uint8_t> body;
  bool close = false;  // close the connection after this response
};

// How a handler answers one request: exactly once, from any thread, now or later. send() hands
// the response to the connection's worker thread (a post to its event loop; no wait), which
// writes it. When the handler streamed its response (Request::stream), the Response given to
// send() is ignored and send() only says that the handler is done with the stream. A Responder
// destroyed without send() answers 500 (or cuts a stream that was not finished). While a request
// has a Responder, its connection reads nothing more, and the server's event loop keeps running.
class Responder {
 public:
  struct State;  // server.cc
  Responder() = default;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void send(Response&& response);
  explicit operator bool() const { return state_ != nullptr; }

 private:
  std::shared_ptr<State> state_;
};

// Answers one request. Called on the connection's worker thread; it may answer there (fast
// handlers) or hand the request and its Responder to another thread (handlers that may block).
// An exception out of it answers 500 if the Responder was not moved elsewhere.
using Handler = std::function<void(Request&& request, Responder responder)>;
// A handler that answers synchronously, on the worker thread, by filling Response.
using SyncHandler = std::function<void(Request& request, Response& response)>;
// The Handler that runs `handler` on the worker thread and sends what it filled.
Handler inline_handler(SyncHandler handler);
// Called once on each worker thread as it starts (index 0..threads-1), to make its handler.
using HandlerFactory = std::function<Result<Handler>(unsigned worker)>;
// Looks at a request's head (method, target, headers; no body, no stream) on its worker thread
// as soon as it has arrived, before the body is read. Returning true answers the request with
// `response` (e.g. a 401): it is sent at once, the body is never read, and the connection is
// closed after it. Returning false lets the request go on as usual.
using HeadCheck = std::function<bool(const Request& head, Response& response)>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 9090;  // 0: any free port (see Server::port())
  unsigned threads = 0;  // 0: one per core
  uint64_t max_body = 10 << 20;
  std::chrono::milliseconds read_timeout{30'000};  // for a whole request once it has started
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive connections waiting for a request
  std::chrono::milliseconds write_timeout{10'000};  // a client taking none of a response's bytes
  std::string name = "http";                       // for log lines
  HeadCheck on_head;                               // optional
};

class Server {
 public:
  // Binds, starts the workers and returns once every worker has made its handler; an address
  // that cannot be bound or a handler factory failing is an Error.
  static Result<std::unique_ptr<Server>> start(ServerOptions options, HandlerFactory factory);
  ~Server();  // stop()s

  uint16_t port() const;     // the bound port
  unsigned threads() const;  // the number of workers

  // Graceful shutdown: stops accepting, lets requests in flight finish, closes idle connections,
  // and returns when every worker thread has ended. Past `grace`, open connections are cut and
  // `overdue` is called (once, on this thread) to make handlers still running return.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(10'000),
            const std::function<void()>& overdue = {});

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The status a handler may answer with: a final status, 200..999 (1xx are interim responses the
// server does not let handlers send).
bool valid_status(unsigned status);
// Statuses whose responses have no body (RFC 9110 6.4.1): 1xx, 204 and 304. A body a handler
// gives them is dropped, and no Content-Length is sent with 1xx and 204.
bool status_has_no_body(unsigned status);
// The most a response head (status line and header fields) may take.
constexpr size_t kMaxResponseHead = 64 * 1024;
// Checks a handler's response head: a valid final status, valid field names and values, and at
// most kMaxResponseHead bytes in all. The error says what is wrong.
Status check_response_head(unsigned status, const Headers& headers);
// An HTTP field name (RFC 9110 token) and field value (base/http_fields.h).
bool valid_field_name(std::string_view name);
bool valid_field_value(std::string_view value);

}  // namespace witserve::http
