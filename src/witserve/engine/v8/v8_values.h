// Values between witserve and V8: typed core values to and from JS numbers and BigInts, argument
// checks, and small stack buffers for a call's values. Internal to the V8 backend (includes V8);
// used on a store's thread.
#pragma once

#include <v8.h>

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/engine/types.h"

namespace witserve::engine::v8backend {

constexpr size_t kInlineVals = 16;

// A few values on the stack; more spill to the heap. Keeps the call path allocation-free for
// ordinary signatures.
template <typename T>
class SmallBuf {
 public:
  explicit SmallBuf(size_t n) : n_(n) {
    if (n > kInlineVals) heap_.resize(n);
  }
  T* data() { return n_ > kInlineVals ? heap_.data() : inline_.data(); }
  T& operator[](size_t i) { return data()[i]; }
  size_t size() const { return n_; }

 private:
  size_t n_;
  std::array<T, kInlineVals> inline_{};
  std::vector<T> heap_;
};

inline v8::Local<v8::String> v8_str(v8::Isolate* iso, std::string_view s) {
  return v8::String::NewFromUtf8(iso, s.data(), v8::NewStringType::kNormal, int(s.size()))
      .ToLocalChecked();
}

inline std::string to_std(v8::Isolate* iso, v8::Local<v8::Value> v) {
  v8::String::Utf8Value s(iso, v);
  return *s ? std::string(*s, s.length()) : std::string("<unprintable>");
}

inline v8::Local<v8::Value> to_js(v8::Isolate* iso, const Val& v) {
  switch (v.type) {
    case ValType::kI32: return v8::Integer::New(iso, v.of.i32);
    case ValType::kI64: return v8::BigInt::New(iso, v.of.i64);
    case ValType::kF32: return v8::Number::New(iso, double(v.of.f32));
    case ValType::kF64: return v8::Number::New(iso, v.of.f64);
    default: return v8::Undefined(iso);
  }
}

// Values V8 hands over already have the wasm type's JS form (Number or BigInt), so conversion
// cannot fail or run user code.
inline Val from_js(v8::Local<v8::Context> ctx, ValType t, v8::Local<v8::Value> v) {
  switch (t) {
    case ValType::kI32:
      return Val::i32(v->IsInt32() ? v.As<v8::Int32>()->Value() : v->Int32Value(ctx).FromMaybe(0));
    case ValType::kI64:
      return Val::i64(v->IsBigInt() ? v.As<v8::BigInt>()->Int64Value() : 0);
    case ValType::kF32:
      return Val::f32(float(v->IsNumber() ? v.As<v8::Number>()->Value() : 0));
    case ValType::kF64:
      return Val::f64(v->IsNumber() ? v.As<v8::Number>()->Value() : 0);
    default:
      return Val::zero(t);
  }
}

inline Status check_args(const FuncType& type, std::span<const Val> args, std::span<Val> results) {
  if (args.size() != type.params.size())
    return Error(ErrorKind::kInvalidArgument,
                 "expected " + std::to_string(type.params.size()) + " arguments, got " +
                     std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].type != type.params[i])
      return Error(ErrorKind::kInvalidArgument,
                   "argument " + std::to_string(i) + " should be " + to_string(type.params[i]) +
                       ", got " + to_string(args[i].type));
  if (results.size() < type.results.size())
    return Error(ErrorKind::kInvalidArgument, "no room for " +
                                                  std::to_string(type.results.size()) + " results");
  for (auto t : type.params)
    if (t != ValType::kI32 && t != ValType::kI64 && t != ValType::kF32 && t != ValType::kF64)
      return Error(ErrorKind::kUnsupported, std::string(to_string(t)) + " values cannot cross the host boundary");
  return ok();
}

}  // namespace witserve::engine::v8backend
