// Core WebAssembly types as the engine interface speaks of them: value types, values, function,
// memory, table and global types, and the import/export lists of a module. Engine-neutral plain
// values; any thread may use them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace witserve::engine {

enum class ValType : uint8_t { kI32, kI64, kF32, kF64, kV128, kFuncRef, kExternRef };

const char* to_string(ValType t);

// A core value crossing the host boundary. References and v128 do not cross it here.
struct Val {
  ValType type = ValType::kI32;
  union {
    int32_t i32;
    int64_t i64;
    float f32;
    double f64;
  } of{0};

  static Val i32(int32_t v) { Val x; x.type = ValType::kI32; x.of.i32 = v; return x; }
  static Val i64(int64_t v) { Val x; x.type = ValType::kI64; x.of.i64 = v; return x; }
  static Val f32(float v) { Val x; x.type = ValType::kF32; x.of.f32 = v; return x; }
  static Val f64(double v) { Val x; x.type = ValType::kF64; x.of.f64 = v; return x; }
  // A zero of the given numeric type.
  static Val zero(ValType t) { Val x; x.type = t; x.of.i64 = 0; return x; }
};

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};
std::string to_string(const FuncType& t);  // "(i32, i64) -> (f32)"

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool operator==(const Limits&) const = default;
};

struct MemoryType {
  Limits limits;
  bool shared = false;
  bool memory64 = false;
  bool operator==(const MemoryType&) const = default;
};

struct TableType {
  ValType element = ValType::kFuncRef;
  Limits limits;
  bool operator==(const TableType&) const = default;
};

struct GlobalType {
  ValType type = ValType::kI32;
  bool mutable_ = false;
  bool operator==(const GlobalType&) const = default;
};

struct TagType {
  FuncType type;
  bool operator==(const TagType&) const = default;
};

enum class ExternKind : uint8_t { kFunc, kTable, kMemory, kGlobal, kTag };
const char* to_string(ExternKind k);

using ExternType = std::variant<FuncType, TableType, MemoryType, GlobalType, TagType>;
inline ExternKind kind_of(const ExternType& t) { return ExternKind(t.index()); }

struct ImportType {
  std::string module;
  std::string name;
  ExternType type;
};

struct ExportType {
  std::string name;
  ExternType type;
};

// What a core module imports and exports, with full types. Read from the binary by
// read_module_info (module_info.h) without any engine.
struct ModuleInfo {
  std::vector<ImportType> imports;
  std::vector<ExportType> exports;

  const ExportType* find_export(std::string_view name) const;
};

}  // namespace witserve::engine
