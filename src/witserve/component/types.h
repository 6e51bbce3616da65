// Resolved component-model types: what the resolver makes of the AST's index-based types. Value
// types are built once per component and never change; each carries its canonical ABI layout
// (size, alignment, flattened core types) computed when it is made, so lifting and lowering never
// recompute them. Types are owned by a TypeArena and referred to by pointer; resource types have
// identity (two imports of `(sub resource)` are different types even if they look alike).
// Immutable after resolution; any thread may read.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "witserve/component/ast.h"
#include "witserve/engine/types.h"

namespace witserve::component {

// Canonical ABI limits (CanonicalABI.md, "Flattening").
inline constexpr size_t kMaxFlatParams = 16;
inline constexpr size_t kMaxFlatResults = 1;
// A value type's flattening is only ever used when it fits in kMaxFlatParams core values, so
// ValueType::flat keeps at most this many entries: one more says "too many" (spill to memory).
inline constexpr size_t kFlatCap = kMaxFlatParams + 1;

// Validation limits on value types, so that no type makes loading, type checking or printing
// use unbounded time, memory or stack:
//  - the spec's: elem_size(t, i64) < 2^28 for every defined value type (CanonicalABI.md, "Element
//    size"; test/validation/max-value-size.wast);
//  - wasmtime's: types nest at most 100 deep ("type nesting is too deep"), and a type counts at
//    most 1,000,000 nodes with every type it refers to written out (a DAG of tuples that each use
//    the previous one twice is small in the binary but huge when walked or printed).
inline constexpr uint64_t kMaxValueByteSize = uint64_t(1) << 28;
inline constexpr uint32_t kMaxTypeDepth = 100;
inline constexpr uint64_t kMaxTypeSize = 1'000'000;

enum class TypeKind : uint8_t {
  kBool, kS8, kU8, kS16, kU16, kS32, kU32, kS64, kU64, kF32, kF64, kChar, kString, kErrorContext,
  kRecord, kVariant, kList, kTuple, kFlags, kEnum, kOption, kResult, kOwn, kBorrow,
  kStream, kFuture, kMap,
};

struct ValueType;
struct ResourceType;
using TypeRef = const ValueType*;

struct Field {
  std::string name;
  TypeRef type;
};

struct VariantCase {
  std::string name;
  TypeRef type;  // null for a case without payload
};

// A resource type. `id` is unique within the process; `name` is for messages only.
struct ResourceType {
  uint64_t id;
  std::string name;
  // A resource the component itself defines (canon resource.new on it is allowed) rather than one
  // it imports or declares abstractly.
  bool defined = false;
  std::optional<uint32_t> dtor_core_func;  // defined resources: the core func index, if any
  // A resource type given a new type index by an export (its externally visible name) is the
  // same resource for type checking: `origin` is the resource it names.
  const ResourceType* origin = nullptr;
  const ResourceType* identity() const { return origin ? origin : this; }
};

struct ValueType {
  TypeKind kind;
  std::vector<Field> fields;         // record
  std::vector<VariantCase> cases;    // variant; also option (none, some) and result (ok, error)
  std::vector<TypeRef> elements;     // tuple
  std::vector<std::string> labels;   // flags, enum
  TypeRef element = nullptr;         // list, option payload, stream, future, map key
  TypeRef value = nullptr;           // map value
  std::optional<uint32_t> fixed_length;  // list<T, N>
  const ResourceType* resource = nullptr;  // own, borrow

  // Canonical ABI layout, filled in by TypeArena when the type is made. `flat` holds at most
  // kFlatCap entries (kFlatCap means "more than kMaxFlatParams").
  uint32_t size = 0;
  uint32_t align = 1;
  std::vector<engine::ValType> flat;
  // For validation (the limits above), also filled in by TypeArena: the element size with 64-bit
  // pointers, how deep the type nests and how many nodes it has written out (both saturating).
  uint64_t size64 = 0;
  uint32_t align64 = 1;
  uint32_t depth = 1;
  uint64_t nodes = 1;

  bool is_primitive() const { return kind <= TypeKind::kErrorContext; }
};

struct FuncType {
  bool async = false;
  std::vector<Field> params;
  TypeRef result = nullptr;  // null: no result
  // Flattened signatures as the Canonical ABI lays them out for a lifted export (`lift`) and a
  // lowered import (`lower`): params spill to memory beyond kMaxFlatParams, results beyond
  // kMaxFlatResults go through a return pointer.
  std::vector<engine::ValType> flat_params;
  std::vector<engine::ValType> flat_results;
  bool params_spilled = false;
  bool results_spilled = false;
  uint64_t nodes = 1;  // as ValueType::nodes, over the parameters and result
  engine::FuncType core_lift() const;   // the core signature canon lift expects of its callee
  engine::FuncType core_lower() const;  // the core signature canon lower gives the importer
};

struct InstanceType;
struct ComponentType;

// The core module type: what a core module imports and exports.
struct CoreModuleType {
  std::vector<engine::ImportType> imports;
  std::vector<engine::ExportType> exports;
};

// What an import, export or index-space entry is. Exactly one pointer matches `kind`.
struct ExternType {
  enum class Kind : uint8_t { kCoreModule, kFunc, kValue, kType, kInstance, kComponent };
  Kind kind = Kind::kFunc;
  const CoreModuleType* core_module = nullptr;
  const FuncType* func = nullptr;
  TypeRef value = nullptr;                   // kValue; kType for a value type
  const ResourceType* resource = nullptr;    // kType for a resource
  const InstanceType* instance = nullptr;
  const ComponentType* component = nullptr;
};

struct NamedExtern {
  std::string name;
  ExternType type;
};

struct InstanceType {
  std::vector<NamedExtern> exports;
  const NamedExtern* find(std::string_view name) const;
};

struct ComponentType {
  std::vector<NamedExtern> imports;
  std::vector<NamedExtern> exports;
};

// Owns every type of one component (and the components nested in it). Values made by make_*
// never move, so pointers into the arena stay valid as long as it lives.
class TypeArena {
 public:
  TypeRef primitive(TypeKind k);
  // Finishes `t` (computes its ABI layout) and takes ownership.
  TypeRef add(ValueType t);
  const FuncType* add(FuncType f);
  const ResourceType* new_resource(std::string name, bool defined,
                                   std::optional<uint32_t> dtor = std::nullopt);
  // A new type index for resource `r` (an export naming it): the same resource to the Matcher.
  const ResourceType* name_of(const ResourceType* r);
  const InstanceType* add(InstanceType t);
  const ComponentType* add(ComponentType t);
  const CoreModuleType* add(CoreModuleType t);
  // Names a resource after its first import or export, if it has no name yet (for messages).
  void name_resource(const ResourceType* r, const std::string& name);

 private:
  std::deque<ValueType> values_;
  std::deque<FuncType> funcs_;
  std::deque<ResourceType> resources_;
  std::deque<InstanceType> instances_;
  std::deque<ComponentType> components_;
  std::deque<CoreModuleType> modules_;
  TypeRef prims_[size_t(TypeKind::kErrorContext) + 1] = {};
};

// Why a value type (or function type) is over the limits above, or an empty string if it is not.
std::string check_limits(TypeRef t);
std::string check_limits(const FuncType& f);

// "string", "list<u8>", "record { a: u8, b: string }" — WIT-like, for messages and `inspect`.
// With `names`, a type that has a name is printed as that name wherever it appears inside another
// type (and at the top too unless `define` is set, which prints the top type's structure).
using TypeNames = std::function<const std::string*(TypeRef)>;
std::string to_string(TypeRef t, const TypeNames& names = {}, bool define = false);
std::string to_string(const FuncType& f);

// The Canonical ABI's despecialisation: option, result and enum as variants, tuple as record.
// Sizes and flattening are defined over these; ValueType stores the specialised kind.
uint32_t discriminant_size(size_t cases);

// Core extern subtyping (the core spec's import matching): may a core item of type `actual` be
// used where `expected` is wanted? Equal function, global and tag types; memory and table
// limits within the expected ones.
bool core_extern_fits(const engine::ExternType& actual, const engine::ExternType& expected);

// Structural subtyping as the component model defines it for linking: may an item of type
// `actual` be used where `expected` is wanted? Function parameter names are not compared (only
// their types); record fields, cases, flags and enum labels are. Resource types compare by
// identity, except that an abstract resource of `expected` (an imported `(sub resource)`) is bound
// to the first actual resource it meets, and must then match that one everywhere.
// A mismatch says what differs and where.
class Matcher {
 public:
  bool value(TypeRef actual, TypeRef expected, std::string* why);
  bool func(const FuncType& actual, const FuncType& expected, std::string* why);
  bool extern_type(const ExternType& actual, const ExternType& expected, std::string* why);
  bool resource(const ResourceType* actual, const ResourceType* expected, std::string* why);
  bool core_module(const CoreModuleType& actual, const CoreModuleType& expected, std::string* why);

  // The actual resource an abstract expected one was bound to, or null.
  const ResourceType* bound(const ResourceType* expected) const;

 private:
  std::vector<std::pair<const ResourceType*, const ResourceType*>> bindings_;  // expected -> actual
};

// The type of an instantiated component's export `t`, with the component's abstract imported
// resources replaced by the ones its instantiation supplied (bound in `m`).
ExternType substitute(const ExternType& t, const Matcher& m, TypeArena& arena);

}  // namespace witserve::component
