// wasi:io (error, poll, streams): the stream and pollable objects other interfaces hand out,
// and the functions that act on them. Streams here never wait on the network: their data is in
// memory or in a file, so every pollable but a timer is ready at once. Worker thread only.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "witserve/component/linker.h"
#include "witserve/wasi/context.h"

namespace witserve::wasi {

// How a stream operation went, short of a trap: fine, the stream is closed (its end), or the
// operation failed (the guest gets an `error` resource carrying `message`).
struct StreamStatus {
  enum Kind { kOk, kClosed, kFailed } kind = kOk;
  std::string message;
  static StreamStatus closed() { return {kClosed, {}}; }
  static StreamStatus failed(std::string m) { return {kFailed, std::move(m)}; }
};

class InputStream : public Object {
 public:
  // Appends up to `n` bytes to `out`; `blocking` may wait for data (bounded by the deadline).
  // At the end with nothing read: StreamStatus::closed().
  virtual Result<StreamStatus> read(WasiContext& c, uint64_t n, bool blocking, std::vector<uint8_t>& out) = 0;
};

class OutputStream : public Object {
 public:
  static constexpr uint64_t kWindow = 64 * 1024;
  virtual uint64_t check_write() { return kWindow; }
  virtual Result<StreamStatus> write(WasiContext& c, std::span<const uint8_t> data) = 0;
  virtual Result<StreamStatus> flush(WasiContext&) { return StreamStatus{}; }
};

// Bytes held in memory (a request body, stdin, a fetched response body).
class BufferInput : public InputStream {
 public:
  explicit BufferInput(std::shared_ptr<const std::vector<uint8_t>> data) : data_(std::move(data)) {}
  Result<StreamStatus> read(WasiContext&, uint64_t n, bool, std::vector<uint8_t>& out) override;

 private:
  std::shared_ptr<const std::vector<uint8_t>> data_;
  size_t pos_ = 0;
};

// Ready at once, or at a time (monotonic-clock's subscriptions).
class Pollable : public Object {
 public:
  Pollable() = default;
  explicit Pollable(Clock::time_point at) : at_(at) {}
  bool ready() const { return !at_ || Clock::now() >= *at_; }
  std::optional<Clock::time_point> at() const { return at_; }

 private:
  std::optional<Clock::time_point> at_;
};

// wasi:io/error's error: what failed.
class IoError : public Object {
 public:
  explicit IoError(std::string m) : message(std::move(m)) {}
  std::string message;
};

void add_io(component::Linker& l);

}  // namespace witserve::wasi
