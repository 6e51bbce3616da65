// The typed fast path: calls an exported component function with C++ values directly, without
// building Value trees. The C++ signature is checked against the export's component type once,
// when the TypedFunc is made; calls then lower and lift straight between C++ objects and guest
// memory using the resolved types' layouts.
//
// C++ type          component type
//   bool              bool
//   int8_t..int64_t   s8..s64        uint8_t..uint64_t   u8..u64
//   float, double     f32, f64       std::string         string (UTF-8 on the host side)
//   std::vector<T>    list<T>        std::optional<T>    option<T>
//   std::tuple<T...>  tuple<T...> or a record with those field types, in order
// Anything else (variants, enums, flags, results, handles) goes through Value (linker.h).
// Use on the instance's Store thread, like the instance.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "witserve/base/unicode.h"
#include "witserve/component/canonical_abi.h"
#include "witserve/component/linker.h"

namespace witserve::component {
namespace typed_detail {

using engine::Val;
using engine::ValType;

inline uint32_t align_up(uint32_t n, uint32_t a) { return (n + a - 1) / a * a; }
inline Error trap(const std::string& what) { return Error(ErrorKind::kTrap, what); }

template <typename T>
struct Abi;

// Lowers one value whether its Abi's lower can fail (returns Status) or not (returns void).
template <typename X>
Status lower_value(CanonContext& cx, const X& x, TypeRef t, std::vector<Val>& out);

// Integers and floats share one shape: a kind, a flat core type, and a byte width.
template <typename T, TypeKind K>
struct NumberAbi {
  static constexpr bool is_float = std::is_floating_point_v<T>;
  static bool matches(TypeRef t) { return t->kind == K; }
  static void lower(CanonContext&, const T& v, TypeRef, std::vector<Val>& out) {
    if constexpr (std::is_same_v<T, float>) out.push_back(Val::f32(v));
    else if constexpr (std::is_same_v<T, double>) out.push_back(Val::f64(v));
    else if constexpr (sizeof(T) == 8) out.push_back(Val::i64(int64_t(v)));
    else out.push_back(Val::i32(int32_t(v)));
  }
  static Result<T> lift(CanonContext&, TypeRef, std::span<const Val> f, size_t& pos) {
    const Val& v = f[pos++];
    if constexpr (std::is_same_v<T, float>) return v.of.f32;
    else if constexpr (std::is_same_v<T, double>) return v.of.f64;
    else if constexpr (sizeof(T) == 8) return T(v.of.i64);
    else return T(v.of.i32);
  }
  static Status store(CanonContext& cx, const T& v, TypeRef, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    std::memcpy(m.data() + ptr, &v, sizeof(T));
    return ok();
  }
  static Result<T> load(CanonContext& cx, TypeRef, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    T v;
    std::memcpy(&v, m.data() + ptr, sizeof(T));
    return v;
  }
};

template <> struct Abi<int8_t> : NumberAbi<int8_t, TypeKind::kS8> {};
template <> struct Abi<uint8_t> : NumberAbi<uint8_t, TypeKind::kU8> {};
template <> struct Abi<int16_t> : NumberAbi<int16_t, TypeKind::kS16> {};
template <> struct Abi<uint16_t> : NumberAbi<uint16_t, TypeKind::kU16> {};
template <> struct Abi<int32_t> : NumberAbi<int32_t, TypeKind::kS32> {};
template <> struct Abi<uint32_t> : NumberAbi<uint32_t, TypeKind::kU32> {};
template <> struct Abi<int64_t> : NumberAbi<int64_t, TypeKind::kS64> {};
template <> struct Abi<uint64_t> : NumberAbi<uint64_t, TypeKind::kU64> {};
template <> struct Abi<float> : NumberAbi<float, TypeKind::kF32> {};
template <> struct Abi<double> : NumberAbi<double, TypeKind::kF64> {};

template <>
struct Abi<bool> {
  static bool matches(TypeRef t) { return t->kind == TypeKind::kBool; }
  static void lower(CanonContext&, bool v, TypeRef, std::vector<Val>& out) { out.push_back(Val::i32(v)); }
  static Result<bool> lift(CanonContext&, TypeRef, std::span<const Val> f, size_t& pos) { return f[pos++].of.i32 != 0; }
  static Status store(CanonContext& cx, bool v, TypeRef, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    m[ptr] = v;
    return ok();
  }
  static Result<bool> load(CanonContext& cx, TypeRef, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    return m[ptr] != 0;
  }
};

template <>
struct Abi<std::string> {
  static bool matches(TypeRef t) { return t->kind == TypeKind::kString; }
  static Status lower(CanonContext& cx, const std::string& v, TypeRef, std::vector<Val>& out) {
    if (!is_valid_utf8(v)) return Error(ErrorKind::kInvalidArgument, "string argument is not valid UTF-8");
    WITSERVE_ASSIGN_OR_RETURN(auto r, cx.store_string(v));
    out.push_back(Val::i32(int32_t(r.first)));
    out.push_back(Val::i32(int32_t(r.second)));
    return ok();
  }
  static Result<std::string> lift(CanonContext& cx, TypeRef, std::span<const Val> f, size_t& pos) {
    uint32_t p = uint32_t(f[pos].of.i32), n = uint32_t(f[pos + 1].of.i32);
    pos += 2;
    return cx.load_string(p, n);
  }
  static Status store(CanonContext& cx, const std::string& v, TypeRef, uint32_t ptr) {
    if (!is_valid_utf8(v)) return Error(ErrorKind::kInvalidArgument, "string argument is not valid UTF-8");
    WITSERVE_ASSIGN_OR_RETURN(auto r, cx.store_string(v));
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    std::memcpy(m.data() + ptr, &r.first, 4);
    std::memcpy(m.data() + ptr + 4, &r.second, 4);
    return ok();
  }
  static Result<std::string> load(CanonContext& cx, TypeRef, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    uint32_t p, n;
    std::memcpy(&p, m.data() + ptr, 4);
    std::memcpy(&n, m.data() + ptr + 4, 4);
    return cx.load_string(p, n);
  }
};

template <typename T>
struct Abi<std::vector<T>> {
  static bool matches(TypeRef t) {
    return t->kind == TypeKind::kList && !t->fixed_length && Abi<T>::matches(t->element);
  }
  static Result<std::pair<uint32_t, uint32_t>> store_elements(CanonContext& cx, const std::vector<T>& v, TypeRef t) {
    TypeRef e = t->element;
    uint64_t bytes = uint64_t(v.size()) * e->size;
    if (bytes > kMaxListByteLength) return trap("list too long to pass to the guest");
    WITSERVE_ASSIGN_OR_RETURN(uint32_t base, cx.realloc(0, 0, e->align, uint32_t(bytes)));
    if constexpr (std::is_same_v<T, uint8_t>) {
      WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
      if (!v.empty()) std::memcpy(m.data() + base, v.data(), v.size());
    } else {
      for (size_t i = 0; i < v.size(); ++i) WITSERVE_TRY(Abi<T>::store(cx, v[i], e, base + uint32_t(i) * e->size));
    }
    return std::pair{base, uint32_t(v.size())};
  }
  static Result<std::vector<T>> load_elements(CanonContext& cx, TypeRef t, uint32_t base, uint32_t n) {
    TypeRef e = t->element;
    uint64_t bytes = uint64_t(n) * e->size;
    if (bytes > kMaxListByteLength)
      return trap("list of " + std::to_string(n) + " elements exceeds the canonical ABI limit");
    WITSERVE_TRY(cx.check_range(base, bytes, e->align, "list"));
    std::vector<T> out;
    if constexpr (std::is_same_v<T, uint8_t>) {
      WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
      out.assign(m.data() + base, m.data() + base + n);
    } else {
      out.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        WITSERVE_ASSIGN_OR_RETURN(T x, Abi<T>::load(cx, e, base + i * e->size));
        out.push_back(std::move(x));
      }
    }
    return out;
  }
  static Status lower(CanonContext& cx, const std::vector<T>& v, TypeRef t, std::vector<Val>& out) {
    WITSERVE_ASSIGN_OR_RETURN(auto r, store_elements(cx, v, t));
    out.push_back(Val::i32(int32_t(r.first)));
    out.push_back(Val::i32(int32_t(r.second)));
    return ok();
  }
  static Result<std::vector<T>> lift(CanonContext& cx, TypeRef t, std::span<const Val> f, size_t& pos) {
    uint32_t p = uint32_t(f[pos].of.i32), n = uint32_t(f[pos + 1].of.i32);
    pos += 2;
    return load_elements(cx, t, p, n);
  }
  static Status store(CanonContext& cx, const std::vector<T>& v, TypeRef t, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto r, store_elements(cx, v, t));
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    std::memcpy(m.data() + ptr, &r.first, 4);
    std::memcpy(m.data() + ptr + 4, &r.second, 4);
    return ok();
  }
  static Result<std::vector<T>> load(CanonContext& cx, TypeRef t, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    uint32_t p, n;
    std::memcpy(&p, m.data() + ptr, 4);
    std::memcpy(&n, m.data() + ptr + 4, 4);
    return load_elements(cx, t, p, n);
  }
};

template <typename T>
struct Abi<std::optional<T>> {
  static bool matches(TypeRef t) { return t->kind == TypeKind::kOption && Abi<T>::matches(t->element); }
  static Status lower(CanonContext& cx, const std::optional<T>& v, TypeRef t, std::vector<Val>& out) {
    out.push_back(Val::i32(v ? 1 : 0));
    if (v) return lower_value(cx, *v, t->element, out);
    for (size_t i = 1; i < t->flat.size(); ++i) out.push_back(Val::zero(t->flat[i]));
    return ok();
  }
  static Result<std::optional<T>> lift(CanonContext& cx, TypeRef t, std::span<const Val> f, size_t& pos) {
    uint32_t disc = uint32_t(f[pos++].of.i32);
    if (disc > 1) return trap("discriminant " + std::to_string(disc) + " out of range for " + to_string(t));
    if (disc == 0) {
      pos += t->flat.size() - 1;
      return std::optional<T>();
    }
    WITSERVE_ASSIGN_OR_RETURN(T x, Abi<T>::lift(cx, t->element, f, pos));
    return std::optional<T>(std::move(x));
  }
  static Status store(CanonContext& cx, const std::optional<T>& v, TypeRef t, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    m[ptr] = v ? 1 : 0;
    if (v) return Abi<T>::store(cx, *v, t->element, align_up(ptr + 1, t->element->align));
    return ok();
  }
  static Result<std::optional<T>> load(CanonContext& cx, TypeRef t, uint32_t ptr) {
    WITSERVE_ASSIGN_OR_RETURN(auto m, cx.mem());
    uint8_t disc = m[ptr];
    if (disc > 1) return trap("discriminant " + std::to_string(disc) + " out of range for " + to_string(t));
    if (disc == 0) return std::optional<T>();
    WITSERVE_ASSIGN_OR_RETURN(T x, Abi<T>::load(cx, t->element, align_up(ptr + 1, t->element->align)));
    return std::optional<T>(std::move(x));
  }
};

// Records and tuples: members in declaration order.
template <typename... Ts>
struct Abi<std::tuple<Ts...>> {
  static TypeRef member(TypeRef t, size_t i) {
    return t->kind == TypeKind::kRecord ? t->fields[i].type : t->elements[i];
  }
  static bool matches(TypeRef t) {
    size_t n = t->kind == TypeKind::kRecord ? t->fields.size() : t->kind == TypeKind::kTuple ? t->elements.size() : 0;
    if (n != sizeof...(Ts)) return false;
    return matches_each(t, std::index_sequence_for<Ts...>{});
  }
  template <size_t... I>
  static bool matches_each(TypeRef t, std::index_sequence<I...>) {
    return (Abi<Ts>::matches(member(t, I)) && ...);
  }
  static Status lower(CanonContext& cx, const std::tuple<Ts...>& v, TypeRef t, std::vector<Val>& out) {
    Status st;
    size_t i = 0;
    std::apply([&](const auto&... x) { ((st.ok() ? (void)(st = lower_value(cx, x, member(t, i++), out)) : (void)0), ...); }, v);
    return st;
  }
  static Result<std::tuple<Ts...>> lift(CanonContext& cx, TypeRef t, std::span<const Val> f, size_t& pos) {
    return lift_each(cx, t, f, pos, std::index_sequence_for<Ts...>{});
  }
  template <size_t... I>
  static Result<std::tuple<Ts...>> lift_each(CanonContext& cx, TypeRef t, std::span<const Val> f, size_t& pos,
                                             std::index_sequence<I...>) {
    std::tuple<std::optional<Ts>...> parts;
    Status st;
    ((st.ok() ? (void)(lift_into<I>(cx, t, f, pos, std::get<I>(parts), st)) : (void)0), ...);
    if (!st.ok()) return std::move(st).error();
    return std::tuple<Ts...>(std::move(*std::get<I>(parts))...);
  }
  template <size_t I, typename X>
  static void lift_into(CanonContext& cx, TypeRef t, std::span<const Val> f, size_t& pos, std::optional<X>& slot,
                        Status& st) {
    auto r = Abi<X>::lift(cx, member(t, I), f, pos);
    if (r.ok()) slot = std::move(*r);
    else st = std::move(r).error();
  }
  static Status store(CanonContext& cx, const std::tuple<Ts...>& v, TypeRef t, uint32_t ptr) {
    Status st;
    uint32_t off = ptr;
    size_t i = 0;
    std::apply(
        [&](const auto&... x) {
          ((st.ok() ? (void)([&] {
             TypeRef mt = member(t, i++);
             off = align_up(off, mt->align);
             st = store_one(cx, x, mt, off);
             off += mt->size;
           }())
                    : (void)0),
           ...);
        },
        v);
    return st;
  }
  template <typename X>
  static Status store_one(CanonContext& cx, const X& x, TypeRef t, uint32_t ptr) {
    return Abi<X>::store(cx, x, t, ptr);
  }
  static Result<std::tuple<Ts...>> load(CanonContext& cx, TypeRef t, uint32_t ptr) {
    return load_each(cx, t, ptr, std::index_sequence_for<Ts...>{});
  }
  template <size_t... I>
  static Result<std::tuple<Ts...>> load_each(CanonContext& cx, TypeRef t, uint32_t ptr, std::index_sequence<I...>) {
    std::tuple<std::optional<Ts>...> parts;
    Status st;
    uint32_t off = ptr;
    ((st.ok() ? (void)([&] {
       TypeRef mt = member(t, I);
       off = align_up(off, mt->align);
       auto r = Abi<std::tuple_element_t<I, std::tuple<Ts...>>>::load(cx, mt, off);
       if (r.ok()) std::get<I>(parts) = std::move(*r);
       else st = std::move(r).error();
       off += mt->size;
     }())
              : (void)0),
     ...);
    if (!st.ok()) return std::move(st).error();
    return std::tuple<Ts...>(std::move(*std::get<I>(parts))...);
  }
};

template <typename X>
Status lower_value(CanonContext& cx, const X& x, TypeRef t, std::vector<Val>& out) {  // declared above
  if constexpr (std::is_same_v<decltype(Abi<X>::lower(cx, x, t, out)), void>) {
    Abi<X>::lower(cx, x, t, out);
    return ok();
  } else {
    return Abi<X>::lower(cx, x, t, out);
  }
}

}  // namespace typed_detail

template <typename Sig>
class TypedFunc;

// An exported function called with C++ values: TypedFunc<std::string(std::string)>::lookup(...).
template <typename R, typename... A>
class TypedFunc<R(A...)> {
 public:
  // Finds export `name` (in exported instance `instance`, if given) and checks that its component
  // type is what the C++ signature says; a mismatch names the export and its type.
  static Result<TypedFunc> lookup(ComponentInstance& inst, std::string name, std::string instance = {}) {
    const FuncType* type = inst.export_type(name, instance);
    if (!type) return Error(ErrorKind::kNotFound, "no exported function '" + name + "'");
    bool ok_params = type->params.size() == sizeof...(A) && params_match(*type, std::index_sequence_for<A...>{});
    bool ok_result;
    if constexpr (std::is_void_v<R>) ok_result = type->result == nullptr;
    else ok_result = type->result && typed_detail::Abi<R>::matches(type->result);
    if (!ok_params || !ok_result)
      return Error(ErrorKind::kLink, "export '" + name + "' has type " + to_string(*type) +
                                         ", which does not fit the C++ signature it was looked up with");
    WITSERVE_ASSIGN_OR_RETURN(auto entry, inst.raw_entry(name, instance));
    return TypedFunc(std::move(entry), type);
  }

  Result<R> call(const A&... args) {
    using namespace typed_detail;
    std::optional<std::conditional_t<std::is_void_v<R>, int, R>> out;
    WITSERVE_TRY(entry_(
        [&](CanonContext& cx, std::vector<Val>& core) -> Status {
          if (!type_->params_spilled) {
            size_t i = 0;
            Status st;
            ((st.ok() ? (void)(st = lower_value(cx, args, type_->params[i++].type, core)) : (void)0), ...);
            return st;
          }
          // Spilled: the arguments as a tuple in memory the callee allocates.
          uint32_t size = 0, align = 1;
          for (const auto& p : type_->params) {
            size = align_up(size, p.type->align) + p.type->size;
            align = std::max(align, p.type->align);
          }
          WITSERVE_ASSIGN_OR_RETURN(uint32_t base, cx.realloc(0, 0, align, align_up(size, align)));
          uint32_t off = base;
          size_t i = 0;
          Status st;
          ((st.ok() ? (void)([&] {
             TypeRef pt = type_->params[i++].type;
             off = align_up(off, pt->align);
             st = Abi<A>::store(cx, args, pt, off);
             off += pt->size;
           }())
                    : (void)0),
           ...);
          WITSERVE_TRY(st);
          core.push_back(Val::i32(int32_t(base)));
          return ok();
        },
        [&](CanonContext& cx, std::span<const Val> core) -> Status {
          if constexpr (!std::is_void_v<R>) {
            if (type_->results_spilled) {
              uint32_t ptr = uint32_t(core[0].of.i32);
              WITSERVE_TRY(cx.check_range(ptr, type_->result->size, type_->result->align, "result"));
              WITSERVE_ASSIGN_OR_RETURN(R r, Abi<R>::load(cx, type_->result, ptr));
              out = std::move(r);
            } else {
              size_t pos = 0;
              WITSERVE_ASSIGN_OR_RETURN(R r, Abi<R>::lift(cx, type_->result, core, pos));
              out = std::move(r);
            }
          }
          return ok();
        }));
    if constexpr (std::is_void_v<R>) return ok();
    else return std::move(*out);
  }

 private:
  TypedFunc(ComponentInstance::RawEntry entry, const FuncType* type) : entry_(std::move(entry)), type_(type) {}

  template <size_t... I>
  static bool params_match(const FuncType& t, std::index_sequence<I...>) {
    return (typed_detail::Abi<std::decay_t<std::tuple_element_t<I, std::tuple<A...>>>>::matches(t.params[I].type) && ...);
  }

  ComponentInstance::RawEntry entry_;  // valid as long as the instance
  const FuncType* type_;
};

}  // namespace witserve::component
