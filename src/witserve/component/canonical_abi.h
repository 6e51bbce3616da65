// The Canonical ABI (CanonicalABI.md; reference: canonical-abi/definitions.py): moves Values
// between the host and a guest's linear memory and flat core values. Lowering writes host Values
// into the guest (allocating through its realloc), lifting reads guest data back into Values.
// Every invalid guest value — bad UTF-8 or UTF-16, a char that is not a Unicode scalar value, a
// discriminant out of range, a pointer or length out of bounds, a misaligned pointer, a string or
// list longer than the ABI allows — is a kTrap Error with a message naming it.
// A CanonContext belongs to one call on one Store; use it on that Store's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/component/ast.h"
#include "witserve/component/types.h"
#include "witserve/component/value.h"
#include "witserve/engine/engine.h"

namespace witserve::component {

inline constexpr uint32_t kMaxStringByteLength = (1u << 28) - 1;
inline constexpr uint32_t kMaxListByteLength = (1u << 28) - 1;
inline constexpr uint32_t kUtf16Tag = 1u << 31;

// How own and borrow handles cross the boundary. The linker implements this over the instance's
// handle tables; without it, resource values are refused.
class ResourceHooks {
 public:
  virtual ~ResourceHooks() = default;
  // Guest handle index -> host handle (a Value::own/borrow handle), following the spec's
  // lift_own / lift_borrow rules (transfer, borrow scope).
  virtual Result<uint32_t> lift_own(const ResourceType* r, uint32_t guest_index) = 0;
  virtual Result<uint32_t> lift_borrow(const ResourceType* r, uint32_t guest_index) = 0;
  // Host handle -> guest handle index (lower_own / lower_borrow).
  virtual Result<uint32_t> lower_own(const ResourceType* r, uint32_t host_handle) = 0;
  virtual Result<uint32_t> lower_borrow(const ResourceType* r, uint32_t host_handle) = 0;
};

// The canonical options of one lift or lower, made concrete.
struct CanonOptions {
  ast::StringEncoding encoding = ast::StringEncoding::kUtf8;
  std::shared_ptr<engine::Memory> memory;
  std::shared_ptr<engine::Func> realloc;
  ResourceHooks* resources = nullptr;
};

class CanonContext {
 public:
  explicit CanonContext(const CanonOptions& opts) : opts_(opts) {}

  // ---- whole function signatures ----
  // Host calls a lifted export: params Values -> core args (spilling past kMaxFlatParams).
  Result<std::vector<engine::Val>> lower_params(const FuncType& f, std::span<const Value> args);
  // ... and its core results -> the result Value (through the return pointer if spilled).
  Result<std::optional<Value>> lift_results(const FuncType& f, std::span<const engine::Val> core);
  // Guest calls a lowered import: core args -> param Values.
  Result<std::vector<Value>> lift_params(const FuncType& f, std::span<const engine::Val> core);
  // ... and the host's result -> core results, or into the caller's return pointer (the last
  // core argument) when the results spill.
  Status lower_results(const FuncType& f, const std::optional<Value>& result,
                       std::span<const engine::Val> core_args, std::span<engine::Val> core_results);

  // ---- single values ----
  Status lower_flat(const Value& v, TypeRef t, std::vector<engine::Val>& out);
  Result<Value> lift_flat(TypeRef t, std::span<const engine::Val> flat, size_t& pos);
  Status store(const Value& v, TypeRef t, uint32_t ptr);
  Result<Value> load(TypeRef t, uint32_t ptr);

  // ---- primitives, for the typed fast path (typed.h) ----
  Result<std::span<uint8_t>> mem();
  Status check_range(uint32_t ptr, uint64_t len, uint32_t align, const char* what);
  Result<uint32_t> realloc(uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size);
  Result<std::pair<uint32_t, uint32_t>> store_string(const std::string& s);
  Result<std::string> load_string(uint32_t ptr, uint32_t tagged_units);
  // Memory may have moved: the guest ran.
  void invalidate_memory() { mem_valid_ = false; }

 private:
  Result<std::pair<uint32_t, uint32_t>> store_utf16(const std::vector<char32_t>& cps, uint32_t src_units,
                                                     uint32_t tag);
  Result<std::pair<uint32_t, uint32_t>> store_list(const Value& v, TypeRef elem);
  Result<Value> load_list(uint32_t ptr, uint32_t length, TypeRef elem);
  Result<Value> lift_case(TypeRef t, uint32_t index, std::optional<Value> payload);

  const CanonOptions& opts_;
  std::span<uint8_t> mem_;
  bool mem_valid_ = false;
};

}  // namespace witserve::component
