// wasi:http/types and wasi:http/outgoing-handler, and HttpCall (http.h).
#include "witserve/wasi/http.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "witserve/base/http_fields.h"
#include "witserve/base/log.h"

#include "witserve/wasi/http_client.h"
#include "witserve/wasi/io.h"
#include "witserve/wasi/values.h"
#include "witserve/wasi/wasi.h"

namespace witserve::wasi {

// ---- objects ----------------------------------------------------------------------------------

Status check_live(WasiContext& c, const HttpCall* call, uint64_t id);  // below

class Fields : public Object {
 public:
  static constexpr size_t kMaxBytes = 1 << 20;  // names and values of one fields resource
  Fields() = default;
  Fields(FieldList e, bool immutable) : entries(std::move(e)), immutable(immutable) {
    for (const auto& [k, v] : entries) bytes += k.size() + v.size();
  }
  void add(std::string name, std::string value) {
    bytes += name.size() + value.size();
    entries.emplace_back(std::move(name), std::move(value));
  }
  // Removes every entry named `name`; returns them.
  FieldList remove(const std::string& name) {
    FieldList removed;
    std::erase_if(entries, [&](const auto& e) {
      if (e.first != name) return false;
      bytes -= e.first.size() + e.second.size();
      removed.push_back(e);
      return true;
    });
    return removed;
  }
  FieldList entries;  // change through add/remove
  bool immutable = false;
  size_t bytes = 0;
};

// Bodies the host holds before they can go anywhere: an outgoing request's (sent whole), and a
// response's bytes written before response-outparam.set.
constexpr size_t kMaxHeldBody = 64 << 20;

// An outgoing response (made by the component) and its body, shared by outgoing-response,
// outgoing-body and the body's output-stream.
struct ResponseState {
  uint16_t status = 200;
  FieldList headers;
  bool body_taken = false;
  HttpCall* call = nullptr;    // once passed to response-outparam.set
  uint64_t call_id = 0;
  std::vector<uint8_t> early;  // body bytes written before that
  bool finished = false;
};

class OutgoingResponse : public Object {
 public:
  std::shared_ptr<ResponseState> state = std::make_shared<ResponseState>();
};

class ResponseOutparam : public Object {
 public:
  explicit ResponseOutparam(HttpCall* c) : call(c), call_id(c->id()) {}
  HttpCall* call;
  uint64_t call_id;
};

// An outgoing request being built and, once handed to outgoing-handler, sent.
struct RequestState {
  std::string method = "GET";
  std::optional<std::string> path_with_query, scheme, authority;
  FieldList headers;
  bool body_taken = false;
  std::vector<uint8_t> body;
  bool finished = false;
};

class OutgoingRequest : public Object {
 public:
  std::shared_ptr<RequestState> state = std::make_shared<RequestState>();
};

class RequestOptions : public Object {
 public:
  std::optional<uint64_t> connect, first_byte, between_bytes;
};

// outgoing-body: of a response (state) or of a request (request).
class OutgoingBody : public Object {
 public:
  std::shared_ptr<ResponseState> response;
  std::shared_ptr<RequestState> request;
};

class BodyOutput : public OutputStream {
 public:
  std::shared_ptr<ResponseState> response;
  std::shared_ptr<RequestState> request;
  Result<StreamStatus> write(WasiContext& c, std::span<const uint8_t> data) override {
    if (request) {
      if (request->finished) return StreamStatus::closed();
      if (request->body.size() + data.size() > kMaxHeldBody)
        return StreamStatus::failed("an outgoing request body may not exceed 64 MiB");
      request->body.insert(request->body.end(), data.begin(), data.end());
      return StreamStatus{};
    }
    if (response->finished) return StreamStatus::closed();
    if (!response->call) {
      if (response->early.size() + data.size() > kMaxHeldBody)
        return StreamStatus::failed("set the response before writing more than 64 MiB of its body");
      response->early.insert(response->early.end(), data.begin(), data.end());
      return StreamStatus{};
    }
    WITSERVE_TRY(check_live(c, response->call, response->call_id));
    Status s = response->call->write(data);
    if (!s.ok()) return StreamStatus::failed(s.error().message());
    return StreamStatus{};
  }
};

class IncomingRequestObj : public Object {
 public:
  explicit IncomingRequestObj(HttpCall* c) : call(c), call_id(c->id()) {}
  HttpCall* call;
  uint64_t call_id;
  bool consumed = false;
};

class IncomingResponseObj : public Object {
 public:
  uint16_t status = 0;
  FieldList headers;
  std::shared_ptr<const std::vector<uint8_t>> body;
  bool consumed = false;
};

class IncomingBody : public Object {
 public:
  std::shared_ptr<const std::vector<uint8_t>> body;
  bool stream_taken = false;
};

class FutureTrailers : public Object {};

class FutureResponse : public Object {
 public:
  std::shared_ptr<RequestState> request;
  std::optional<RequestOptions> options;
  std::variant<std::monostate, ClientResponse, ClientError> outcome;
  bool taken = false;
};

// ---- HttpCall ---------------------------------------------------------------------------------

bool HttpCall::body_open() const { return response_ && response_->body_taken && !finished_; }

namespace {
thread_local uint64_t last_call_id = 0;
}  // namespace

HttpCall::HttpCall(IncomingRequest request, ResponseSink* sink)
    : request(std::move(request)), sink_(sink), id_(++last_call_id) {}

// A reused instance may keep handles from an earlier request; they refer to a call that is over.
Status check_live(WasiContext& c, const HttpCall* call, uint64_t id) {
  if (!c.http || call != c.http || id != c.http->id())
    return wasi_trap("this wasi:http request has ended; its resources cannot be used");
  return ok();
}

uint16_t HttpCall::status() const { return response_ ? response_->status : 500; }
const FieldList& HttpCall::headers() const {
  static const FieldList none;
  return response_ ? response_->headers : none;
}

Status HttpCall::set_response(std::shared_ptr<ResponseState> r) {
  response_ = std::move(r);
  response_->call = this;
  response_->call_id = id_;
  for (const auto& [n, v] : response_->headers) {
    if (n != "content-length") continue;
    uint64_t len = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), len);
    if (ec != std::errc() || p != v.data() + v.size()) return Error(ErrorKind::kHost, "invalid content-length " + v);
    content_length_ = len;
  }
  std::vector<uint8_t> early = std::move(response_->early);
  if (!early.empty()) WITSERVE_TRY(write(early));
  if (response_->finished) return finish();
  return ok();
}

Status HttpCall::write(std::span<const uint8_t> data) {
  written_ += data.size();
  if (content_length_ && written_ > *content_length_) {
    problem = "the body is longer than its content-length";
    return Error(ErrorKind::kHost, problem);
  }
  if (streaming_) {
    Status s = sink_->write(data);
    if (!s.ok()) problem = s.error().message();
    return s;
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  if (buffer_.size() >= 64 * 1024) return stream_now();
  return ok();
}

Status HttpCall::finish() {
  finished_ = true;
  if (content_length_ && written_ != *content_length_) {
    problem = "the body is shorter than its content-length";
    return Error(ErrorKind::kHost, problem);
  }
  if (!streaming_) return ok();  // the runtime sends it whole
  Status s = sink_->finish();
  if (!s.ok()) problem = s.error().message();
  return s;
}

Status HttpCall::stream_now() {
  if (!response_ || streaming_ || finished_ || !sink_) return ok();
  streaming_ = true;
  FieldList headers;
  for (const auto& h : response_->headers)
    if (h.first != "content-length") headers.push_back(h);
  Status s = sink_->start(response_->status, headers, content_length_);
  if (s.ok() && !buffer_.empty()) s = sink_->write(buffer_);
  buffer_.clear();
  if (!s.ok()) problem = s.error().message();
  return s;
}

std::pair<uint32_t, uint32_t> new_incoming(WasiContext& c, HttpCall& call) {
  uint32_t req = c.table().add(std::make_unique<IncomingRequestObj>(&call));
  uint32_t out = c.table().add(std::make_unique<ResponseOutparam>(&call));
  return {req, out};
}

// ---- functions --------------------------------------------------------------------------------

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// The server's own rule (base/http_fields.h): a field the guest may set is one it may send.
bool valid_name(std::string_view n) { return valid_http_field_name(n); }
bool valid_value(std::string_view v) { return valid_http_field_value(v); }
// Hop-by-hop and framing fields are the host's to set.
bool forbidden(std::string_view n) {
  return n == "connection" || n == "keep-alive" || n == "proxy-connection" || n == "transfer-encoding" ||
         n == "upgrade" || n == "http2-settings";
}

template <typename T>
Result<T*> obj(WasiContext& c, const Args& a, size_t i = 0) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(i));
  return c.table().get<T>(rep);
}

Result<IncomingRequestObj*> incoming(WasiContext& c, const Args& a) {
  WITSERVE_ASSIGN_OR_RETURN(IncomingRequestObj * r, obj<IncomingRequestObj>(c, a));
  WITSERVE_TRY(check_live(c, r->call, r->call_id));
  return r;
}

Value field_list_value(const FieldList& f) {
  std::vector<Value> out;
  out.reserve(f.size());
  for (const auto& [n, v] : f)
    out.push_back(Value::tuple({string_value(n), Value::bytes(v)}));
  return Value::list(std::move(out));
}

// ok(), or err(header-error `name`) in the importer's result type.
HostResult header_error(TypeRef rt, std::string_view name) {
  WITSERVE_ASSIGN_OR_RETURN(Value e, variant_case(err_type(rt), name));
  return give(Value::err(std::move(e)));
}

// Checks a name and value for fields: "" if fine, else the header-error case.
std::string_view check_field(const Fields& f, const std::string& name, std::string_view value) {
  if (f.immutable) return "immutable";
  if (f.bytes + name.size() + value.size() > Fields::kMaxBytes) return "invalid-syntax";  // over 1 MiB
  if (!valid_name(name) || !valid_value(value)) return "invalid-syntax";
  if (forbidden(name)) return "forbidden";
  return "";
}

Value method_value(TypeRef t, const std::string& method, bool& ok) {
  std::string m = lower(method);
  int i = case_index(t, m);
  ok = true;
  if (i >= 0 && m != "other") return Value::variant(uint32_t(i));
  i = case_index(t, "other");
  if (i < 0) { ok = false; return {}; }
  return Value::variant(uint32_t(i), string_value(method));
}
Result<std::string> method_of(const Value& v, TypeRef t) {
  uint32_t i = v.case_index();
  if (!t || i >= t->cases.size()) return wasi_trap("bad method value");
  if (t->cases[i].name == "other") return v.payload() ? v.payload()->as_string() : std::string();
  std::string m = t->cases[i].name;
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  return m;
}
Result<std::string> scheme_of(const Value& v, TypeRef t) {
  uint32_t i = v.case_index();
  if (!t || i >= t->cases.size()) return wasi_trap("bad scheme value");
  if (t->cases[i].name == "other") return v.payload() ? v.payload()->as_string() : std::string();
  return lower(t->cases[i].name);
}
Value scheme_value(TypeRef t, const std::string& scheme) {
  int i = case_index(t, scheme == "https" ? "HTTPS" : scheme == "http" ? "HTTP" : "other");
  if (i < 0) return Value::variant(0);
  if (t->cases[uint32_t(i)].name == "other") return Value::variant(uint32_t(i), string_value(scheme));
  return Value::variant(uint32_t(i));
}

// error-code `code` (with internal-error's message) in the type `t`.
Result<Value> error_code(TypeRef t, const std::string& code, const std::string& detail = {}) {
  int i = case_index(t, code);
  if (i < 0) return variant_case(t, "internal-error", Value::some(string_value(code + ": " + detail)));
  TypeRef p = t->cases[uint32_t(i)].type;
  if (!p) return Value::variant(uint32_t(i));
  if (p->kind == TypeKind::kOption) return Value::variant(uint32_t(i), Value::none());
  if (p->kind == TypeKind::kRecord) {  // DNS-error and the size payloads: every field none
    std::vector<Value> fields(p->fields.size(), Value::none());
    return Value::variant(uint32_t(i), Value::record(std::move(fields)));
  }
  return wasi_trap("error-code case " + code + " has an unexpected payload");
}

Result<std::pair<std::string, uint16_t>> split_authority(const std::string& authority, uint16_t default_port) {
  std::string host = authority;
  uint16_t port = default_port;
  std::string_view rest;
  if (host.starts_with('[')) {
    auto end = host.find(']');
    if (end == std::string::npos) return Error(ErrorKind::kInvalidArgument, "bad authority");
    rest = std::string_view(authority).substr(end + 1);
    host = authority.substr(1, end - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    rest = std::string_view(authority).substr(colon);
    host = authority.substr(0, colon);
  }
  if (!rest.empty()) {
    if (rest[0] != ':') return Error(ErrorKind::kInvalidArgument, "bad authority");
    rest.remove_prefix(1);
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), p);
    if (ec != std::errc() || ptr != rest.data() + rest.size() || p == 0 || p > 65535)
      return Error(ErrorKind::kInvalidArgument, "bad port");
    port = uint16_t(p);
  }
  if (host.empty()) return Error(ErrorKind::kInvalidArgument, "no host");
  return std::make_pair(lower(host), port);
}

// Sends the request of `f` (once), if it has not been sent.
void complete(WasiContext& c, FutureResponse& f) {
  if (!std::holds_alternative<std::monostate>(f.outcome)) return;
  const RequestState& r = *f.request;
  std::string scheme = r.scheme.value_or("https");
  auto hp = split_authority(r.authority.value_or(""), scheme == "https" ? 443 : 80);
  if (!hp.ok()) { f.outcome = ClientError{"HTTP-request-URI-invalid", hp.error().message()}; return; }
  if (scheme != "http") {
    f.outcome = ClientError{"internal-error", "witserve sends outgoing requests over plain http only"};
    return;
  }
  ClientRequest req;
  req.host = hp->first;
  req.port = hp->second;
  req.method = r.method;
  req.target = r.path_with_query.value_or("/");
  req.authority = *r.authority;
  req.headers = r.headers;
  req.body = r.body;
  req.deadline = c.deadline;
  req.max_body = c.grants().max_outgoing_body;
  if (f.options) {
    if (f.options->connect) req.connect_timeout = std::chrono::nanoseconds(*f.options->connect);
    if (f.options->first_byte) req.first_byte_timeout = std::chrono::nanoseconds(*f.options->first_byte);
  }
  auto got = fetch(req);
  if (auto* e = std::get_if<ClientError>(&got)) {
    spdlog::info("[{}] outgoing {} {}://{}{}: {} ({})", c.grants().route, r.method, scheme, *r.authority, req.target,
                 e->code, e->detail);
    f.outcome = std::move(*e);
  } else {
    f.outcome = std::move(std::get<ClientResponse>(got));
  }
}

}  // namespace

void add_http(component::Linker& l) {
  constexpr std::string_view T = kHttpTypes;
  for (const char* r : {"fields", "incoming-request", "outgoing-request", "request-options", "response-outparam",
                        "incoming-body", "future-trailers", "outgoing-response", "outgoing-body",
                        "future-incoming-response", "incoming-response"})
    define_resource(l, T, r);

  // fields
  define(l, T, "[constructor]fields", [](WasiContext& c, const Args&) -> HostResult {
    return give(own(c, std::make_unique<Fields>()));
  });
  define(l, T, "[static]fields.from-list", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(const Value* list, a.at(0, TypeKind::kList));
    auto f = std::make_unique<Fields>();
    for (const Value& e : list->items()) {
      if (e.items().size() != 2) return wasi_trap("from-list: bad entry");
      std::string name = lower(e.items()[0].as_string());
      WITSERVE_ASSIGN_OR_RETURN(std::string value, Args::byte_string(e.items()[1]));
      if (auto why = check_field(*f, name, value); !why.empty()) return header_error(a.type().result, why);
      f->add(std::move(name), std::move(value));
    }
    return give(Value::ok(own(c, std::move(f))));
  });
  define(l, T, "[method]fields.get", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Fields * f, obj<Fields>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string name, a.str(1));
    name = lower(name);
    std::vector<Value> out;
    for (const auto& [n, v] : f->entries)
      if (n == name) out.push_back(Value::bytes(v));
    return give(Value::list(std::move(out)));
  });
  define(l, T, "[method]fields.has", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Fields * f, obj<Fields>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string name, a.str(1));
    name = lower(name);
    bool has = std::any_of(f->entries.begin(), f->entries.end(), [&](const auto& e) { return e.first == name; });
    return give(Value::boolean(has));
  });
  define(l, T, "[method]fields.set", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Fields * f, obj<Fields>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string name, a.str(1));
    WITSERVE_ASSIGN_OR_RETURN(const Value* values, a.at(2, TypeKind::kList));
    name = lower(name);
    std::vector<std::string> vs;
    for (const Value& v : values->items()) {
      WITSERVE_ASSIGN_OR_RETURN(std::string value, Args::byte_string(v));
      vs.push_back(std::move(value));
    }
    for (const auto& v : vs)
      if (auto why = check_field(*f, name, v); !why.empty()) return header_error(a.type().result, why);
    if (auto why = check_field(*f, name, ""); !why.empty()) return header_error(a.type().result, why);
    f->remove(name);
    for (auto& v : vs) f->add(name, std::move(v));
    return give(Value::ok());
  });
  auto del = [](bool give_back) {
    return [give_back](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(Fields * f, obj<Fields>(c, a));
      WITSERVE_ASSIGN_OR_RETURN(std::string name, a.str(1));
      name = lower(name);
      if (auto why = check_field(*f, name, ""); !why.empty()) return header_error(a.type().result, why);
      FieldList removed = f->remove(name);
      if (!give_back) return give(Value::ok());
      std::vector<Value> out;
      for (const auto& [n, v] : removed) out.push_back(Value::bytes(v));
      return give(Value::ok(Value::list(std::move(out))));
    };
  };
  define(l, T, "[method]fields.delete", del(false));
  define(l, T, "[method]fields.get-and-delete", del(true));
  define(l, T, "[method]fields.append", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Fields * f, obj<Fields>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(std::string name, a.str(1));
    WITSERVE_ASSIGN_OR_RETURN(const Value* value, a.at(2, TypeKind::kList));
    name = lower(name);
    WITSERVE_ASSIGN_OR_RETURN(std::string v, Args::byte_string(*value));
    if (auto why = check_field(*f, name, v); !why.empty()) return header_error(a.type().result, why);
    f->add(std::move(name), std::move(v));
    return give(Value::ok());
  });
  define(l, T, "[method]fields.entries", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Fields * f, obj<Fields>(c, a));
    return give(field_list_value(f->entries));
  });
  define(l, T, "[method]fields.clone", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(Fields * f, obj<Fields>(c, a));
    return give(own(c, std::make_unique<Fields>(f->entries, false)));
  });

  // incoming-request
  define(l, T, "[method]incoming-request.method", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingRequestObj * r, incoming(c, a));
    bool ok = false;
    Value m = method_value(a.type().result, r->call->request.method, ok);
    if (!ok) return wasi_trap("the imported method type has no 'other' case");
    return give(std::move(m));
  });
  define(l, T, "[method]incoming-request.path-with-query", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingRequestObj * r, incoming(c, a));
    return give(Value::some(string_value(r->call->request.path_with_query)));
  });
  define(l, T, "[method]incoming-request.scheme", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingRequestObj * r, incoming(c, a));
    return give(Value::some(scheme_value(case_payload(a.type().result, 1), r->call->request.scheme)));
  });
  define(l, T, "[method]incoming-request.authority", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingRequestObj * r, incoming(c, a));
    if (r->call->request.authority.empty()) return give(Value::none());
    return give(Value::some(string_value(r->call->request.authority)));
  });
  define(l, T, "[method]incoming-request.headers", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingRequestObj * r, incoming(c, a));
    return give(own(c, std::make_unique<Fields>(r->call->request.headers, true)));
  });
  define(l, T, "[method]incoming-request.consume", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingRequestObj * r, incoming(c, a));
    if (r->consumed) return give(Value::err());
    r->consumed = true;
    auto b = std::make_unique<IncomingBody>();
    b->body = r->call->request.body;
    return give(Value::ok(own(c, std::move(b))));
  });

  // incoming-body, future-trailers
  define(l, T, "[method]incoming-body.stream", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingBody * b, obj<IncomingBody>(c, a));
    if (b->stream_taken) return give(Value::err());
    b->stream_taken = true;
    return give(Value::ok(own(c, std::make_unique<BufferInput>(b->body))));
  });
  define(l, T, "[static]incoming-body.finish", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_TRY(c.table().take<IncomingBody>(rep));
    return give(own(c, std::make_unique<FutureTrailers>()));
  });
  define(l, T, "[method]future-trailers.subscribe", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_TRY(obj<FutureTrailers>(c, a));
    return give(own(c, std::make_unique<Pollable>()));
  });
  define(l, T, "[method]future-trailers.get", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_TRY(obj<FutureTrailers>(c, a));
    return give(Value::some(Value::ok(Value::ok(Value::none()))));  // no trailers
  });

  // outgoing-response, outgoing-body, response-outparam
  define(l, T, "[constructor]outgoing-response", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(auto f, c.table().take<Fields>(rep));
    auto r = std::make_unique<OutgoingResponse>();
    r->state->headers = std::move(f->entries);
    return give(own(c, std::move(r)));
  });
  define(l, T, "[method]outgoing-response.status-code", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingResponse * r, obj<OutgoingResponse>(c, a));
    return give(Value::u16(r->state->status));
  });
  define(l, T, "[method]outgoing-response.set-status-code", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingResponse * r, obj<OutgoingResponse>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(uint64_t s, a.u64(1));
    if (s < 100 || s > 999) return give(Value::err());
    r->state->status = uint16_t(s);
    return give(Value::ok());
  });
  define(l, T, "[method]outgoing-response.headers", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingResponse * r, obj<OutgoingResponse>(c, a));
    return give(own(c, std::make_unique<Fields>(r->state->headers, true)));
  });
  define(l, T, "[method]outgoing-response.body", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingResponse * r, obj<OutgoingResponse>(c, a));
    if (r->state->body_taken) return give(Value::err());
    r->state->body_taken = true;
    auto b = std::make_unique<OutgoingBody>();
    b->response = r->state;
    return give(Value::ok(own(c, std::move(b))));
  });
  define(l, T, "[method]outgoing-body.write", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingBody * b, obj<OutgoingBody>(c, a));
    auto s = std::make_unique<BodyOutput>();
    s->response = b->response;
    s->request = b->request;
    return give(Value::ok(own(c, std::move(s))));
  });
  define(l, T, "[static]outgoing-body.finish", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(auto b, c.table().take<OutgoingBody>(rep));
    if (b->request) {
      b->request->finished = true;
      return give(Value::ok());
    }
    b->response->finished = true;
    if (b->response->call) {
      WITSERVE_TRY(check_live(c, b->response->call, b->response->call_id));
      if (Status s = b->response->call->finish(); !s.ok()) {
        WITSERVE_ASSIGN_OR_RETURN(Value e, error_code(err_type(a.type().result), "internal-error", s.error().message()));
        return give(Value::err(std::move(e)));
      }
    }
    return give(Value::ok());
  });
  define(l, T, "[static]response-outparam.set", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(auto out, c.table().take<ResponseOutparam>(rep));
    WITSERVE_ASSIGN_OR_RETURN(const Value* result, a.at(1, TypeKind::kResult));
    WITSERVE_TRY(check_live(c, out->call, out->call_id));
    if (out->call->response_set()) return wasi_trap("response-outparam.set called twice");
    if (result->case_index() == 1) {
      const Value* e = result->payload();
      TypeRef et = err_type(a.param(1));
      std::string name = e && et && e->case_index() < et->cases.size() ? et->cases[e->case_index()].name : "?";
      out->call->set_error(name);
      return nothing();
    }
    if (!result->payload()) return wasi_trap("response-outparam.set: no response");
    WITSERVE_ASSIGN_OR_RETURN(auto resp, c.table().take<OutgoingResponse>(result->payload()->handle()));
    WITSERVE_TRY(out->call->set_response(resp->state));
    return nothing();
  });

  // outgoing-request, request-options
  define(l, T, "[constructor]outgoing-request", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(auto f, c.table().take<Fields>(rep));
    auto r = std::make_unique<OutgoingRequest>();
    r->state->headers = std::move(f->entries);
    return give(own(c, std::move(r)));
  });
  define(l, T, "[method]outgoing-request.body", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingRequest * r, obj<OutgoingRequest>(c, a));
    if (r->state->body_taken) return give(Value::err());
    r->state->body_taken = true;
    auto b = std::make_unique<OutgoingBody>();
    b->request = r->state;
    return give(Value::ok(own(c, std::move(b))));
  });
  define(l, T, "[method]outgoing-request.method", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingRequest * r, obj<OutgoingRequest>(c, a));
    bool ok = false;
    Value m = method_value(a.type().result, r->state->method, ok);
    if (!ok) return wasi_trap("the imported method type has no 'other' case");
    return give(std::move(m));
  });
  define(l, T, "[method]outgoing-request.set-method", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingRequest * r, obj<OutgoingRequest>(c, a));
    if (a.size() < 2) return wasi_trap("set-method: no method");
    WITSERVE_ASSIGN_OR_RETURN(std::string m, method_of(a[1], a.param(1)));
    if (!valid_name(m)) return give(Value::err());
    r->state->method = m;
    return give(Value::ok());
  });
  auto opt_string_get = [](std::optional<std::string> RequestState::*field) {
    return [field](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(OutgoingRequest * r, obj<OutgoingRequest>(c, a));
      const auto& v = (*r->state).*field;
      return give(v ? Value::some(string_value(*v)) : Value::none());
    };
  };
  auto opt_string_set = [](std::optional<std::string> RequestState::*field) {
    return [field](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(OutgoingRequest * r, obj<OutgoingRequest>(c, a));
      WITSERVE_ASSIGN_OR_RETURN(const Value* v, a.at(1, TypeKind::kOption));
      if (v->payload()) {
        const std::string& s = v->payload()->as_string();
        if (!valid_value(s) || s.find(' ') != std::string::npos) return give(Value::err());
        (*r->state).*field = s;
      } else {
        ((*r->state).*field).reset();
      }
      return give(Value::ok());
    };
  };
  define(l, T, "[method]outgoing-request.path-with-query", opt_string_get(&RequestState::path_with_query));
  define(l, T, "[method]outgoing-request.set-path-with-query", opt_string_set(&RequestState::path_with_query));
  define(l, T, "[method]outgoing-request.authority", opt_string_get(&RequestState::authority));
  define(l, T, "[method]outgoing-request.set-authority", opt_string_set(&RequestState::authority));
  define(l, T, "[method]outgoing-request.scheme", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingRequest * r, obj<OutgoingRequest>(c, a));
    if (!r->state->scheme) return give(Value::none());
    return give(Value::some(scheme_value(case_payload(a.type().result, 1), *r->state->scheme)));
  });
  define(l, T, "[method]outgoing-request.set-scheme", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingRequest * r, obj<OutgoingRequest>(c, a));
    WITSERVE_ASSIGN_OR_RETURN(const Value* v, a.at(1, TypeKind::kOption));
    if (!v->payload()) {
      r->state->scheme.reset();
      return give(Value::ok());
    }
    WITSERVE_ASSIGN_OR_RETURN(std::string s, scheme_of(*v->payload(), case_payload(a.param(1), 1)));
    r->state->scheme = s;
    return give(Value::ok());
  });
  define(l, T, "[method]outgoing-request.headers", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(OutgoingRequest * r, obj<OutgoingRequest>(c, a));
    return give(own(c, std::make_unique<Fields>(r->state->headers, true)));
  });
  define(l, T, "[constructor]request-options", [](WasiContext& c, const Args&) -> HostResult {
    return give(own(c, std::make_unique<RequestOptions>()));
  });
  auto timeout_get = [](std::optional<uint64_t> RequestOptions::*field) {
    return [field](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(RequestOptions * o, obj<RequestOptions>(c, a));
      return give(o->*field ? Value::some(Value::u64(*(o->*field))) : Value::none());
    };
  };
  auto timeout_set = [](std::optional<uint64_t> RequestOptions::*field) {
    return [field](WasiContext& c, const Args& a) -> HostResult {
      WITSERVE_ASSIGN_OR_RETURN(RequestOptions * o, obj<RequestOptions>(c, a));
      WITSERVE_ASSIGN_OR_RETURN(const Value* v, a.at(1, TypeKind::kOption));
      if (v->payload()) o->*field = v->payload()->as_unsigned();
      else (o->*field).reset();
      return give(Value::ok());
    };
  };
  define(l, T, "[method]request-options.connect-timeout", timeout_get(&RequestOptions::connect));
  define(l, T, "[method]request-options.set-connect-timeout", timeout_set(&RequestOptions::connect));
  define(l, T, "[method]request-options.first-byte-timeout", timeout_get(&RequestOptions::first_byte));
  define(l, T, "[method]request-options.set-first-byte-timeout", timeout_set(&RequestOptions::first_byte));
  define(l, T, "[method]request-options.between-bytes-timeout", timeout_get(&RequestOptions::between_bytes));
  define(l, T, "[method]request-options.set-between-bytes-timeout", timeout_set(&RequestOptions::between_bytes));

  // future-incoming-response, incoming-response
  define(l, T, "[method]future-incoming-response.subscribe", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_TRY(obj<FutureResponse>(c, a));
    return give(own(c, std::make_unique<Pollable>()));  // ready: get() sends and waits
  });
  define(l, T, "[method]future-incoming-response.get", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(FutureResponse * f, obj<FutureResponse>(c, a));
    if (f->taken) return give(Value::some(Value::err()));
    if (c.before_block) c.before_block();
    WasiContext::note_wait();  // an outgoing request: a wait on the network
    complete(c, *f);
    f->taken = true;
    TypeRef inner = ok_type(case_payload(a.type().result, 1));  // result<own<incoming-response>, error-code>
    if (auto* e = std::get_if<ClientError>(&f->outcome)) {
      WITSERVE_ASSIGN_OR_RETURN(Value code, error_code(err_type(inner), e->code, e->detail));
      return give(Value::some(Value::ok(Value::err(std::move(code)))));
    }
    auto& got = std::get<ClientResponse>(f->outcome);
    auto r = std::make_unique<IncomingResponseObj>();
    r->status = got.status;
    r->headers = std::move(got.headers);
    r->body = std::make_shared<const std::vector<uint8_t>>(std::move(got.body));
    return give(Value::some(Value::ok(Value::ok(own(c, std::move(r))))));
  });
  define(l, T, "[method]incoming-response.status", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingResponseObj * r, obj<IncomingResponseObj>(c, a));
    return give(Value::u16(r->status));
  });
  define(l, T, "[method]incoming-response.headers", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingResponseObj * r, obj<IncomingResponseObj>(c, a));
    return give(own(c, std::make_unique<Fields>(r->headers, true)));
  });
  define(l, T, "[method]incoming-response.consume", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(IncomingResponseObj * r, obj<IncomingResponseObj>(c, a));
    if (r->consumed) return give(Value::err());
    r->consumed = true;
    auto b = std::make_unique<IncomingBody>();
    b->body = r->body;
    return give(Value::ok(own(c, std::move(b))));
  });
  define(l, T, "http-error-code", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_TRY(a.rep(0));
    (void)c;
    return give(Value::none());
  });

  // outgoing-handler: only towards what the route allows.
  define(l, "wasi:http/outgoing-handler@0.2.0", "handle", [](WasiContext& c, const Args& a) -> HostResult {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t rep, a.rep(0));
    WITSERVE_ASSIGN_OR_RETURN(auto req, c.table().take<OutgoingRequest>(rep));
    std::optional<RequestOptions> options;
    if (a.size() > 1 && a[1].kind() == TypeKind::kOption && a[1].payload()) {
      WITSERVE_ASSIGN_OR_RETURN(auto o, c.table().take<RequestOptions>(a[1].payload()->handle()));
      options = *o;
    }
    TypeRef et = err_type(a.type().result);
    const RequestState& r = *req->state;
    std::string scheme = r.scheme.value_or("https");
    if (!r.authority) {
      WITSERVE_ASSIGN_OR_RETURN(Value e, error_code(et, "HTTP-request-URI-invalid"));
      return give(Value::err(std::move(e)));
    }
    auto hp = split_authority(*r.authority, scheme == "https" ? 443 : 80);
    if (!hp.ok()) {
      WITSERVE_ASSIGN_OR_RETURN(Value e, error_code(et, "HTTP-request-URI-invalid"));
      return give(Value::err(std::move(e)));
    }
    const auto& allow = c.grants().outbound;
    if (!allow || !allow(scheme, hp->first, hp->second)) {
      spdlog::warn("[{}] outgoing request to {}://{} denied: not in allowed_outbound_hosts", c.grants().route, scheme,
                   *r.authority);
      WITSERVE_ASSIGN_OR_RETURN(Value e, error_code(et, "HTTP-request-denied"));
      return give(Value::err(std::move(e)));
    }
    auto f = std::make_unique<FutureResponse>();
    f->request = req->state;
    f->options = options;
    return give(Value::ok(own(c, std::move(f))));
  });
}

}  // namespace witserve::wasi
