// The component binary format as decoded: one struct per production of the spec's Binary.md
// (WebAssembly/component-model design/mvp/Binary.md, binary version 0x0d). Index-based, in
// definition order, exactly as written in the binary; index spaces and type resolution come later
// (resolver). Core modules stay as byte ranges of the original file. A decoded Component is an
// immutable value once built; any thread may read it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "witserve/engine/types.h"

namespace witserve::component::ast {

// ---- sorts and indices ------------------------------------------------------------------------

enum class CoreSort : uint8_t {
  kFunc = 0x00, kTable = 0x01, kMemory = 0x02, kGlobal = 0x03, kTag = 0x04,
  kType = 0x10, kModule = 0x11, kInstance = 0x12,
};

enum class Sort : uint8_t {
  kCore = 0x00, kFunc = 0x01, kValue = 0x02, kType = 0x03, kComponent = 0x04, kInstance = 0x05,
};

// A sort with its core sort when it is kCore.
struct SortKind {
  Sort sort = Sort::kFunc;
  CoreSort core = CoreSort::kFunc;
  bool operator==(const SortKind&) const = default;
};

struct CoreSortIdx {
  CoreSort sort;
  uint32_t index;
};

struct SortIdx {
  SortKind kind;
  uint32_t index;
};

const char* to_string(CoreSort s);
std::string to_string(SortKind s);

// ---- value types ------------------------------------------------------------------------------

enum class PrimType : uint8_t {
  kBool, kS8, kU8, kS16, kU16, kS32, kU32, kS64, kU64, kF32, kF64, kChar, kString, kErrorContext,
};
const char* to_string(PrimType p);

// A valtype: a primitive, or an index into the type index space.
struct ValType {
  bool is_prim = true;
  PrimType prim = PrimType::kBool;
  uint32_t index = 0;
  static ValType of(PrimType p) { return {true, p, 0}; }
  static ValType ref(uint32_t i) { return {false, PrimType::kBool, i}; }
};

struct LabeledType {
  std::string label;
  ValType type;
};
struct Case {
  std::string label;
  std::optional<ValType> type;
};
struct RecordType { std::vector<LabeledType> fields; };
struct VariantType { std::vector<Case> cases; };
struct ListType { ValType element; std::optional<uint32_t> fixed_length; };
struct TupleType { std::vector<ValType> elements; };
struct FlagsType { std::vector<std::string> labels; };
struct EnumType { std::vector<std::string> labels; };
struct OptionType { ValType type; };
struct ResultType { std::optional<ValType> ok, error; };
struct OwnType { uint32_t resource; };
struct BorrowType { uint32_t resource; };
struct StreamType { std::optional<ValType> element; };
struct FutureType { std::optional<ValType> element; };
struct MapType { ValType key, value; };

struct FuncType {
  bool async = false;
  std::vector<LabeledType> params;
  std::optional<ValType> result;
};

struct ResourceType {
  engine::ValType rep = engine::ValType::kI32;
  std::optional<uint32_t> dtor;  // core func index
};

// ---- extern types, imports and exports ---------------------------------------------------------

struct TypeBound {
  bool is_sub_resource = false;  // (sub resource): a fresh abstract resource type
  uint32_t eq_index = 0;         // (eq i) otherwise
};

// externtype: what an import or export is, pointing into the type index space.
struct ExternType {
  enum class Kind : uint8_t { kCoreModule, kFunc, kValue, kType, kComponent, kInstance };
  Kind kind = Kind::kFunc;
  uint32_t index = 0;        // core type index (kCoreModule) or type index (func/component/instance)
  TypeBound bound;           // kType
  bool value_is_eq = false;  // kValue: (eq valueidx) if true, else `value_type`
  ValType value_type;        // kValue
};

struct Name {
  std::string name;  // the externname, e.g. "wasi:http/types@0.2.0" or "[method]counter.get"
  std::optional<std::string> implements;      // attribute 0x00
  std::optional<std::string> version_suffix;  // attribute 0x01
  std::optional<std::string> external_id;     // attribute 0x02
};

// ---- declarations inside component and instance types ------------------------------------------

struct CoreFuncTypeDecl;
struct CoreModuleType;

struct OuterAlias {
  SortKind sort;
  uint32_t count;  // how many scopes out
  uint32_t index;
};

struct ExportAlias {
  SortKind sort;
  uint32_t instance;
  std::string name;
};

struct CoreExportAlias {
  CoreSort sort;
  uint32_t instance;
  std::string name;
};

using Alias = std::variant<ExportAlias, CoreExportAlias, OuterAlias>;

// core:moduledecl inside a core module type.
struct CoreModuleDecl {
  enum class Kind : uint8_t { kImport, kType, kAlias, kExport };
  Kind kind;
  engine::ImportType import;                  // kImport (module, name, type)
  // kImport/kExport of a func or tag whose type is an outer alias (`(alias outer $C $FT (type))`):
  // the index in the module type's type space, resolved by the resolver (the decoder cannot see
  // the enclosing scope).
  std::optional<uint32_t> aliased_type;
  std::string export_name;                    // kExport
  engine::ExternType export_type;             // kExport
  std::shared_ptr<const engine::FuncType> type;  // kType (only function types are allowed)
  OuterAlias alias;                           // kAlias (outer core type alias)
};

struct CoreModuleType {
  std::vector<CoreModuleDecl> decls;
};

// core:type as it appears in a component: a function type or a module type.
using CoreTypeDef = std::variant<engine::FuncType, CoreModuleType>;

struct TypeDef;

// instancedecl / componentdecl.
struct Decl {
  enum class Kind : uint8_t { kCoreType, kType, kAlias, kImport, kExport };
  Kind kind;
  std::shared_ptr<const CoreTypeDef> core_type;  // kCoreType
  std::shared_ptr<const TypeDef> type;           // kType
  Alias alias;                                   // kAlias
  Name name;                                     // kImport / kExport
  ExternType extern_type;                        // kImport / kExport
};

struct ComponentType { std::vector<Decl> decls; };
struct InstanceType { std::vector<Decl> decls; };

// A deftype in the type index space.
struct TypeDef {
  std::variant<PrimType, RecordType, VariantType, ListType, TupleType, FlagsType, EnumType,
               OptionType, ResultType, OwnType, BorrowType, StreamType, FutureType, MapType,
               FuncType, ComponentType, InstanceType, ResourceType>
      def;
};

// ---- definitions ------------------------------------------------------------------------------

struct CoreModuleDef {
  std::span<const uint8_t> bytes;  // into Component::buffer
  size_t offset = 0;               // where the module starts in the file
};

struct CoreInstantiateArg {
  std::string name;
  uint32_t instance;  // core instance index
};
struct CoreInlineExport {
  std::string name;
  CoreSortIdx item;
};
struct CoreInstanceDef {
  bool is_instantiate = true;
  uint32_t module = 0;                          // is_instantiate
  std::vector<CoreInstantiateArg> args;         // is_instantiate
  std::vector<CoreInlineExport> exports;        // otherwise
};

struct InstantiateArg {
  std::string name;
  SortIdx item;
};
struct InlineExport {
  Name name;
  SortIdx item;
};
struct InstanceDef {
  bool is_instantiate = true;
  uint32_t component = 0;
  std::vector<InstantiateArg> args;
  std::vector<InlineExport> exports;
};

enum class StringEncoding : uint8_t { kUtf8, kUtf16, kLatin1Utf16 };

struct CanonOpts {
  StringEncoding string_encoding = StringEncoding::kUtf8;
  std::optional<uint32_t> memory;       // core memory index
  std::optional<uint32_t> realloc;      // core func index
  std::optional<uint32_t> post_return;  // core func index
  bool async = false;
  std::optional<uint32_t> callback;     // core func index
};

struct CanonDef {
  enum class Kind : uint8_t {
    kLift, kLower, kResourceNew, kResourceDrop, kResourceRep,
    kOther,  // an async, thread or error-context built-in: decoded, not supported by the runtime
  };
  Kind kind;
  uint32_t func = 0;       // lift: core func index; lower: component func index
  uint32_t type = 0;       // lift: func type index; resource.*: resource type index
  CanonOpts opts;
  uint8_t opcode = 0;      // the canon opcode, for messages about kOther
};

struct StartDef {
  uint32_t func;
  std::vector<uint32_t> args;  // value indices
  uint32_t results;
};

struct ImportDef {
  Name name;
  ExternType type;
};

struct ExportDef {
  Name name;
  SortIdx item;
  std::optional<ExternType> type;  // an ascribed type
};

struct ValueDef {
  ValType type;
  std::span<const uint8_t> bytes;
};

struct Component;

using Definition =
    std::variant<CoreModuleDef, CoreInstanceDef, std::shared_ptr<const CoreTypeDef>,
                 std::shared_ptr<const Component>, InstanceDef, Alias,
                 std::shared_ptr<const TypeDef>, CanonDef, StartDef, ImportDef, ExportDef, ValueDef>;

struct Component {
  size_t offset = 0;  // where this component starts in the file
  std::vector<Definition> defs;
  // Keeps the bytes that CoreModuleDef and ValueDef point into alive (shared by nested components).
  std::shared_ptr<const std::vector<uint8_t>> buffer;
};

}  // namespace witserve::component::ast
