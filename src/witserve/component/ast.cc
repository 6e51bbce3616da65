// String forms of AST enums, for messages. Any thread.
#include "witserve/component/ast.h"

namespace witserve::component::ast {

const char* to_string(CoreSort s) {
  switch (s) {
    case CoreSort::kFunc: return "core func";
    case CoreSort::kTable: return "core table";
    case CoreSort::kMemory: return "core memory";
    case CoreSort::kGlobal: return "core global";
    case CoreSort::kTag: return "core tag";
    case CoreSort::kType: return "core type";
    case CoreSort::kModule: return "core module";
    case CoreSort::kInstance: return "core instance";
  }
  return "?";
}

std::string to_string(SortKind s) {
  switch (s.sort) {
    case Sort::kCore: return to_string(s.core);
    case Sort::kFunc: return "func";
    case Sort::kValue: return "value";
    case Sort::kType: return "type";
    case Sort::kComponent: return "component";
    case Sort::kInstance: return "instance";
  }
  return "?";
}

const char* to_string(PrimType p) {
  switch (p) {
    case PrimType::kBool: return "bool";
    case PrimType::kS8: return "s8";
    case PrimType::kU8: return "u8";
    case PrimType::kS16: return "s16";
    case PrimType::kU16: return "u16";
    case PrimType::kS32: return "s32";
    case PrimType::kU32: return "u32";
    case PrimType::kS64: return "s64";
    case PrimType::kU64: return "u64";
    case PrimType::kF32: return "f32";
    case PrimType::kF64: return "f64";
    case PrimType::kChar: return "char";
    case PrimType::kString: return "string";
    case PrimType::kErrorContext: return "error-context";
  }
  return "?";
}

}  // namespace witserve::component::ast
