// read_module_state: what a core module's code can change after instantiation. See module_state.h.
#include "witserve/engine/module_state.h"

#include "witserve/base/byte_reader.h"
#include "witserve/engine/module_info.h"

namespace witserve::engine {

bool ModuleState::resettable() const {
  if (code_changes_tables_or_segments) return false;
  for (const GlobalType& g : defined_globals)
    if (g.mutable_ && g.type != ValType::kI32 && g.type != ValType::kI64 && g.type != ValType::kF32 &&
        g.type != ValType::kF64)
      return false;
  return true;
}

namespace {

constexpr uint8_t kType = 1, kImport = 2, kFunction = 3, kTable = 4, kMemory = 5, kGlobal = 6, kStart = 8,
                  kElement = 9, kCode = 10, kData = 11;

Status skip_memarg(ByteReader& r) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t align, r.u32());
  if (align & 0x40) WITSERVE_TRY(r.u32());  // multi-memory: a memory index follows
  WITSERVE_TRY(r.u64());                      // offset (64-bit for memory64)
  return ok();
}

struct CodeFacts {
  bool changes = false;  // tables or segments
  bool sizes_own = false, sizes_imported = false;
  std::vector<MemorySizeOp>* ops = nullptr;  // where memory.size/grow are, when asked
};

// Decodes one function body's instructions into `facts`; an unknown opcode is an error (the
// caller assumes the worst). `imported_memories` tells memory.size/grow targets apart.
Status scan_body(ByteReader& r, uint32_t imported_memories, CodeFacts& facts) {
  bool& changes = facts.changes;
  WITSERVE_ASSIGN_OR_RETURN(uint32_t local_groups, r.vec_length(2));
  for (uint32_t i = 0; i < local_groups; ++i) {
    WITSERVE_TRY(r.u32());
    WITSERVE_TRY(read_val_type(r));
  }
  while (!r.at_end()) {
    WITSERVE_ASSIGN_OR_RETURN(uint8_t op, r.u8());
    switch (op) {
      case 0x00: case 0x01: case 0x05: case 0x0B: case 0x0F: case 0x19: case 0x1A: case 0x1B: case 0xD1:
        break;
      case 0x02: case 0x03: case 0x04: case 0x06:  // block, loop, if, try: a block type
        WITSERVE_TRY(r.s33());
        break;
      case 0x07: case 0x08: case 0x09: case 0x0C: case 0x0D: case 0x10: case 0x12: case 0x18:
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0xD2:
        WITSERVE_TRY(r.u32());
        break;
      case 0x26:  // table.set
        changes = true;
        WITSERVE_TRY(r.u32());
        break;
      case 0x0E: {  // br_table
        WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length());
        for (uint32_t i = 0; i <= n; ++i) WITSERVE_TRY(r.u32());
        break;
      }
      case 0x11: case 0x13:  // call_indirect, return_call_indirect
        WITSERVE_TRY(r.u32());
        WITSERVE_TRY(r.u32());
        break;
      case 0x1C: {  // select with types
        WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length());
        for (uint32_t i = 0; i < n; ++i) WITSERVE_TRY(read_val_type(r));
        break;
      }
      case 0x3F: case 0x40: {  // memory.size, memory.grow
        size_t at = r.position() - 1;
        WITSERVE_ASSIGN_OR_RETURN(uint32_t memory, r.u32());
        (memory < imported_memories ? facts.sizes_imported : facts.sizes_own) = true;
        if (facts.ops) facts.ops->push_back({at, r.position() - at, op == 0x40});
        break;
      }
      case 0x41: WITSERVE_TRY(r.s32()); break;
      case 0x42: WITSERVE_TRY(r.s64()); break;
      case 0x43: WITSERVE_TRY(r.skip(4)); break;
      case 0x44: WITSERVE_TRY(r.skip(8)); break;
      case 0xD0: WITSERVE_TRY(r.s33()); break;  // ref.null heap type
      case 0xFC: {
        WITSERVE_ASSIGN_OR_RETURN(uint32_t sub, r.u32());
        switch (sub) {
          case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: break;  // trunc_sat
          case 8: WITSERVE_TRY(r.u32()); WITSERVE_TRY(r.u32()); break;          // memory.init
          case 10: WITSERVE_TRY(r.u32()); WITSERVE_TRY(r.u32()); break;         // memory.copy
          case 11: WITSERVE_TRY(r.u32()); break;                                // memory.fill
          case 16: WITSERVE_TRY(r.u32()); break;                                // table.size
          case 9: case 13:                                                      // data.drop, elem.drop
          case 15: case 17:                                                     // table.grow, table.fill
            changes = true;
            WITSERVE_TRY(r.u32());
            break;
          case 12: case 14:  // table.init, table.copy
            changes = true;
            WITSERVE_TRY(r.u32());
            WITSERVE_TRY(r.u32());
            break;
          default:
            return r.error("unknown 0xFC instruction");
        }
        break;
      }
      case 0xFD: {  // SIMD
        WITSERVE_ASSIGN_OR_RETURN(uint32_t sub, r.u32());
        if (sub <= 11 || sub == 92 || sub == 93) {
          WITSERVE_TRY(skip_memarg(r));
        } else if (sub == 12 || sub == 13) {
          WITSERVE_TRY(r.skip(16));
        } else if (sub >= 21 && sub <= 34) {
          WITSERVE_TRY(r.u8());
        } else if (sub >= 84 && sub <= 91) {
          WITSERVE_TRY(skip_memarg(r));
          WITSERVE_TRY(r.u8());
        }
        break;
      }
      case 0xFE: {  // atomics
        WITSERVE_ASSIGN_OR_RETURN(uint32_t sub, r.u32());
        if (sub == 3) {
          WITSERVE_TRY(r.u8());
        } else if (sub <= 2 || (sub >= 0x10 && sub <= 0x4E)) {
          WITSERVE_TRY(skip_memarg(r));
        } else {
          return r.error("unknown atomic instruction");
        }
        break;
      }
      default:
        if (op >= 0x28 && op <= 0x3E) {  // loads and stores
          WITSERVE_TRY(skip_memarg(r));
        } else if (op >= 0x45 && op <= 0xC4) {  // numeric, sign extension
        } else {
          return r.error("unknown instruction");
        }
    }
  }
  return ok();
}

Status scan_imports(ByteReader& r, ModuleState& s) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(4));
  for (uint32_t i = 0; i < n; ++i) {
    WITSERVE_TRY(r.name());
    WITSERVE_TRY(r.name());
    WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
    switch (kind) {
      case 0x00: WITSERVE_TRY(r.u32()); ++s.imported_funcs; break;
      case 0x01: WITSERVE_TRY(read_table_type(r)); ++s.imported_tables; break;
      case 0x02: WITSERVE_TRY(read_memory_type(r)); ++s.imported_memories; break;
      case 0x03: WITSERVE_TRY(read_global_type(r)); ++s.imported_globals; break;
      case 0x04: WITSERVE_TRY(r.u8()); WITSERVE_TRY(r.u32()); break;
      default: return r.error("invalid import kind");
    }
  }
  return ok();
}

// Active element segments: does one write into an imported table?
Status scan_elements(ByteReader& r, const ModuleState& s, bool& writes_import) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length());
  for (uint32_t i = 0; i < n; ++i) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t flags, r.u32());
    if (flags > 7) return r.error("invalid element segment flags");
    uint32_t table = 0;
    if (flags == 2 || flags == 6) {
      WITSERVE_ASSIGN_OR_RETURN(table, r.u32());
    }
    bool active = (flags & 1) == 0;
    if (active) {
      WITSERVE_TRY(skip_const_expr(r));
      if (table < s.imported_tables) writes_import = true;
    }
    bool exprs = flags & 4;
    if (flags != 0 && flags != 4) WITSERVE_TRY(r.u8());  // element kind or reference type
    WITSERVE_ASSIGN_OR_RETURN(uint32_t count, r.vec_length());
    for (uint32_t j = 0; j < count; ++j) {
      if (exprs) WITSERVE_TRY(skip_const_expr(r));
      else WITSERVE_TRY(r.u32());
    }
  }
  return ok();
}

Status scan_data(ByteReader& r, const ModuleState& s, bool& writes_import) {
  WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length());
  for (uint32_t i = 0; i < n; ++i) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t flags, r.u32());
    if (flags > 2) return r.error("invalid data segment flags");
    uint32_t memory = 0;
    if (flags == 2) {
      WITSERVE_ASSIGN_OR_RETURN(memory, r.u32());
    }
    if (flags != 1) {
      WITSERVE_TRY(skip_const_expr(r));
      if (memory < s.imported_memories) writes_import = true;
    }
    WITSERVE_ASSIGN_OR_RETURN(uint32_t size, r.u32());
    WITSERVE_TRY(r.skip(size));
  }
  return ok();
}

Status scan(std::span<const uint8_t> module, ModuleState& s) {
  ByteReader r(module);
  WITSERVE_TRY(r.skip(8));
  CodeFacts facts;
  bool writes_import = false;
  while (!r.at_end()) {
    WITSERVE_ASSIGN_OR_RETURN(uint8_t id, r.u8());
    WITSERVE_ASSIGN_OR_RETURN(uint32_t size, r.u32());
    WITSERVE_ASSIGN_OR_RETURN(ByteReader sec, r.sub(size));
    switch (id) {
      case kType: {
        WITSERVE_ASSIGN_OR_RETURN(s.types, sec.vec_length());
        break;
      }
      case kImport: WITSERVE_TRY(scan_imports(sec, s)); break;
      case kFunction: {
        WITSERVE_ASSIGN_OR_RETURN(s.defined_funcs, sec.vec_length());
        break;
      }
      case kTable: break;
      case kMemory: {
        WITSERVE_ASSIGN_OR_RETURN(s.defined_memories, sec.vec_length(2));
        break;
      }
      case kGlobal: {
        WITSERVE_ASSIGN_OR_RETURN(uint32_t n, sec.vec_length(3));
        for (uint32_t i = 0; i < n; ++i) {
          WITSERVE_ASSIGN_OR_RETURN(auto g, read_global_type(sec));
          WITSERVE_TRY(skip_const_expr(sec));
          s.defined_globals.push_back(g);
        }
        break;
      }
      case kStart: s.has_start = true; break;
      case kElement: WITSERVE_TRY(scan_elements(sec, s, writes_import)); break;
      case kData: WITSERVE_TRY(scan_data(sec, s, writes_import)); break;
      case kCode: {
        WITSERVE_ASSIGN_OR_RETURN(uint32_t n, sec.vec_length());
        for (uint32_t i = 0; i < n; ++i) {
          WITSERVE_ASSIGN_OR_RETURN(uint32_t body_size, sec.u32());
          WITSERVE_ASSIGN_OR_RETURN(ByteReader body, sec.sub(body_size));
          WITSERVE_TRY(scan_body(body, s.imported_memories, facts));
        }
        break;
      }
      default: break;
    }
  }
  s.code_changes_tables_or_segments = facts.changes;
  s.segments_write_imports = writes_import;
  s.sizes_own_memory = facts.sizes_own;
  s.sizes_imported_memory = facts.sizes_imported;
  return ok();
}

}  // namespace

Result<std::vector<MemorySizeOp>> find_memory_size_ops(std::span<const uint8_t> body) {
  std::vector<MemorySizeOp> ops;
  CodeFacts facts;
  facts.ops = &ops;
  ByteReader r(body);
  WITSERVE_TRY(scan_body(r, 0, facts));
  return ops;
}

ModuleState read_module_state(std::span<const uint8_t> module) {
  ModuleState s;
  if (!scan(module, s).ok()) {
    ModuleState worst;
    worst.has_start = s.has_start;
    return worst;
  }
  return s;
}

}  // namespace witserve::engine
