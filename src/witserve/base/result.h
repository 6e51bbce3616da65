// Error and Result<T>: how every layer of witserve reports an expected failure.
// An Error carries a kind (what sort of failure, so callers can branch on it) and a message that
// accumulates context as it travels up ("instantiate handler.wasm: import env.log: ...").
// A trap inside wasm is ErrorKind::Trap with the engine's trap message. No exception crosses a
// layer boundary. Plain values: any thread may use them.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace witserve {

enum class ErrorKind {
  kInvalidArgument,  // the caller passed something unusable
  kMalformed,        // bytes that do not decode (a wasm binary, a request)
  kLink,             // imports that do not satisfy a module or component
  kTrap,             // wasm trapped (unreachable, out of bounds, stack overflow, ...)
  kInterrupted,      // a call stopped from outside (deadline, shutdown)
  kHost,             // a host function reported a failure to its wasm caller
  kNotFound,
  kIo,
  kUnsupported,
  kInternal,
};

std::string_view to_string(ErrorKind kind);

class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with what was being done: "what: message".
  Error&& with_context(std::string_view what) && {
    message_.insert(0, std::string(what) + ": ");
    return std::move(*this);
  }

  // "trap: unreachable" — kind and message, for logs and CLI output.
  std::string to_string() const;

 private:
  ErrorKind kind_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { assert(failed_); return error_; }
  Error&& error() && { assert(failed_); return std::move(error_); }

 private:
  Error error_{ErrorKind::kInternal, {}};
  bool failed_ = false;
};

using Status = Result<void>;

inline Status ok() { return {}; }

}  // namespace witserve

#define WITSERVE_CONCAT_INNER_(a, b) a##b
#define WITSERVE_CONCAT_(a, b) WITSERVE_CONCAT_INNER_(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define WITSERVE_TRY(expr)                                        \
  do {                                                            \
    auto&& witserve_try_result_ = (expr);                         \
    if (!witserve_try_result_.ok())                               \
      return std::move(witserve_try_result_).error();             \
  } while (0)

// `WITSERVE_ASSIGN_OR_RETURN(auto x, f());` binds the value or returns the error.
#define WITSERVE_ASSIGN_OR_RETURN(lhs, expr) \
  WITSERVE_ASSIGN_OR_RETURN_IMPL_(WITSERVE_CONCAT_(witserve_r_, __LINE__), lhs, expr)
#define WITSERVE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return std::move(tmp).error();         \
  lhs = std::move(tmp).value()
