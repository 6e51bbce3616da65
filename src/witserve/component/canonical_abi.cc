// Canonical ABI lifting and lowering. Function by function this follows definitions.py
// (load/store, lift_flat/lower_flat, *_flat_values, the string transcoders); see canonical_abi.h.
#include "witserve/component/canonical_abi.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "witserve/base/unicode.h"

namespace witserve::component {
namespace {

using engine::Val;
using engine::ValType;

Error trap(const std::string& what) { return Error(ErrorKind::kTrap, what); }

uint32_t align_to(uint32_t n, uint32_t a) { return (n + a - 1) / a * a; }

constexpr uint32_t kCanonicalNan32 = 0x7fc00000;
constexpr uint64_t kCanonicalNan64 = 0x7ff8000000000000;

float canon_f32(float f) { return std::isnan(f) ? std::bit_cast<float>(kCanonicalNan32) : f; }
double canon_f64(double f) { return std::isnan(f) ? std::bit_cast<double>(kCanonicalNan64) : f; }

void append_utf16(std::vector<uint16_t>& out, uint32_t cp) {
  if (cp < 0x10000) {
    out.push_back(uint16_t(cp));
  } else {
    cp -= 0x10000;
    out.push_back(uint16_t(0xD800 + (cp >> 10)));
    out.push_back(uint16_t(0xDC00 + (cp & 0x3FF)));
  }
}

template <typename T>
T read_le(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
void write_le(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

uint32_t i32_of(const Val& v) { return uint32_t(v.of.i32); }

// Reinterprets a flat value of type `have` as the narrower `want` a variant case asked for.
Val coerce(const Val& v, ValType want) {
  if (v.type == want) return v;
  if (v.type == ValType::kI32 && want == ValType::kF32) return Val::f32(std::bit_cast<float>(v.of.i32));
  if (v.type == ValType::kI64 && want == ValType::kI32) return Val::i32(int32_t(uint32_t(v.of.i64)));
  if (v.type == ValType::kI64 && want == ValType::kF32)
    return Val::f32(std::bit_cast<float>(uint32_t(v.of.i64)));
  if (v.type == ValType::kI64 && want == ValType::kF64) return Val::f64(std::bit_cast<double>(v.of.i64));
  return v;
}

// Widens a case's flat value to the joined variant slot type.
Val widen(const Val& v, ValType slot) {
  if (v.type == slot) return v;
  if (v.type == ValType::kF32 && slot == ValType::kI32) return Val::i32(std::bit_cast<int32_t>(v.of.f32));
  if (v.type == ValType::kI32 && slot == ValType::kI64) return Val::i64(int64_t(uint32_t(v.of.i32)));
  if (v.type == ValType::kF32 && slot == ValType::kI64)
    return Val::i64(int64_t(std::bit_cast<uint32_t>(v.of.f32)));
  if (v.type == ValType::kF64 && slot == ValType::kI64) return Val::i64(std::bit_cast<int64_t>(v.of.f64));
  return v;
}

uint32_t max_case_align(TypeRef t) {
  uint32_t a = 1;
  for (const auto& c : t->cases)
    if (c.type) a = std::max(a, c.type->align);
  return a;
}

// The case list of a variant-like type; enum cases have no payloads.
size_t case_count(TypeRef t) { return t->kind == TypeKind::kEnum ? t->labels.size() : t->cases.size(); }
TypeRef case_type(TypeRef t, uint32_t i) { return t->kind == TypeKind::kEnum ? nullptr : t->cases[i].type; }

}  // namespace

// ---- memory ----------------------------------------------------------------------------------

Result<std::span<uint8_t>> CanonContext::mem() {
  if (!opts_.memory) return trap("this value needs linear memory, but no memory option was given");
  if (!mem_valid_) {
    mem_ = opts_.memory->data();
    mem_valid_ = true;
  }
  return mem_;
}

Status CanonContext::check_range(uint32_t ptr, uint64_t len, uint32_t align, const char* what) {
  WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
  if (align > 1 && ptr % align != 0)
    return trap(std::string(what) + " pointer " + std::to_string(ptr) + " is not aligned to " +
                std::to_string(align));
  if (uint64_t(ptr) + len > m.size())
    return trap(std::string(what) + " at " + std::to_string(ptr) + " (+" + std::to_string(len) +
                " bytes) is out of bounds of memory (" + std::to_string(m.size()) + " bytes)");
  return ok();
}

Result<uint32_t> CanonContext::realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align,
                                       uint32_t new_size) {
  if (!opts_.realloc) return trap("values must be allocated in guest memory, but no realloc was given");
  Val args[4] = {Val::i32(int32_t(old_ptr)), Val::i32(int32_t(old_size)), Val::i32(int32_t(align)),
                 Val::i32(int32_t(new_size))};
  Val result[1];
  mem_valid_ = false;  // guest code runs: memory may grow and move
  WITSERVE_TRY(opts_.realloc->call(args, result));
  uint32_t ptr = i32_of(result[0]);
  WITSERVE_TRY(check_range(ptr, new_size, align, "realloc result"));
  return ptr;
}

// ---- strings ---------------------------------------------------------------------------------

// Stores scalar values as UTF-16 the way store_utf8_to_utf16 does: allocate the worst case
// (2 bytes per source UTF-8 byte), then shrink to the encoded size. `tag` marks the length.
Result<std::pair<uint32_t, uint32_t>> CanonContext::store_utf16(const std::vector<char32_t>& cps,
                                                                 uint32_t src_units, uint32_t tag) {
  std::vector<uint16_t> u16;
  for (char32_t cp : cps) append_utf16(u16, cp);
  uint32_t worst = 2 * src_units;
  WITSERVE_ASSIGN_OR_RETURN(uint32_t ptr, realloc(0, 0, 2, worst));
  uint32_t bytes = uint32_t(u16.size() * 2);
  WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
  if (bytes) std::memcpy(m.data() + ptr, u16.data(), bytes);  // an empty vector's data() may be null
  if (bytes < worst) {
    WITSERVE_ASSIGN_OR_RETURN(ptr, realloc(ptr, worst, 2, bytes));
  }
  return std::pair{ptr, uint32_t(u16.size()) | tag};
}

Result<std::pair<uint32_t, uint32_t>> CanonContext::store_string(const std::string& s) {
  if (s.size() > kMaxStringByteLength) return trap("string too long to pass to the guest");
  uint32_t units = uint32_t(s.size());  // host strings are UTF-8: code units = bytes
  switch (opts_.encoding) {
    case ast::StringEncoding::kUtf8: {
      WITSERVE_ASSIGN_OR_RETURN(uint32_t ptr, realloc(0, 0, 1, units));
      WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
      std::memcpy(m.data() + ptr, s.data(), units);
      return std::pair{ptr, units};
    }
    case ast::StringEncoding::kUtf16:
      return store_utf16(decode_valid_utf8(s), units, 0);
    case ast::StringEncoding::kLatin1Utf16: {
      auto cps = decode_valid_utf8(s);
      bool latin1 = true;
      for (char32_t cp : cps) latin1 &= cp < 256;
      if (latin1) {
        WITSERVE_ASSIGN_OR_RETURN(uint32_t ptr, realloc(0, 0, 2, units));
        WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
        for (size_t i = 0; i < cps.size(); ++i) m[ptr + i] = uint8_t(cps[i]);
        uint32_t n = uint32_t(cps.size());
        if (n < units) {
          WITSERVE_ASSIGN_OR_RETURN(ptr, realloc(ptr, units, 2, n));
        }
        return std::pair{ptr, n};
      }
      return store_utf16(cps, units, kUtf16Tag);
    }
  }
  return trap("unknown string encoding");
}

Result<std::string> CanonContext::load_string(uint32_t ptr, uint32_t tagged_units) {
  enum { kUtf8, kUtf16, kLatin1 } enc;
  uint64_t byte_length;
  uint32_t align;
  switch (opts_.encoding) {
    case ast::StringEncoding::kUtf8: enc = kUtf8; byte_length = tagged_units; align = 1; break;
    case ast::StringEncoding::kUtf16: enc = kUtf16; byte_length = 2ull * tagged_units; align = 2; break;
    default:
      align = 2;
      if (tagged_units & kUtf16Tag) {
        enc = kUtf16;
        byte_length = 2ull * (tagged_units ^ kUtf16Tag);
      } else {
        enc = kLatin1;
        byte_length = tagged_units;
      }
  }
  if (byte_length > kMaxStringByteLength)
    return trap("string of " + std::to_string(byte_length) + " bytes exceeds the canonical ABI limit");
  WITSERVE_TRY(check_range(ptr, byte_length, align, "string"));
  WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
  const uint8_t* p = m.data() + ptr;
  std::string out;
  switch (enc) {
    case kUtf8:
      out.assign(reinterpret_cast<const char*>(p), byte_length);
      if (!is_valid_utf8(out)) return trap("string is not valid UTF-8");
      return out;
    case kLatin1:
      out.reserve(byte_length);
      for (uint64_t i = 0; i < byte_length; ++i) append_utf8(out, p[i]);
      return out;
    case kUtf16: {
      size_t n = byte_length / 2;
      out.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        uint32_t u = read_le<uint16_t>(p + 2 * i);
        if (u >= 0xD800 && u <= 0xDBFF) {
          if (i + 1 >= n) return trap("string is not valid UTF-16 (unpaired surrogate)");
          uint32_t lo = read_le<uint16_t>(p + 2 * (i + 1));
          if (lo < 0xDC00 || lo > 0xDFFF) return trap("string is not valid UTF-16 (unpaired surrogate)");
          u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
          ++i;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
          return trap("string is not valid UTF-16 (unpaired surrogate)");
        }
        append_utf8(out, u);
      }
      return out;
    }
  }
  return out;
}

// ---- lists -----------------------------------------------------------------------------------

Result<std::pair<uint32_t, uint32_t>> CanonContext::store_list(const Value& v, TypeRef elem) {
  if (v.is_bytes() && elem->kind == TypeKind::kU8) {
    const std::string& data = v.byte_data();
    if (data.size() > kMaxListByteLength) return trap("list too long to pass to the guest");
    WITSERVE_ASSIGN_OR_RETURN(uint32_t ptr, realloc(0, 0, 1, uint32_t(data.size())));
    WITSERVE_TRY(check_range(ptr, data.size(), 1, "list"));
    WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
    if (!data.empty()) std::memcpy(m.data() + ptr, data.data(), data.size());
    return std::pair{ptr, uint32_t(data.size())};
  }
  uint64_t bytes = uint64_t(v.items().size()) * elem->size;
  if (bytes > kMaxListByteLength) return trap("list too long to pass to the guest");
  WITSERVE_ASSIGN_OR_RETURN(uint32_t ptr, realloc(0, 0, elem->align, uint32_t(bytes)));
  for (size_t i = 0; i < v.items().size(); ++i)
    WITSERVE_TRY(store(v.items()[i], elem, ptr + uint32_t(i) * elem->size));
  return std::pair{ptr, uint32_t(v.items().size())};
}

Result<Value> CanonContext::load_list(uint32_t ptr, uint32_t length, TypeRef elem) {
  uint64_t bytes = uint64_t(length) * elem->size;
  if (bytes > kMaxListByteLength)
    return trap("list of " + std::to_string(length) + " elements exceeds the canonical ABI limit");
  WITSERVE_TRY(check_range(ptr, bytes, elem->align, "list"));
  if (elem->kind == TypeKind::kU8) {  // byte lists are common (bodies): copied whole
    WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
    return Value::bytes(std::string(reinterpret_cast<const char*>(m.data() + ptr), length));
  }
  std::vector<Value> items;
  items.reserve(length);
  for (uint32_t i = 0; i < length; ++i) {
    WITSERVE_ASSIGN_OR_RETURN(Value e, load(elem, ptr + i * elem->size));
    items.push_back(std::move(e));
  }
  return Value::list(std::move(items));
}

// ---- store / load ----------------------------------------------------------------------------

Status CanonContext::store(const Value& v, TypeRef t, uint32_t ptr) {
  WITSERVE_TRY(check_range(ptr, t->size, t->align, "value"));
  auto m_or = mem();
  if (!m_or.ok()) return std::move(m_or).error();
  uint8_t* p = m_or->data() + ptr;
  switch (t->kind) {
    case TypeKind::kBool: *p = v.as_bool() ? 1 : 0; return ok();
    case TypeKind::kU8: *p = uint8_t(v.as_unsigned()); return ok();
    case TypeKind::kS8: *p = uint8_t(v.as_signed()); return ok();
    case TypeKind::kU16: write_le(p, uint16_t(v.as_unsigned())); return ok();
    case TypeKind::kS16: write_le(p, uint16_t(v.as_signed())); return ok();
    case TypeKind::kU32: case TypeKind::kChar: write_le(p, uint32_t(v.as_unsigned())); return ok();
    case TypeKind::kS32: write_le(p, uint32_t(v.as_signed())); return ok();
    case TypeKind::kU64: write_le(p, v.as_unsigned()); return ok();
    case TypeKind::kS64: write_le(p, uint64_t(v.as_signed())); return ok();
    case TypeKind::kF32: write_le(p, canon_f32(float(v.as_float()))); return ok();
    case TypeKind::kF64: write_le(p, canon_f64(v.as_float())); return ok();
    case TypeKind::kString: {
      WITSERVE_ASSIGN_OR_RETURN(auto r, store_string(v.as_string()));
      WITSERVE_ASSIGN_OR_RETURN(auto m, mem());  // realloc may have moved memory
      write_le(m.data() + ptr, r.first);
      write_le(m.data() + ptr + 4, r.second);
      return ok();
    }
    case TypeKind::kList: {
      if (t->fixed_length) {
        for (uint32_t i = 0; i < *t->fixed_length; ++i)
          WITSERVE_TRY(store(v.items()[i], t->element, ptr + i * t->element->size));
        return ok();
      }
      WITSERVE_ASSIGN_OR_RETURN(auto r, store_list(v, t->element));
      WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
      write_le(m.data() + ptr, r.first);
      write_le(m.data() + ptr + 4, r.second);
      return ok();
    }
    case TypeKind::kRecord:
    case TypeKind::kTuple: {
      uint32_t off = ptr;
      size_t n = t->kind == TypeKind::kRecord ? t->fields.size() : t->elements.size();
      for (size_t i = 0; i < n; ++i) {
        TypeRef ft = t->kind == TypeKind::kRecord ? t->fields[i].type : t->elements[i];
        off = align_to(off, ft->align);
        WITSERVE_TRY(store(v.items()[i], ft, off));
        off += ft->size;
      }
      return ok();
    }
    case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult: case TypeKind::kEnum: {
      uint32_t disc = discriminant_size(case_count(t));
      uint32_t index = v.case_index();
      if (disc == 1) *p = uint8_t(index);
      else if (disc == 2) write_le(p, uint16_t(index));
      else write_le(p, index);
      TypeRef ct = case_type(t, index);
      if (ct) WITSERVE_TRY(store(*v.payload(), ct, align_to(ptr + disc, max_case_align(t))));
      return ok();
    }
    case TypeKind::kFlags:
      if (t->size == 1) *p = uint8_t(v.flag_bits());
      else if (t->size == 2) write_le(p, uint16_t(v.flag_bits()));
      else write_le(p, v.flag_bits());
      return ok();
    case TypeKind::kOwn:
    case TypeKind::kBorrow: {
      if (!opts_.resources) return trap("resource handles are not supported in this context");
      auto h = t->kind == TypeKind::kOwn ? opts_.resources->lower_own(t->resource, v.handle())
                                         : opts_.resources->lower_borrow(t->resource, v.handle());
      if (!h.ok()) return std::move(h).error();
      WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
      write_le(m.data() + ptr, *h);
      return ok();
    }
    default:
      return Error(ErrorKind::kUnsupported, to_string(t) + " values are not supported yet");
  }
}

Result<Value> CanonContext::lift_case(TypeRef t, uint32_t index, std::optional<Value> payload) {
  switch (t->kind) {
    case TypeKind::kEnum: return Value::enumeration(index);
    case TypeKind::kOption: return index == 0 ? Value::none() : Value::some(std::move(*payload));
    case TypeKind::kResult: return index == 0 ? Value::ok(std::move(payload)) : Value::err(std::move(payload));
    default: return Value::variant(index, std::move(payload));
  }
}

Result<Value> CanonContext::load(TypeRef t, uint32_t ptr) {
  WITSERVE_TRY(check_range(ptr, t->size, t->align, "value"));
  WITSERVE_ASSIGN_OR_RETURN(auto m, mem());
  const uint8_t* p = m.data() + ptr;
  switch (t->kind) {
    case TypeKind::kBool: return Value::boolean(*p != 0);
    case TypeKind::kU8: return Value::u8(*p);
    case TypeKind::kS8: return Value::s8(int8_t(*p));
    case TypeKind::kU16: return Value::u16(read_le<uint16_t>(p));
    case TypeKind::kS16: return Value::s16(read_le<int16_t>(p));
    case TypeKind::kU32: return Value::u32(read_le<uint32_t>(p));
    case TypeKind::kS32: return Value::s32(read_le<int32_t>(p));
    case TypeKind::kU64: return Value::u64(read_le<uint64_t>(p));
    case TypeKind::kS64: return Value::s64(read_le<int64_t>(p));
    case TypeKind::kF32: return Value::f32(canon_f32(read_le<float>(p)));
    case TypeKind::kF64: return Value::f64(canon_f64(read_le<double>(p)));
    case TypeKind::kChar: {
      uint32_t c = read_le<uint32_t>(p);
      if (!is_unicode_scalar(c)) return trap("char " + std::to_string(c) + " is not a Unicode scalar value");
      return Value::character(c);
    }
    case TypeKind::kString: {
      uint32_t sp = read_le<uint32_t>(p), len = read_le<uint32_t>(p + 4);
      WITSERVE_ASSIGN_OR_RETURN(std::string s, load_string(sp, len));
      return Value::string(std::move(s));
    }
    case TypeKind::kList: {
      if (t->fixed_length) {
        std::vector<Value> items;
        for (uint32_t i = 0; i < *t->fixed_length; ++i) {
          WITSERVE_ASSIGN_OR_RETURN(Value e, load(t->element, ptr + i * t->element->size));
          items.push_back(std::move(e));
        }
        return Value::list(std::move(items));
      }
      return load_list(read_le<uint32_t>(p), read_le<uint32_t>(p + 4), t->element);
    }
    case TypeKind::kRecord:
    case TypeKind::kTuple: {
      std::vector<Value> items;
      uint32_t off = ptr;
      size_t n = t->kind == TypeKind::kRecord ? t->fields.size() : t->elements.size();
      for (size_t i = 0; i < n; ++i) {
        TypeRef ft = t->kind == TypeKind::kRecord ? t->fields[i].type : t->elements[i];
        off = align_to(off, ft->align);
        WITSERVE_ASSIGN_OR_RETURN(Value e, load(ft, off));
        items.push_back(std::move(e));
        off += ft->size;
      }
      return t->kind == TypeKind::kRecord ? Value::record(std::move(items)) : Value::tuple(std::move(items));
    }
    case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult: case TypeKind::kEnum: {
      size_t n = case_count(t);
      uint32_t disc = discriminant_size(n);
      uint32_t index = disc == 1 ? *p : disc == 2 ? read_le<uint16_t>(p) : read_le<uint32_t>(p);
      if (index >= n)
        return trap("discriminant " + std::to_string(index) + " out of range for " + to_string(t));
      std::optional<Value> payload;
      if (TypeRef ct = case_type(t, index)) {
        WITSERVE_ASSIGN_OR_RETURN(Value pv, load(ct, align_to(ptr + disc, max_case_align(t))));
        payload = std::move(pv);
      }
      return lift_case(t, index, std::move(payload));
    }
    case TypeKind::kFlags: {
      uint32_t bits = t->size == 1 ? *p : t->size == 2 ? read_le<uint16_t>(p) : read_le<uint32_t>(p);
      if (t->labels.size() < 32) bits &= (1u << t->labels.size()) - 1;
      return Value::flags(bits);
    }
    case TypeKind::kOwn:
    case TypeKind::kBorrow: {
      if (!opts_.resources) return trap("resource handles are not supported in this context");
      uint32_t index = read_le<uint32_t>(p);
      auto h = t->kind == TypeKind::kOwn ? opts_.resources->lift_own(t->resource, index)
                                         : opts_.resources->lift_borrow(t->resource, index);
      if (!h.ok()) return std::move(h).error();
      return t->kind == TypeKind::kOwn ? Value::own(*h) : Value::borrow(*h);
    }
    default:
      return Error(ErrorKind::kUnsupported, to_string(t) + " values are not supported yet");
  }
}

// ---- flat ------------------------------------------------------------------------------------

Status CanonContext::lower_flat(const Value& v, TypeRef t, std::vector<Val>& out) {
  switch (t->kind) {
    case TypeKind::kBool: out.push_back(Val::i32(v.as_bool() ? 1 : 0)); return ok();
    case TypeKind::kU8: case TypeKind::kU16: case TypeKind::kU32: case TypeKind::kChar:
      out.push_back(Val::i32(int32_t(uint32_t(v.as_unsigned()))));
      return ok();
    case TypeKind::kS8: case TypeKind::kS16: case TypeKind::kS32:
      out.push_back(Val::i32(int32_t(v.as_signed())));
      return ok();
    case TypeKind::kU64: out.push_back(Val::i64(int64_t(v.as_unsigned()))); return ok();
    case TypeKind::kS64: out.push_back(Val::i64(v.as_signed())); return ok();
    case TypeKind::kF32: out.push_back(Val::f32(canon_f32(float(v.as_float())))); return ok();
    case TypeKind::kF64: out.push_back(Val::f64(canon_f64(v.as_float()))); return ok();
    case TypeKind::kString: {
      WITSERVE_ASSIGN_OR_RETURN(auto r, store_string(v.as_string()));
      out.push_back(Val::i32(int32_t(r.first)));
      out.push_back(Val::i32(int32_t(r.second)));
      return ok();
    }
    case TypeKind::kList: {
      if (t->fixed_length) {
        for (const auto& e : v.items()) WITSERVE_TRY(lower_flat(e, t->element, out));
        return ok();
      }
      WITSERVE_ASSIGN_OR_RETURN(auto r, store_list(v, t->element));
      out.push_back(Val::i32(int32_t(r.first)));
      out.push_back(Val::i32(int32_t(r.second)));
      return ok();
    }
    case TypeKind::kRecord:
      for (size_t i = 0; i < t->fields.size(); ++i) WITSERVE_TRY(lower_flat(v.items()[i], t->fields[i].type, out));
      return ok();
    case TypeKind::kTuple:
      for (size_t i = 0; i < t->elements.size(); ++i) WITSERVE_TRY(lower_flat(v.items()[i], t->elements[i], out));
      return ok();
    case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult: case TypeKind::kEnum: {
      size_t start = out.size();
      out.push_back(Val::i32(int32_t(v.case_index())));
      if (TypeRef ct = case_type(t, v.case_index())) {
        std::vector<Val> payload;
        WITSERVE_TRY(lower_flat(*v.payload(), ct, payload));
        for (size_t i = 0; i < payload.size(); ++i) out.push_back(widen(payload[i], t->flat[1 + i]));
      }
      // Pad the slots this case does not use with zeros of the slot's type.
      for (size_t i = out.size() - start; i < t->flat.size(); ++i) out.push_back(Val::zero(t->flat[i]));
      return ok();
    }
    case TypeKind::kFlags:
      out.push_back(Val::i32(int32_t(v.flag_bits())));
      return ok();
    case TypeKind::kOwn:
    case TypeKind::kBorrow: {
      if (!opts_.resources) return trap("resource handles are not supported in this context");
      auto h = t->kind == TypeKind::kOwn ? opts_.resources->lower_own(t->resource, v.handle())
                                         : opts_.resources->lower_borrow(t->resource, v.handle());
      if (!h.ok()) return std::move(h).error();
      out.push_back(Val::i32(int32_t(*h)));
      return ok();
    }
    default:
      return Error(ErrorKind::kUnsupported, to_string(t) + " values are not supported yet");
  }
}

Result<Value> CanonContext::lift_flat(TypeRef t, std::span<const Val> flat, size_t& pos) {
  auto next = [&](ValType want) -> Result<Val> {
    if (pos >= flat.size()) return trap("too few core values for " + to_string(t));
    Val v = coerce(flat[pos++], want);
    if (v.type != want) return trap("core value of the wrong type for " + to_string(t));
    return v;
  };
  switch (t->kind) {
    case TypeKind::kBool: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32)); return Value::boolean(v.of.i32 != 0); }
    case TypeKind::kU8: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32)); return Value::u8(uint8_t(v.of.i32)); }
    case TypeKind::kS8: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32)); return Value::s8(int8_t(v.of.i32)); }
    case TypeKind::kU16: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32)); return Value::u16(uint16_t(v.of.i32)); }
    case TypeKind::kS16: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32)); return Value::s16(int16_t(v.of.i32)); }
    case TypeKind::kU32: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32)); return Value::u32(uint32_t(v.of.i32)); }
    case TypeKind::kS32: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32)); return Value::s32(v.of.i32); }
    case TypeKind::kU64: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI64)); return Value::u64(uint64_t(v.of.i64)); }
    case TypeKind::kS64: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI64)); return Value::s64(v.of.i64); }
    case TypeKind::kF32: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kF32)); return Value::f32(canon_f32(v.of.f32)); }
    case TypeKind::kF64: { WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kF64)); return Value::f64(canon_f64(v.of.f64)); }
    case TypeKind::kChar: {
      WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32));
      uint32_t c = uint32_t(v.of.i32);
      if (!is_unicode_scalar(c)) return trap("char " + std::to_string(c) + " is not a Unicode scalar value");
      return Value::character(c);
    }
    case TypeKind::kString: {
      WITSERVE_ASSIGN_OR_RETURN(Val p, next(ValType::kI32));
      WITSERVE_ASSIGN_OR_RETURN(Val n, next(ValType::kI32));
      WITSERVE_ASSIGN_OR_RETURN(std::string s, load_string(i32_of(p), i32_of(n)));
      return Value::string(std::move(s));
    }
    case TypeKind::kList: {
      if (t->fixed_length) {
        std::vector<Value> items;
        for (uint32_t i = 0; i < *t->fixed_length; ++i) {
          WITSERVE_ASSIGN_OR_RETURN(Value e, lift_flat(t->element, flat, pos));
          items.push_back(std::move(e));
        }
        return Value::list(std::move(items));
      }
      WITSERVE_ASSIGN_OR_RETURN(Val p, next(ValType::kI32));
      WITSERVE_ASSIGN_OR_RETURN(Val n, next(ValType::kI32));
      return load_list(i32_of(p), i32_of(n), t->element);
    }
    case TypeKind::kRecord:
    case TypeKind::kTuple: {
      std::vector<Value> items;
      size_t n = t->kind == TypeKind::kRecord ? t->fields.size() : t->elements.size();
      for (size_t i = 0; i < n; ++i) {
        TypeRef ft = t->kind == TypeKind::kRecord ? t->fields[i].type : t->elements[i];
        WITSERVE_ASSIGN_OR_RETURN(Value e, lift_flat(ft, flat, pos));
        items.push_back(std::move(e));
      }
      return t->kind == TypeKind::kRecord ? Value::record(std::move(items)) : Value::tuple(std::move(items));
    }
    case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult: case TypeKind::kEnum: {
      WITSERVE_ASSIGN_OR_RETURN(Val d, next(ValType::kI32));
      uint32_t index = i32_of(d);
      size_t n = case_count(t);
      if (index >= n) return trap("discriminant " + std::to_string(index) + " out of range for " + to_string(t));
      size_t end = pos + (t->flat.size() - 1);
      if (end > flat.size()) return trap("too few core values for " + to_string(t));
      std::optional<Value> payload;
      if (TypeRef ct = case_type(t, index)) {
        // The case's own flat types occupy the first slots, reinterpreted from the joined types.
        WITSERVE_ASSIGN_OR_RETURN(Value pv, lift_flat(ct, flat.subspan(0, end), pos));
        payload = std::move(pv);
      }
      pos = end;
      return lift_case(t, index, std::move(payload));
    }
    case TypeKind::kFlags: {
      WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32));
      uint32_t bits = i32_of(v);
      if (t->labels.size() < 32) bits &= (1u << t->labels.size()) - 1;
      return Value::flags(bits);
    }
    case TypeKind::kOwn:
    case TypeKind::kBorrow: {
      WITSERVE_ASSIGN_OR_RETURN(Val v, next(ValType::kI32));
      if (!opts_.resources) return trap("resource handles are not supported in this context");
      auto h = t->kind == TypeKind::kOwn ? opts_.resources->lift_own(t->resource, i32_of(v))
                                         : opts_.resources->lift_borrow(t->resource, i32_of(v));
      if (!h.ok()) return std::move(h).error();
      return t->kind == TypeKind::kOwn ? Value::own(*h) : Value::borrow(*h);
    }
    default:
      return Error(ErrorKind::kUnsupported, to_string(t) + " values are not supported yet");
  }
}

// ---- function signatures -----------------------------------------------------------------

namespace {
// The tuple of a function's parameter types, laid out like a record, for spilled parameters.
struct ParamLayout {
  uint32_t size = 0, align = 1;
  std::vector<uint32_t> offsets;
};
ParamLayout param_layout(const FuncType& f) {
  ParamLayout l;
  uint32_t off = 0;
  for (const auto& p : f.params) {
    off = align_to(off, p.type->align);
    l.offsets.push_back(off);
    off += p.type->size;
    l.align = std::max(l.align, p.type->align);
  }
  l.size = align_to(off, l.align);
  return l;
}
}  // namespace

Result<std::vector<Val>> CanonContext::lower_params(const FuncType& f, std::span<const Value> args) {
  if (args.size() != f.params.size())
    return Error(ErrorKind::kInvalidArgument, "expected " + std::to_string(f.params.size()) +
                                                  " arguments, got " + std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    if (auto st = check_value(args[i], f.params[i].type); !st.ok())
      return std::move(st).error().with_context("argument " + f.params[i].name);
  }
  std::vector<Val> out;
  if (!f.params_spilled) {
    for (size_t i = 0; i < args.size(); ++i) WITSERVE_TRY(lower_flat(args[i], f.params[i].type, out));
    return out;
  }
  ParamLayout l = param_layout(f);
  WITSERVE_ASSIGN_OR_RETURN(uint32_t ptr, realloc(0, 0, l.align, l.size));
  for (size_t i = 0; i < args.size(); ++i) WITSERVE_TRY(store(args[i], f.params[i].type, ptr + l.offsets[i]));
  out.push_back(Val::i32(int32_t(ptr)));
  return out;
}

Result<std::optional<Value>> CanonContext::lift_results(const FuncType& f, std::span<const Val> core) {
  mem_valid_ = false;  // the guest ran since memory was last looked at
  if (!f.result) return std::optional<Value>();
  if (f.results_spilled) {
    if (core.size() != 1) return trap("expected a return pointer");
    WITSERVE_ASSIGN_OR_RETURN(Value v, load(f.result, i32_of(core[0])));
    return std::optional<Value>(std::move(v));
  }
  size_t pos = 0;
  WITSERVE_ASSIGN_OR_RETURN(Value v, lift_flat(f.result, core, pos));
  return std::optional<Value>(std::move(v));
}

Result<std::vector<Value>> CanonContext::lift_params(const FuncType& f, std::span<const Val> core) {
  mem_valid_ = false;
  std::vector<Value> out;
  if (f.params_spilled) {
    if (core.empty()) return trap("expected a parameter pointer");
    uint32_t ptr = i32_of(core[0]);
    ParamLayout l = param_layout(f);
    WITSERVE_TRY(check_range(ptr, l.size, l.align, "parameters"));
    for (size_t i = 0; i < f.params.size(); ++i) {
      WITSERVE_ASSIGN_OR_RETURN(Value v, load(f.params[i].type, ptr + l.offsets[i]));
      out.push_back(std::move(v));
    }
    return out;
  }
  size_t pos = 0;
  for (const auto& p : f.params) {
    WITSERVE_ASSIGN_OR_RETURN(Value v, lift_flat(p.type, core, pos));
    out.push_back(std::move(v));
  }
  return out;
}

Status CanonContext::lower_results(const FuncType& f, const std::optional<Value>& result,
                                   std::span<const Val> core_args, std::span<Val> core_results) {
  if (!f.result) return ok();
  if (!result) return Error(ErrorKind::kHost, "host function returned no result");
  if (auto st = check_value(*result, f.result); !st.ok())
    return std::move(st).error().with_context("host function result");
  if (f.results_spilled) {
    if (core_args.empty()) return trap("expected a return pointer");
    return store(*result, f.result, i32_of(core_args.back()));
  }
  std::vector<Val> flat;
  WITSERVE_TRY(lower_flat(*result, f.result, flat));
  for (size_t i = 0; i < flat.size() && i < core_results.size(); ++i) core_results[i] = flat[i];
  return ok();
}

}  // namespace witserve::component
