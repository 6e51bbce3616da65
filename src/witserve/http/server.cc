// Beast sessions and per-thread acceptors (see server.h). Each Worker is touched only by its own
// thread, except for the posts that start and stop it and the posts of Responders that answer
// from other threads.
#include "witserve/http/server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "witserve/base/http_fields.h"
#include "witserve/base/log.h"

namespace witserve::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using BeastRequest = bhttp::request<bhttp::vector_body<uint8_t>>;
using BeastResponse = bhttp::response<bhttp::vector_body<uint8_t>>;

constexpr uint32_t kHeaderLimit = 16 * 1024;

Response internal_error() {
  Response r;
  r.status = 500;
  r.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  static constexpr std::string_view kText = "internal server error\n";
  r.body.assign(kText.begin(), kText.end());
  r.close = true;
  return r;
}

struct Worker;

// The ResponseStream of one request: blocking writes on the session's socket, each waiting at
// most `timeout` for the client to take the bytes, and never past the handler's deadline. Used by
// one thread at a time: the worker thread or the thread the request was handed to (the session
// does nothing with its socket while the request's Responder is out).
class SyncResponseStream final : public ResponseStream {
 public:
  SyncResponseStream(tcp::socket& socket, unsigned version, bool head, bool keep_alive,
                     std::chrono::milliseconds timeout)
      : socket_(socket), version_(version), head_(head), keep_alive_(keep_alive), timeout_(timeout) {}

  Status send_head(uint16_t status, const Headers& headers, std::optional<uint64_t> content_length) override {
    if (started_) return Error(ErrorKind::kInvalidArgument, "the response head was sent already");
    WITSERVE_TRY(check_response_head(status, headers));
    started_ = true;
    std::string head;
    try {
      bhttp::response<bhttp::empty_body> res;
      res.result(status);
      res.version(version_);
      for (const auto& [name, value] : headers) res.insert(name, value);
      if (status_has_no_body(status)) {
        bodiless_ = true;  // whatever body the handler writes is dropped
        if (status == 304 && content_length) res.content_length(*content_length);
      } else if (content_length) {
        res.content_length(*content_length);
      } else if (version_ >= 11) {
        chunked_ = true, res.chunked(true);
      } else {
        keep_alive_ = false;  // HTTP/1.0 has no chunked coding: the body ends with the connection
      }
      res.keep_alive(keep_alive_);
      std::ostringstream out;
      out << res.base();
      head = out.str();
    } catch (const std::exception& e) {
      failed_ = true;
      return Error(ErrorKind::kInvalidArgument, std::string("invalid response head: ") + e.what());
    }
    return send(head);
  }

  void set_deadline(std::chrono::steady_clock::time_point at) override { deadline_ = at; }

  Status write(std::span<const uint8_t> data) override {
    if (!started_ || finished_) return Error(ErrorKind::kInvalidArgument, "no response body is open");
    if (head_ || bodiless_ || data.empty()) return ok();
    std::string out;
    if (chunked_) {
      char size[20];
      int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
      out.append(size, size_t(n));
    }
    out.append(reinterpret_cast<const char*>(data.data()), data.size());
    if (chunked_) out += "\r\n";
    return send(out);
  }

  Status finish() override {
    if (!started_ || finished_) return Error(ErrorKind::kInvalidArgument, "no response body is open");
    finished_ = true;
    if (head_ || bodiless_ || !chunked_) return ok();
    return send("0\r\n\r\n");
  }

  bool started() const override { return started_; }
  bool finished() const { return finished_ && !failed_; }
  bool keep_alive() const { return keep_alive_; }

 private:
  Status send(std::string_view bytes) {
    if (failed_) return Error(ErrorKind::kIo, "the connection failed earlier");
    beast::error_code ec;
    socket_.non_blocking(true, ec);
    auto until = std::min(std::chrono::steady_clock::now() + timeout_, deadline_);
    while (!bytes.empty()) {
      size_t n = socket_.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        pollfd p{socket_.native_handle(), POLLOUT, 0};
        if (left.count() <= 0 || ::poll(&p, 1, int(left.count())) <= 0) {
          failed_ = true;
          return Error(ErrorKind::kIo, "the client did not read the response in time");
        }
        continue;
      }
      if (ec) {
        failed_ = true;
        return Error(ErrorKind::kIo, "writing the response: " + ec.message());
      }
      bytes.remove_prefix(n);
    }
    return ok();
  }

  tcp::socket& socket_;
  unsigned version_;
  bool head_;
  bool keep_alive_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  bool started_ = false, chunked_ = false, finished_ = false, failed_ = false, bodiless_ = false;
};

class PendingResponse;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Worker& worker, tcp::socket socket);
  ~Session();
  void start() { read_request(); }
  // Shutdown: close now if waiting for a request; otherwise close after the current response.
  void shutdown();
  // The handler is done with the request (its Responder sent): write `r` unless it streamed.
  void on_handled(Response&& r, SyncResponseStream& stream);
  // A Responder sending on this session's thread while the handler is still being called: the
  // answer is taken as soon as the call returns, without a post. False otherwise.
  bool answer_inline(PendingResponse* from, Response& r) {
    if (calling_ != from) return false;
    answered_ = std::move(r);
    return true;
  }

 private:
  void read_request();
  void on_header(beast::error_code ec);
  void on_body(beast::error_code ec);
  void respond(Response&& r, bool keep_alive);
  bool head_ = false;  // the request being answered is a HEAD: send the length, not the body
  void fail_request(unsigned status, std::string_view why);
  void close();

  Worker& worker_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::vector_body<uint8_t>>> parser_;
  std::shared_ptr<BeastResponse> out_;
  bool reading_ = false;
  bool closing_ = false;
  bool request_keep_alive_ = false;   // the request being answered asked to keep the connection
  PendingResponse* calling_ = nullptr;  // the handler is being called for this one
  std::optional<Response> answered_;    // its answer, when it came during the call
};

struct Worker {
  unsigned index = 0;
  const ServerOptions* options = nullptr;
  std::unordered_set<Session*> sessions;  // declared before ioc: outlives the sessions it holds
  asio::io_context ioc{1};
  std::optional<tcp::acceptor> acceptor;
  Handler handler;  // made, used and destroyed on the worker's thread
  bool stopping = false;
  std::atomic<bool> done{false};
  std::thread thread;
  // Accept failures (out of file descriptors, say) back off instead of spinning, and are logged
  // at most once per kAcceptReport with how many there were.
  asio::steady_timer accept_retry{ioc};
  uint64_t accept_failures = 0;
  std::chrono::steady_clock::time_point accept_reported{};
  static constexpr std::chrono::seconds kAcceptReport{10};

  void accept() {
    acceptor->async_accept([this](beast::error_code ec, tcp::socket socket) {
                             if (ec) {
                               if (ec == asio::error::operation_aborted || stopping) return;
                               return accept_failed(ec);
                             }
                             beast::error_code ignored;
                             socket.set_option(tcp::no_delay(true), ignored);
                             std::make_shared<Session>(*this, std::move(socket))->start();
                             if (!stopping) accept();
                           });
  }

  void accept_failed(beast::error_code ec) {
    ++accept_failures;
    auto now = std::chrono::steady_clock::now();
    if (now - accept_reported >= kAcceptReport) {
      spdlog::warn("{}: accept failed: {} ({} time{} since the last report; retrying with a back-off)", options->name,
                   ec.message(), accept_failures, accept_failures == 1 ? "" : "s");
      accept_failures = 0;
      accept_reported = now;
    }
    // Resource exhaustion lasts a while: wait before trying again. Others (a connection reset
    // before it was accepted) are retried at once.
    bool exhausted = ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
                     ec == asio::error::no_memory || ec.value() == ENFILE;
    if (!exhausted) return accept();
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](beast::error_code ec) {
      if (!ec && !stopping) accept();
    });
  }

  void begin_stop() {
    stopping = true;
    beast::error_code ignored;
    if (acceptor) acceptor->close(ignored);
    accept_retry.cancel();
    // Copy: shutdown() may destroy sessions.
    std::vector<Session*> open(sessions.begin(), sessions.end());
    for (Session* s : open)
      if (sessions.count(s)) s->shutdown();
  }
};

}  // namespace

// What a Responder holds: the session waiting for the answer and the request's stream.
struct Responder::State {
  virtual ~State() = default;
  virtual void complete(Response&& response) = 0;
};

namespace {

// One request's Responder state. It keeps the worker's event loop running (a work guard) until
// the answer has been posted to it.
class PendingResponse final : public Responder::State, public std::enable_shared_from_this<PendingResponse> {
 public:
  PendingResponse(std::shared_ptr<Session> session, asio::io_context& ioc, tcp::socket& socket, unsigned version,
                  bool head, bool keep_alive, std::chrono::milliseconds timeout)
      : session_(std::move(session)),
        stream_(socket, version, head, keep_alive, timeout),
        guard_(asio::make_work_guard(ioc)) {}
  SyncResponseStream& stream() { return stream_; }

  void complete(Response&& response) override {
    auto executor = guard_.get_executor();
    // On the session's own thread (a handler that answered during its call): no post.
    if (executor.running_in_this_thread() && session_->answer_inline(this, response)) return guard_.reset();
    asio::post(executor, [self = shared_from_this(), r = std::move(response)]() mutable {
      self->session_->on_handled(std::move(r), self->stream_);
    });
    guard_.reset();
  }

 private:
  std::shared_ptr<Session> session_;
  SyncResponseStream stream_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
};

Session::Session(Worker& worker, tcp::socket socket) : worker_(worker), stream_(std::move(socket)) {
  worker_.sessions.insert(this);
}
Session::~Session() { worker_.sessions.erase(this); }

void Session::shutdown() {
  closing_ = true;
  if (reading_) close();
}

void Session::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

void Session::read_request() {
  if (closing_ || worker_.stopping) return close();
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(worker_.options->max_body);
  reading_ = true;
  stream_.expires_after(buffer_.size() ? worker_.options->read_timeout : worker_.options->idle_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
}

void Session::on_header(beast::error_code ec) {
  if (ec == bhttp::error::body_limit) return fail_request(413, "request body over the size limit");
  if (ec == bhttp::error::header_limit) return fail_request(431, "request header fields too large");
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::eof || (ec && closing_)) {
    reading_ = false;
    return close();
  }
  if (ec) return fail_request(400, ec.message());
  // The head is in: the body (if any) must follow within the read timeout.
  stream_.expires_after(worker_.options->read_timeout);
  auto& req = parser_->get();
  // A Transfer-Encoding that does not end in chunked leaves the body's length unknowable: refuse
  // it rather than read the body as the next request (RFC 9112, 6.3).
  if (req.find(bhttp::field::transfer_encoding) != req.end() && !parser_->chunked())
    return fail_request(400, "Transfer-Encoding without chunked as the final coding");
  // Exactly one Host in HTTP/1.1, at most one in 1.0 (RFC 9112 3.2).
  size_t hosts = req.count(bhttp::field::host);
  if (hosts > 1 || (hosts == 0 && req.version() >= 11))
    return fail_request(400, hosts ? "more than one Host header" : "no Host header");
  if (worker_.options->on_head) {
    // Answered from the head alone (e.g. refused before a large body is read): the body stays
    // unread, so the connection cannot carry another request.
    Request head;
    head.method = std::string(req.method_string());
    head.target = std::string(req.target());
    for (const auto& f : req) head.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    Response early;
    if (worker_.options->on_head(head, early)) {
      reading_ = false;
      head_ = req.method() == bhttp::verb::head;
      return respond(std::move(early), false);
    }
  }
  if (auto it = req.find(bhttp::field::expect); it != req.end()) {
    if (!beast::iequals(it->value(), "100-continue")) return fail_request(417, "unsupported Expect");
    // The client waits for permission before sending the body.
    auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, req.version());
    bhttp::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code ec, size_t) {
      if (ec) return self->close();
      bhttp::async_read(self->stream_, self->buffer_, *self->parser_,
                        [self](beast::error_code ec, size_t) { self->on_body(ec); });
    });
    return;
  }
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
}

void Session::on_body(beast::error_code ec) {
  reading_ = false;
  if (ec == bhttp::error::body_limit) return fail_request(413, "request body over the size limit");
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted || ec == bhttp::error::end_of_stream ||
      ec == asio::error::connection_reset || ec == asio::error::eof) {
    // The head arrived, the body did not: the request is dropped unanswered.
    spdlog::debug("{}: {} {}: the body did not arrive ({})", worker_.options->name,
                  std::string(parser_->get().method_string()), std::string(parser_->get().target()), ec.message());
    return close();
  }
  if (ec) return fail_request(400, ec.message());

  BeastRequest msg = parser_->release();
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  // Absolute form ("http://host/path?q", RFC 9112 3.2.2): handlers see the origin form.
  if (!req.target.empty() && req.target[0] != '/') {
    if (auto scheme = req.target.find("://"); scheme != std::string::npos) {
      auto path = req.target.find('/', scheme + 3);
      req.target = path == std::string::npos ? "/" : req.target.substr(path);
    }
  }
  req.headers.reserve(std::distance(msg.begin(), msg.end()));
  for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  req.body = std::move(msg.body());
  request_keep_alive_ = msg.keep_alive();
  head_ = msg.method() == bhttp::verb::head;

  bool keep = request_keep_alive_ && !closing_ && !worker_.stopping;
  auto pending = std::make_shared<PendingResponse>(shared_from_this(), worker_.ioc, stream_.socket(), msg.version(),
                                                   head_, keep, worker_.options->write_timeout);
  req.stream = &pending->stream();
  calling_ = pending.get();
  // The exception boundary of a request: nothing a handler throws reaches the event loop. The
  // Responder, unless the handler moved it elsewhere, answers 500 as it goes.
  try {
    worker_.handler(std::move(req), Responder(pending));
  } catch (const std::exception& e) {
    spdlog::error("{}: {} {}: internal error: {}", worker_.options->name, std::string(msg.method_string()),
                  std::string(msg.target()), e.what());
  } catch (...) {
    spdlog::error("{}: {} {}: internal error (a non-standard exception)", worker_.options->name,
                  std::string(msg.method_string()), std::string(msg.target()));
  }
  calling_ = nullptr;
  if (answered_) {
    Response r = std::move(*answered_);
    answered_.reset();
    on_handled(std::move(r), pending->stream());
  }
}

void Session::on_handled(Response&& res, SyncResponseStream& stream) {
  if (stream.started()) {
    head_ = false;
    if (stream.finished() && stream.keep_alive() && !closing_ && !worker_.stopping) return read_request();
    return close();
  }
  respond(std::move(res), request_keep_alive_ && !res.close);
}

void Session::fail_request(unsigned status, std::string_view why) {
  reading_ = false;
  head_ = false;
  spdlog::debug("{}: bad request ({}): {}", worker_.options->name, status, why);
  Response res;
  res.status = uint16_t(status);
  res.headers.emplace_back("content-type", "text/plain; charset=utf-8");
  std::string body = std::string(why) + "\n";
  res.body.assign(body.begin(), body.end());
  respond(std::move(res), false);
}

void Session::respond(Response&& r, bool keep_alive) {
  if (Status st = check_response_head(r.status, r.headers); !st.ok()) {
    spdlog::error("{}: refusing to send an invalid response: {}", worker_.options->name, st.error().message());
    r = internal_error();
  }
  if (status_has_no_body(r.status) && !r.body.empty()) {
    spdlog::warn("{}: a {} response has no body; dropped the {} bytes given", worker_.options->name, r.status,
                 r.body.size());
    r.body.clear();
  }
  out_ = std::make_shared<BeastResponse>();
  try {
    out_->result(r.status);
    out_->version(11);
    for (auto& [name, value] : r.headers) out_->insert(name, value);
    out_->body() = std::move(r.body);
    if (closing_ || worker_.stopping) keep_alive = false;
    out_->keep_alive(keep_alive);
    if (r.status == 304 || (r.status >= 100 && r.status < 200) || r.status == 204) {
      // No body and no Content-Length (RFC 9110 8.6: never with 1xx or 204).
    } else {
      out_->prepare_payload();
    }
  } catch (const std::exception& e) {
    spdlog::error("{}: cannot serialise a response: {}", worker_.options->name, e.what());
    out_ = std::make_shared<BeastResponse>(bhttp::status::internal_server_error, 11);
    keep_alive = false;
    out_->keep_alive(false);
    out_->prepare_payload();
  }
  if (head_) {
    out_->body().clear();  // Content-Length stays that of the body a GET would get
    head_ = false;
  }
  stream_.expires_after(worker_.options->read_timeout);
  bhttp::async_write(stream_, *out_, [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
    self->out_.reset();
    if (ec || !keep_alive) return self->close();
    self->read_request();
  });
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  std::vector<std::unique_ptr<Worker>> workers;
  uint16_t port = 0;
  bool stopped = false;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { stop(); }
uint16_t Server::port() const { return impl_->port; }
unsigned Server::threads() const { return unsigned(impl_->workers.size()); }

Result<std::unique_ptr<Server>> Server::start(ServerOptions options, HandlerFactory factory) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  const ServerOptions& opt = impl->options;
  unsigned n = opt.threads ? opt.threads : std::max(1u, std::thread::hardware_concurrency());

  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(opt.host, ec);
  if (ec) {
    // A host name: listen on its first address.
    asio::io_context resolve_ctx;
    tcp::resolver resolver(resolve_ctx);
    auto found = resolver.resolve(opt.host, "", ec);
    if (ec || found.empty())
      return Error(ErrorKind::kInvalidArgument, "cannot resolve listen host '" + opt.host + "': " + ec.message());
    address = found.begin()->endpoint().address();
    ec.clear();
  }
  uint16_t port = opt.port;
  if (port != 0) {
    // The workers share the port through SO_REUSEPORT, which would also let them join a port
    // another server (of this user) listens on: check first that it is free.
    asio::io_context probe_ctx;
    tcp::acceptor probe(probe_ctx);
    tcp::endpoint ep(address, port);
    probe.open(ep.protocol(), ec);
    if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(ep, ec);
    if (ec)
      return Error(ErrorKind::kIo, fmt::format("{}: cannot listen on {}:{}: {}", opt.name, opt.host, port, ec.message()));
  }
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    w->options = &impl->options;
    tcp::endpoint ep(address, port);
    w->acceptor.emplace(w->ioc);
    auto& a = *w->acceptor;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) a.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Error(ErrorKind::kIo, fmt::format("{}: cannot listen on {}:{}: {}", opt.name, opt.host, port, ec.message()));
    port = a.local_endpoint().port();  // the first acceptor picks the port when 0 was asked for
    impl->workers.push_back(std::move(w));
  }
  impl->port = port;

  // Start the threads; each makes its handler, then reports.
  std::mutex mu;
  std::condition_variable cv;
  unsigned ready = 0;
  std::vector<std::string> failures;
  for (auto& wp : impl->workers) {
    Worker* w = wp.get();
    w->thread = std::thread([w, &factory, &mu, &cv, &ready, &failures] {
      auto handler = factory(w->index);
      {
        std::lock_guard lock(mu);
        if (handler.ok()) w->handler = std::move(*handler);
        else failures.push_back(handler.error().message());
        ++ready;
      }
      cv.notify_all();
      if (w->handler) {
        w->accept();
        // The last line of defence: an exception out of a completion handler ends that
        // handler's work, not the worker.
        for (;;) {
          try {
            w->ioc.run();
            break;
          } catch (const std::exception& e) {
            spdlog::error("{}: worker {}: internal error in the event loop: {}", w->options->name, w->index, e.what());
          } catch (...) {
            spdlog::error("{}: worker {}: internal error in the event loop", w->options->name, w->index);
          }
        }
      }
      w->handler = nullptr;
      w->done = true;
    });
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ready == impl->workers.size(); });
  }
  auto server = std::unique_ptr<Server>(new Server(std::move(impl)));
  if (!failures.empty()) {
    server->stop();
    return Error(ErrorKind::kInternal, "worker setup failed: " + failures.front());
  }
  spdlog::info("{}: listening on http://{}:{} with {} thread{}", opt.name, opt.host, port, n, n == 1 ? "" : "s");
  return server;
}

void Server::stop(std::chrono::milliseconds grace, const std::function<void()>& overdue) {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& w : impl_->workers) asio::post(w->ioc, [w = w.get()] { w->begin_stop(); });
  auto deadline = std::chrono::steady_clock::now() + grace;
  bool called = false;
  for (auto& w : impl_->workers) {
    // Past the grace period, connections still open are cut, and handlers still running are
    // told to stop (`overdue`).
    while (!w->done && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    w->ioc.stop();
    if (!w->done && overdue && !called) {
      called = true;
      overdue();
    }
    if (w->thread.joinable()) w->thread.join();
  }
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (state_) state_->complete(internal_error());
    state_ = std::move(other.state_);
  }
  return *this;
}

Responder::~Responder() {
  if (state_) state_->complete(internal_error());
}

void Responder::send(Response&& response) {
  if (auto state = std::move(state_)) state->complete(std::move(response));
}

Handler inline_handler(SyncHandler handler) {
  return [handler = std::move(handler)](Request&& request, Responder responder) {
    Response response;
    handler(request, response);
    responder.send(std::move(response));
  };
}

namespace {
// A short, printable rendering of text from a handler, for error messages.
std::string sanitized_prefix(std::string_view s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 40; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') out += char(c);
    else out += fmt::format("\\x{:02x}", c);
  }
  out += s.size() > 40 ? "'... (" + std::to_string(s.size()) + " bytes)" : "'";
  return out;
}
}  // namespace

bool valid_status(unsigned status) { return status >= 200 && status <= 999; }

bool status_has_no_body(unsigned status) { return status < 200 || status == 204 || status == 304; }

Status check_response_head(unsigned status, const Headers& headers) {
  if (!valid_status(status))
    return Error(ErrorKind::kInvalidArgument,
                 status >= 100 && status < 200 ? "status " + std::to_string(status) + " is not a final status"
                                               : "invalid status " + std::to_string(status));
  size_t size = 64;  // the status line, roughly
  for (const auto& [name, value] : headers) {
    if (!valid_field_name(name))
      return Error(ErrorKind::kInvalidArgument,
                   "invalid header name " + sanitized_prefix(name));
    if (!valid_field_value(value))
      return Error(ErrorKind::kInvalidArgument, "invalid value for header " + sanitized_prefix(name));
    size += name.size() + value.size() + 4;
    if (size > kMaxResponseHead)
      return Error(ErrorKind::kInvalidArgument,
                   "response headers over " + std::to_string(kMaxResponseHead / 1024) + " KiB (at " +
                       sanitized_prefix(name) + ")");
  }
  return ok();
}

bool valid_field_name(std::string_view name) { return valid_http_field_name(name); }
bool valid_field_value(std::string_view value) { return valid_http_field_value(value); }

}  // namespace witserve::http
