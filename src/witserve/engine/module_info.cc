// read_module_info: decodes the type-bearing sections of a core module. See module_info.h.
#include "witserve/engine/module_info.h"

#include <string>

#include "witserve/base/byte_reader.h"

namespace witserve::engine {

Result<ValType> read_val_type(ByteReader& r) {
  size_t at = r.offset();
  WITSERVE_ASSIGN_OR_RETURN(uint8_t b, r.u8());
  switch (b) {
    case 0x7F: return ValType::kI32;
    case 0x7E: return ValType::kI64;
    case 0x7D: return ValType::kF32;
    case 0x7C: return ValType::kF64;
    case 0x7B: return ValType::kV128;
    case 0x70: return ValType::kFuncRef;
    case 0x6F: return ValType::kExternRef;
  }
  return ByteReader::error_at(at, "expected a value type, found 0x" + std::to_string(b));
}

static Result<Limits> read_limits(ByteReader& r, uint8_t flags, bool is64) {
  Limits l;
  if (is64) {
    WITSERVE_ASSIGN_OR_RETURN(l.min, r.u64());
  } else {
    WITSERVE_ASSIGN_OR_RETURN(l.min, r.u32());
  }
  if (flags & 1) {
    uint64_t max;
    if (is64) {
      WITSERVE_ASSIGN_OR_RETURN(max, r.u64());
    } else {
      WITSERVE_ASSIGN_OR_RETURN(max, r.u32());
    }
    l.max = max;
  }
  return l;
}

Result<TableType> read_table_type(ByteReader& r) {
  TableType t;
  size_t at = r.offset();
  WITSERVE_ASSIGN_OR_RETURN(t.element, read_val_type(r));
  if (t.element != ValType::kFuncRef && t.element != ValType::kExternRef)
    return ByteReader::error_at(at, "table element type must be a reference type");
  at = r.offset();
  WITSERVE_ASSIGN_OR_RETURN(uint8_t flags, r.u8());
  if (flags > 1) return ByteReader::error_at(at, "invalid table limits flags");
  WITSERVE_ASSIGN_OR_RETURN(t.limits, read_limits(r, flags, false));
  return t;
}

Result<MemoryType> read_memory_type(ByteReader& r) {
  MemoryType m;
  size_t at = r.offset();
  WITSERVE_ASSIGN_OR_RETURN(uint8_t flags, r.u8());
  if (flags > 7) return ByteReader::error_at(at, "invalid memory limits flags");
  m.shared = flags & 2;
  m.memory64 = flags & 4;
  WITSERVE_ASSIGN_OR_RETURN(m.limits, read_limits(r, flags, m.memory64));
  return m;
}

Result<GlobalType> read_global_type(ByteReader& r) {
  GlobalType g;
  WITSERVE_ASSIGN_OR_RETURN(g.type, read_val_type(r));
  size_t at = r.offset();
  WITSERVE_ASSIGN_OR_RETURN(uint8_t mut, r.u8());
  if (mut > 1) return ByteReader::error_at(at, "invalid global mutability");
  g.mutable_ = mut == 1;
  return g;
}

Result<FuncType> read_func_type_body(ByteReader& r) {
  FuncType ft;
  WITSERVE_ASSIGN_OR_RETURN(uint32_t np, r.vec_length());
  for (uint32_t j = 0; j < np; ++j) {
    WITSERVE_ASSIGN_OR_RETURN(auto t, read_val_type(r));
    ft.params.push_back(t);
  }
  WITSERVE_ASSIGN_OR_RETURN(uint32_t nr, r.vec_length());
  for (uint32_t j = 0; j < nr; ++j) {
    WITSERVE_ASSIGN_OR_RETURN(auto t, read_val_type(r));
    ft.results.push_back(t);
  }
  return ft;
}

// Skips a constant expression up to and including its `end` opcode.
Status skip_const_expr(ByteReader& r) {
  while (true) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t op, r.u8());
    switch (op) {
      case 0x0B: return ok();                                  // end
      case 0x41: WITSERVE_TRY(r.s32()); break;                 // i32.const
      case 0x42: WITSERVE_TRY(r.s64()); break;                 // i64.const
      case 0x43: WITSERVE_TRY(r.skip(4)); break;               // f32.const
      case 0x44: WITSERVE_TRY(r.skip(8)); break;               // f64.const
      case 0x23: WITSERVE_TRY(r.u32()); break;                 // global.get
      case 0xD0: WITSERVE_TRY(r.u8()); break;                  // ref.null
      case 0xD2: WITSERVE_TRY(r.u32()); break;                 // ref.func
      case 0x6A: case 0x6B: case 0x6C:                          // i32.add/sub/mul (extended-const)
      case 0x7C: case 0x7D: case 0x7E: break;                   // i64.add/sub/mul
      case 0xFD: {                                              // v128.const
        WITSERVE_ASSIGN_OR_RETURN(uint32_t sub, r.u32());
        if (sub != 12) return ByteReader::error_at(at, "unsupported SIMD opcode in constant");
        WITSERVE_TRY(r.skip(16));
        break;
      }
      default:
        return ByteReader::error_at(at, "unsupported opcode in constant expression");
    }
  }
}

namespace {

enum SectionId : uint8_t {
  kCustom = 0, kType = 1, kImport = 2, kFunction = 3, kTable = 4, kMemory = 5, kGlobal = 6,
  kExport = 7, kStart = 8, kElement = 9, kCode = 10, kData = 11, kDataCount = 12, kTag = 13,
};

constexpr uint8_t kFuncTypeForm = 0x60;

struct Reader {
  std::vector<FuncType> types;
  std::vector<uint32_t> func_types;  // type index of every function, imports first
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<GlobalType> globals;
  std::vector<uint32_t> tag_types;
  ModuleInfo info;

  Result<FuncType> func_type_at(ByteReader& r, uint32_t index, size_t at) {
    if (index >= types.size())
      return ByteReader::error_at(at, "type index " + std::to_string(index) + " out of range");
    return types[index];
  }

  Status read_types(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(3));
    types.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      size_t at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint8_t form, r.u8());
      if (form != kFuncTypeForm) return ByteReader::error_at(at, "expected a function type (0x60)");
      WITSERVE_ASSIGN_OR_RETURN(auto ft, read_func_type_body(r));
      types.push_back(std::move(ft));
    }
    return ok();
  }

  Status read_imports(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(4));
    for (uint32_t i = 0; i < n; ++i) {
      ImportType imp;
      WITSERVE_ASSIGN_OR_RETURN(imp.module, r.name());
      WITSERVE_ASSIGN_OR_RETURN(imp.name, r.name());
      size_t at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
      switch (kind) {
        case 0x00: {
          size_t idx_at = r.offset();
          WITSERVE_ASSIGN_OR_RETURN(uint32_t ti, r.u32());
          WITSERVE_ASSIGN_OR_RETURN(auto ft, func_type_at(r, ti, idx_at));
          func_types.push_back(ti);
          imp.type = std::move(ft);
          break;
        }
        case 0x01: {
          WITSERVE_ASSIGN_OR_RETURN(auto t, read_table_type(r));
          tables.push_back(t);
          imp.type = t;
          break;
        }
        case 0x02: {
          WITSERVE_ASSIGN_OR_RETURN(auto m, read_memory_type(r));
          memories.push_back(m);
          imp.type = m;
          break;
        }
        case 0x03: {
          WITSERVE_ASSIGN_OR_RETURN(auto g, read_global_type(r));
          globals.push_back(g);
          imp.type = g;
          break;
        }
        case 0x04: {
          WITSERVE_TRY(r.u8());  // attribute: 0 = exception
          size_t idx_at = r.offset();
          WITSERVE_ASSIGN_OR_RETURN(uint32_t ti, r.u32());
          WITSERVE_ASSIGN_OR_RETURN(auto ft, func_type_at(r, ti, idx_at));
          tag_types.push_back(ti);
          imp.type = TagType{std::move(ft)};
          break;
        }
        default:
          return ByteReader::error_at(at, "invalid import kind " + std::to_string(kind));
      }
      info.imports.push_back(std::move(imp));
    }
    return ok();
  }

  Status read_functions(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length());
    for (uint32_t i = 0; i < n; ++i) {
      size_t at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint32_t ti, r.u32());
      if (ti >= types.size()) return ByteReader::error_at(at, "function type index out of range");
      func_types.push_back(ti);
    }
    return ok();
  }

  Status read_tables(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(3));
    for (uint32_t i = 0; i < n; ++i) {
      WITSERVE_ASSIGN_OR_RETURN(auto t, read_table_type(r));
      tables.push_back(t);
    }
    return ok();
  }

  Status read_memories(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(2));
    for (uint32_t i = 0; i < n; ++i) {
      WITSERVE_ASSIGN_OR_RETURN(auto m, read_memory_type(r));
      memories.push_back(m);
    }
    return ok();
  }

  Status read_globals(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(3));
    for (uint32_t i = 0; i < n; ++i) {
      WITSERVE_ASSIGN_OR_RETURN(auto g, read_global_type(r));
      WITSERVE_TRY(skip_const_expr(r));
      globals.push_back(g);
    }
    return ok();
  }

  Status read_tags(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(2));
    for (uint32_t i = 0; i < n; ++i) {
      WITSERVE_TRY(r.u8());
      size_t at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint32_t ti, r.u32());
      if (ti >= types.size()) return ByteReader::error_at(at, "tag type index out of range");
      tag_types.push_back(ti);
    }
    return ok();
  }

  Status read_exports(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(3));
    for (uint32_t i = 0; i < n; ++i) {
      ExportType exp;
      WITSERVE_ASSIGN_OR_RETURN(exp.name, r.name());
      size_t at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
      WITSERVE_ASSIGN_OR_RETURN(uint32_t index, r.u32());
      auto out_of_range = [&](const char* what) {
        return ByteReader::error_at(at, std::string("export '") + exp.name + "' names " + what +
                                            " index " + std::to_string(index) + ", out of range");
      };
      switch (kind) {
        case 0x00:
          if (index >= func_types.size()) return out_of_range("function");
          exp.type = types[func_types[index]];
          break;
        case 0x01:
          if (index >= tables.size()) return out_of_range("table");
          exp.type = tables[index];
          break;
        case 0x02:
          if (index >= memories.size()) return out_of_range("memory");
          exp.type = memories[index];
          break;
        case 0x03:
          if (index >= globals.size()) return out_of_range("global");
          exp.type = globals[index];
          break;
        case 0x04:
          if (index >= tag_types.size()) return out_of_range("tag");
          exp.type = TagType{types[tag_types[index]]};
          break;
        default:
          return ByteReader::error_at(at, "invalid export kind " + std::to_string(kind));
      }
      info.exports.push_back(std::move(exp));
    }
    return ok();
  }
};

}  // namespace

Result<ModuleInfo> read_module_info(std::span<const uint8_t> bytes, size_t base_offset) {
  ByteReader r(bytes, base_offset);
  WITSERVE_ASSIGN_OR_RETURN(uint32_t magic, r.fixed_u32());
  if (magic != 0x6d736100) return ByteReader::error_at(base_offset, "not a wasm binary (bad magic)");
  size_t version_at = r.offset();
  WITSERVE_ASSIGN_OR_RETURN(uint32_t version, r.fixed_u32());
  if (version != 1) {
    return ByteReader::error_at(version_at, version == 0x1000d
                                                ? "this is a component, not a core module"
                                                : "unsupported core module version");
  }
  Reader reader;
  while (!r.at_end()) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t id, r.u8());
    WITSERVE_ASSIGN_OR_RETURN(uint32_t size, r.u32());
    WITSERVE_ASSIGN_OR_RETURN(ByteReader s, r.sub(size));
    Status st;
    switch (id) {
      case kType: st = reader.read_types(s); break;
      case kImport: st = reader.read_imports(s); break;
      case kFunction: st = reader.read_functions(s); break;
      case kTable: st = reader.read_tables(s); break;
      case kMemory: st = reader.read_memories(s); break;
      case kGlobal: st = reader.read_globals(s); break;
      case kExport: st = reader.read_exports(s); break;
      case kTag: st = reader.read_tags(s); break;
      case kCustom: case kStart: case kElement: case kCode: case kData: case kDataCount:
        continue;  // the engine validates these when it compiles
      default:
        return ByteReader::error_at(at, "unknown section id " + std::to_string(id));
    }
    WITSERVE_TRY(st);
    if (!s.at_end()) return s.error("section " + std::to_string(id) + " has trailing bytes");
  }
  return std::move(reader.info);
}

}  // namespace witserve::engine
