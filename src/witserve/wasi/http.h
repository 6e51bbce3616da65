// wasi:http (types, outgoing-handler) and the incoming side of incoming-handler: one HttpCall
// per request a wasi:http component answers. The component's response goes to a ResponseSink
// (the runtime's, over the HTTP connection): kept in memory while small and complete, streamed
// (chunked, or with the component's content-length) once it passes 64 KiB or the component waits
// on something. Worker thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "witserve/component/linker.h"
#include "witserve/wasi/context.h"

namespace witserve::wasi {

using FieldList = std::vector<std::pair<std::string, std::string>>;  // names lower-case

// Where a streamed response goes.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // The head; the body is chunked unless `content_length` is given.
  virtual Status start(uint16_t status, const FieldList& headers, std::optional<uint64_t> content_length) = 0;
  virtual Status write(std::span<const uint8_t> data) = 0;
  virtual Status finish() = 0;
};

struct IncomingRequest {
  std::string method;
  std::string path_with_query;
  std::string scheme = "http";
  std::string authority;
  FieldList headers;
  std::shared_ptr<const std::vector<uint8_t>> body;
};

struct ResponseState;

class HttpCall {
 public:
  HttpCall(IncomingRequest request, ResponseSink* sink);

  // Unique per call on this thread: objects a reused instance kept from an earlier call (perhaps
  // at the same address) are told apart by it.
  uint64_t id() const { return id_; }

  IncomingRequest request;

  // How the call ended, read by the runtime after `handle` returned or failed.
  bool response_set() const { return response_ != nullptr || error_.has_value(); }
  // response-outparam.set with an error-code: its case name.
  const std::optional<std::string>& error() const { return error_; }
  bool streaming() const { return streaming_; }
  bool finished() const { return finished_; }
  // The component took the response's body and has not finished it.
  bool body_open() const;
  uint16_t status() const;
  const FieldList& headers() const;
  std::vector<uint8_t>& buffered() { return buffer_; }
  // The component's declared content-length, if it sent one.
  std::optional<uint64_t> content_length() const { return content_length_; }
  std::string problem;  // why the body is unusable (length mismatch, write failure), if it is

  // Used by the wasi:http functions.
  Status set_response(std::shared_ptr<ResponseState> r);
  void set_error(std::string code) { error_ = std::move(code); }
  Status write(std::span<const uint8_t> data);
  Status finish();
  // Sends the head and what is buffered, if a response was set; from then on writes go out.
  Status stream_now();

 private:
  ResponseSink* sink_;
  uint64_t id_;
  std::shared_ptr<ResponseState> response_;
  std::optional<std::string> error_;
  std::optional<uint64_t> content_length_;
  uint64_t written_ = 0;
  std::vector<uint8_t> buffer_;
  bool streaming_ = false;
  bool finished_ = false;
};

// The arguments of incoming-handler.handle for `call`: reps of a new incoming-request and
// response-outparam in `c`'s table (pass them to ComponentInstance::new_host_resource).
std::pair<uint32_t, uint32_t> new_incoming(WasiContext& c, HttpCall& call);

inline constexpr std::string_view kHttpTypes = "wasi:http/types@0.2.0";

void add_http(component::Linker& l);

}  // namespace witserve::wasi
