// Value: a component-model value held by the host, for any type (like wasmtime's component Val).
// A Value is interpreted against a TypeRef (types.h): records and tuples keep their members in
// declaration order, variants/enums/options/results keep a case index, flags keep a bit set.
// The canonical ABI (canonical_abi.h) lowers Values into guest memory and lifts them back; WAVE
// (wave.h) reads and prints them. Plain copyable data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/component/types.h"

namespace witserve::component {

class Value {
 public:
  Value() = default;

  static Value boolean(bool v) { Value x(TypeKind::kBool); x.u_ = v; return x; }
  static Value s8(int8_t v) { Value x(TypeKind::kS8); x.i_ = v; return x; }
  static Value u8(uint8_t v) { Value x(TypeKind::kU8); x.u_ = v; return x; }
  static Value s16(int16_t v) { Value x(TypeKind::kS16); x.i_ = v; return x; }
  static Value u16(uint16_t v) { Value x(TypeKind::kU16); x.u_ = v; return x; }
  static Value s32(int32_t v) { Value x(TypeKind::kS32); x.i_ = v; return x; }
  static Value u32(uint32_t v) { Value x(TypeKind::kU32); x.u_ = v; return x; }
  static Value s64(int64_t v) { Value x(TypeKind::kS64); x.i_ = v; return x; }
  static Value u64(uint64_t v) { Value x(TypeKind::kU64); x.u_ = v; return x; }
  static Value f32(float v) { Value x(TypeKind::kF32); x.f_ = v; return x; }
  static Value f64(double v) { Value x(TypeKind::kF64); x.f_ = v; return x; }
  static Value character(char32_t v) { Value x(TypeKind::kChar); x.u_ = v; return x; }
  static Value string(std::string utf8) { Value x(TypeKind::kString); x.s_ = std::move(utf8); return x; }
  static Value list(std::vector<Value> items) { Value x(TypeKind::kList); x.items_ = std::move(items); return x; }
  // A list<u8> held as bytes: the canonical ABI copies it in and out whole (bodies, streams).
  // items() still gives one u8 Value per byte, made on first use.
  static Value bytes(std::string data) {
    Value x(TypeKind::kList);
    x.s_ = std::move(data);
    x.is_bytes_ = true;
    return x;
  }
  static Value record(std::vector<Value> fields) { Value x(TypeKind::kRecord); x.items_ = std::move(fields); return x; }
  static Value tuple(std::vector<Value> elements) { Value x(TypeKind::kTuple); x.items_ = std::move(elements); return x; }
  // `payload` present iff the case has a payload type.
  static Value variant(uint32_t case_index, std::optional<Value> payload = std::nullopt) {
    return with_case(TypeKind::kVariant, case_index, std::move(payload));
  }
  static Value enumeration(uint32_t case_index) { return with_case(TypeKind::kEnum, case_index, std::nullopt); }
  static Value none() { return with_case(TypeKind::kOption, 0, std::nullopt); }
  static Value some(Value v) { return with_case(TypeKind::kOption, 1, std::move(v)); }
  static Value ok(std::optional<Value> v = std::nullopt) { return with_case(TypeKind::kResult, 0, std::move(v)); }
  static Value err(std::optional<Value> v = std::nullopt) { return with_case(TypeKind::kResult, 1, std::move(v)); }
  // Bit i set = label i of the flags type is present (flags have at most 32 labels).
  static Value flags(uint32_t bits) { Value x(TypeKind::kFlags); x.u_ = bits; return x; }
  // A handle to a resource, as an index into the host's table of resources for the instance.
  static Value own(uint32_t handle) { Value x(TypeKind::kOwn); x.u_ = handle; return x; }
  static Value borrow(uint32_t handle) { Value x(TypeKind::kBorrow); x.u_ = handle; return x; }

  TypeKind kind() const { return kind_; }

  bool as_bool() const { return u_ != 0; }
  int64_t as_signed() const { return i_; }     // s8..s64
  uint64_t as_unsigned() const { return u_; }  // u8..u64, char, flags, handles
  double as_float() const { return f_; }       // f32, f64
  char32_t as_char() const { return char32_t(u_); }
  const std::string& as_string() const { return s_; }
  // list elements, record fields, tuple elements
  const std::vector<Value>& items() const {
    if (is_bytes_ && items_.size() != s_.size()) {
      items_.reserve(s_.size());
      for (unsigned char c : s_) items_.push_back(u8(c));
    }
    return items_;
  }
  // A list made by bytes(): its bytes without a Value per byte.
  bool is_bytes() const { return is_bytes_; }
  const std::string& byte_data() const { return s_; }
  // variant/enum/option/result: the case index (option: 0 none, 1 some; result: 0 ok, 1 error)
  uint32_t case_index() const { return uint32_t(u_); }
  const Value* payload() const { return items_.empty() ? nullptr : &items_[0]; }
  uint32_t flag_bits() const { return uint32_t(u_); }
  uint32_t handle() const { return uint32_t(u_); }

  bool operator==(const Value& o) const;

 private:
  explicit Value(TypeKind k) : kind_(k) {}
  static Value with_case(TypeKind k, uint32_t index, std::optional<Value> payload) {
    Value x(k);
    x.u_ = index;
    if (payload) x.items_.push_back(std::move(*payload));
    return x;
  }

  TypeKind kind_ = TypeKind::kBool;
  uint64_t u_ = 0;
  int64_t i_ = 0;
  double f_ = 0;
  std::string s_;
  mutable std::vector<Value> items_;  // for a bytes() list: made by items() on first use
  bool is_bytes_ = false;
};

// Checks that `v` is a value of type `t` (kinds, counts, case indices, payload presence, char
// validity, flag bits within the labels). Says what is wrong and where.
Status check_value(const Value& v, TypeRef t);

}  // namespace witserve::component
