// Component binary decoder. Follows Binary.md production by production; see decoder.h.
#include "witserve/component/decoder.h"

#include <string>

#include "witserve/base/byte_reader.h"
#include "witserve/engine/module_info.h"

namespace witserve::component {
namespace {

using namespace ast;

std::string hex(uint32_t b) {
  static const char* digits = "0123456789abcdef";
  std::string s = "0x";
  if (b > 0xff) return "0x" + std::to_string(b);
  s += digits[b >> 4];
  s += digits[b & 15];
  return s;
}

Error bad(const ByteReader& r, size_t at, const std::string& what) {
  return ByteReader::error_at(at, what);
}

class Decoder {
 public:
  explicit Decoder(std::shared_ptr<const std::vector<uint8_t>> buffer) : buffer_(std::move(buffer)) {}

  Result<std::shared_ptr<const Component>> component(ByteReader r, int depth);

 private:
  // ---- small productions ----
  Result<SortKind> sort(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t b, r.u8());
    if (b == 0x00) {
      WITSERVE_ASSIGN_OR_RETURN(CoreSort cs, core_sort(r));
      return SortKind{Sort::kCore, cs};
    }
    if (b >= 0x01 && b <= 0x05) return SortKind{Sort(b), CoreSort::kFunc};
    return bad(r, at, "expected a sort, found " + hex(b));
  }

  Result<CoreSort> core_sort(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t b, r.u8());
    switch (b) {
      case 0x00: case 0x01: case 0x02: case 0x03: case 0x04:
      case 0x10: case 0x11: case 0x12:
        return CoreSort(b);
    }
    return bad(r, at, "expected a core sort, found " + hex(b));
  }

  Result<SortIdx> sort_idx(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(SortKind k, sort(r));
    WITSERVE_ASSIGN_OR_RETURN(uint32_t i, r.u32());
    return SortIdx{k, i};
  }

  Result<Name> name_attributes(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t b, r.u8());
    Name n;
    if (b != 0x00 && b != 0x01 && b != 0x02)
      return bad(r, at, "expected an import or export name (0x00, 0x01 or 0x02), found " + hex(b));
    WITSERVE_ASSIGN_OR_RETURN(n.name, r.name());
    if (b == 0x02) {
      WITSERVE_ASSIGN_OR_RETURN(uint32_t count, r.vec_length(2));
      for (uint32_t i = 0; i < count; ++i) {
        size_t attr_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
        WITSERVE_ASSIGN_OR_RETURN(std::string value, r.name());
        std::optional<std::string>* slot = kind == 0x00   ? &n.implements
                                           : kind == 0x01 ? &n.version_suffix
                                           : kind == 0x02 ? &n.external_id
                                                          : nullptr;
        if (!slot) return bad(r, attr_at, "unknown name attribute " + hex(kind));
        if (*slot) return bad(r, attr_at, "name attribute " + hex(kind) + " given twice");
        *slot = std::move(value);
      }
    }
    return n;
  }

  Result<ValType> val_type(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(int64_t v, r.s33());
    if (v >= 0) {
      if (v > int64_t(UINT32_MAX)) return bad(r, at, "type index too large");
      return ValType::ref(uint32_t(v));
    }
    uint8_t code = uint8_t(v & 0x7f);
    auto prim = prim_type(code);
    if (!prim) return bad(r, at, "expected a value type, found type code " + hex(code));
    return ValType::of(*prim);
  }

  static std::optional<PrimType> prim_type(uint8_t code) {
    if (code >= 0x73 && code <= 0x7f) return PrimType(0x7f - code);  // bool = 0x7f ... string = 0x73
    if (code == 0x64) return PrimType::kErrorContext;
    return std::nullopt;
  }

  Result<std::optional<ValType>> optional_val_type(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t b, r.u8());
    if (b == 0x00) return std::optional<ValType>();
    if (b != 0x01) return bad(r, at, "expected 0x00 or 0x01 before an optional type, found " + hex(b));
    WITSERVE_ASSIGN_OR_RETURN(ValType t, val_type(r));
    return std::optional<ValType>(t);
  }

  Result<std::vector<std::string>> labels(ByteReader& r, const char* what, uint32_t max) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(1));
    if (n == 0 || n > max)
      return bad(r, at, std::string(what) + " must have between 1 and " + std::to_string(max) +
                            " labels, has " + std::to_string(n));
    std::vector<std::string> out;
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      WITSERVE_ASSIGN_OR_RETURN(std::string l, r.name());
      out.push_back(std::move(l));
    }
    return out;
  }

  Result<std::vector<LabeledType>> labeled_types(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(2));
    std::vector<LabeledType> out;
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      LabeledType lt;
      WITSERVE_ASSIGN_OR_RETURN(lt.label, r.name());
      WITSERVE_ASSIGN_OR_RETURN(lt.type, val_type(r));
      out.push_back(std::move(lt));
    }
    return out;
  }

  // ---- types ----
  Result<std::shared_ptr<const TypeDef>> type_def(ByteReader& r, int depth) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t code, r.u8());
    auto t = std::make_shared<TypeDef>();
    if (auto p = prim_type(code)) {
      t->def = *p;
      return std::shared_ptr<const TypeDef>(t);
    }
    switch (code) {
      case 0x72: {
        WITSERVE_ASSIGN_OR_RETURN(auto fields, labeled_types(r));
        if (fields.empty()) return bad(r, at, "a record must have at least one field");
        t->def = RecordType{std::move(fields)};
        break;
      }
      case 0x71: {
        WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(3));
        if (n == 0) return bad(r, at, "a variant must have at least one case");
        VariantType v;
        v.cases.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
          Case c;
          WITSERVE_ASSIGN_OR_RETURN(c.label, r.name());
          WITSERVE_ASSIGN_OR_RETURN(c.type, optional_val_type(r));
          size_t refines_at = r.offset();
          WITSERVE_ASSIGN_OR_RETURN(uint8_t refines, r.u8());
          if (refines == 0x01) {
            WITSERVE_TRY(r.u32());  // legacy `refines` clause: parsed and ignored
          } else if (refines != 0x00) {
            return bad(r, refines_at, "expected 0x00 after a variant case, found " + hex(refines));
          }
          v.cases.push_back(std::move(c));
        }
        t->def = std::move(v);
        break;
      }
      case 0x70: {
        WITSERVE_ASSIGN_OR_RETURN(ValType e, val_type(r));
        t->def = ListType{e, std::nullopt};
        break;
      }
      case 0x67: {
        WITSERVE_ASSIGN_OR_RETURN(ValType e, val_type(r));
        size_t len_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint32_t len, r.u32());
        if (len == 0) return bad(r, len_at, "a fixed-length list must have a length above 0");
        t->def = ListType{e, len};
        break;
      }
      case 0x6f: {
        WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(1));
        if (n == 0) return bad(r, at, "a tuple must have at least one element");
        TupleType tt;
        tt.elements.reserve(n);
        for (uint32_t i = 0; i < n; ++i) {
          WITSERVE_ASSIGN_OR_RETURN(ValType e, val_type(r));
          tt.elements.push_back(e);
        }
        t->def = std::move(tt);
        break;
      }
      case 0x6e: {
        WITSERVE_ASSIGN_OR_RETURN(auto ls, labels(r, "flags", 32));
        t->def = FlagsType{std::move(ls)};
        break;
      }
      case 0x6d: {
        WITSERVE_ASSIGN_OR_RETURN(auto ls, labels(r, "an enum", UINT32_MAX));
        t->def = EnumType{std::move(ls)};
        break;
      }
      case 0x6b: {
        WITSERVE_ASSIGN_OR_RETURN(ValType e, val_type(r));
        t->def = OptionType{e};
        break;
      }
      case 0x6a: {
        ResultType res;
        WITSERVE_ASSIGN_OR_RETURN(res.ok, optional_val_type(r));
        WITSERVE_ASSIGN_OR_RETURN(res.error, optional_val_type(r));
        t->def = res;
        break;
      }
      case 0x69: {
        WITSERVE_ASSIGN_OR_RETURN(uint32_t i, r.u32());
        t->def = OwnType{i};
        break;
      }
      case 0x68: {
        WITSERVE_ASSIGN_OR_RETURN(uint32_t i, r.u32());
        t->def = BorrowType{i};
        break;
      }
      case 0x66: {
        WITSERVE_ASSIGN_OR_RETURN(auto e, optional_val_type(r));
        t->def = StreamType{e};
        break;
      }
      case 0x65: {
        WITSERVE_ASSIGN_OR_RETURN(auto e, optional_val_type(r));
        t->def = FutureType{e};
        break;
      }
      case 0x63: {
        MapType m;
        WITSERVE_ASSIGN_OR_RETURN(m.key, val_type(r));
        WITSERVE_ASSIGN_OR_RETURN(m.value, val_type(r));
        t->def = m;
        break;
      }
      case 0x3f: {
        ResourceType res;
        size_t rep_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(res.rep, engine::read_val_type(r));
        if (res.rep != engine::ValType::kI32)
          return bad(r, rep_at, "a resource's representation must be i32");
        size_t dtor_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint8_t has_dtor, r.u8());
        if (has_dtor == 0x01) {
          WITSERVE_ASSIGN_OR_RETURN(uint32_t f, r.u32());
          res.dtor = f;
        } else if (has_dtor != 0x00) {
          return bad(r, dtor_at, "expected 0x00 or 0x01 before a resource destructor");
        }
        t->def = res;
        break;
      }
      case 0x40:
      case 0x43: {
        FuncType f;
        f.async = code == 0x43;
        WITSERVE_ASSIGN_OR_RETURN(f.params, labeled_types(r));
        size_t res_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
        if (kind == 0x00) {
          WITSERVE_ASSIGN_OR_RETURN(ValType rt, val_type(r));
          f.result = rt;
        } else if (kind == 0x01) {
          size_t n_at = r.offset();
          WITSERVE_ASSIGN_OR_RETURN(uint8_t n, r.u8());
          if (n != 0) return bad(r, n_at, "named function results are no longer part of the format");
        } else {
          return bad(r, res_at, "expected a result list (0x00 or 0x01), found " + hex(kind));
        }
        t->def = std::move(f);
        break;
      }
      case 0x41: {
        WITSERVE_ASSIGN_OR_RETURN(auto decls, declarations(r, depth + 1, /*component=*/true));
        t->def = ComponentType{std::move(decls)};
        break;
      }
      case 0x42: {
        WITSERVE_ASSIGN_OR_RETURN(auto decls, declarations(r, depth + 1, /*component=*/false));
        t->def = InstanceType{std::move(decls)};
        break;
      }
      case 0x6c:
        return bad(r, at, "union types are no longer part of the component model");
      default:
        return bad(r, at, "expected a type definition, found " + hex(code));
    }
    return std::shared_ptr<const TypeDef>(t);
  }

  Result<ExternType> extern_type(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
    ExternType e;
    switch (kind) {
      case 0x00: {
        size_t m_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint8_t m, r.u8());
        if (m != 0x11) return bad(r, m_at, "expected 0x11 (core module) after 0x00 in an extern type");
        e.kind = ExternType::Kind::kCoreModule;
        WITSERVE_ASSIGN_OR_RETURN(e.index, r.u32());
        return e;
      }
      case 0x01: e.kind = ExternType::Kind::kFunc; break;
      case 0x04: e.kind = ExternType::Kind::kComponent; break;
      case 0x05: e.kind = ExternType::Kind::kInstance; break;
      case 0x02: {
        e.kind = ExternType::Kind::kValue;
        size_t b_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint8_t b, r.u8());
        if (b == 0x00) {
          e.value_is_eq = true;
          WITSERVE_ASSIGN_OR_RETURN(e.index, r.u32());
        } else if (b == 0x01) {
          WITSERVE_ASSIGN_OR_RETURN(e.value_type, val_type(r));
        } else {
          return bad(r, b_at, "expected a value bound, found " + hex(b));
        }
        return e;
      }
      case 0x03: {
        e.kind = ExternType::Kind::kType;
        size_t b_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint8_t b, r.u8());
        if (b == 0x00) {
          WITSERVE_ASSIGN_OR_RETURN(e.bound.eq_index, r.u32());
        } else if (b == 0x01) {
          e.bound.is_sub_resource = true;
        } else {
          return bad(r, b_at, "expected a type bound, found " + hex(b));
        }
        return e;
      }
      default:
        return bad(r, at, "expected an extern type, found " + hex(kind));
    }
    WITSERVE_ASSIGN_OR_RETURN(e.index, r.u32());
    return e;
  }

  Result<Alias> alias(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(SortKind s, sort(r));
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t target, r.u8());
    switch (target) {
      case 0x00: {
        ExportAlias a{s, 0, {}};
        WITSERVE_ASSIGN_OR_RETURN(a.instance, r.u32());
        WITSERVE_ASSIGN_OR_RETURN(a.name, r.name());
        return Alias(std::move(a));
      }
      case 0x01: {
        if (s.sort != Sort::kCore) return bad(r, at, "a core export alias must have a core sort");
        CoreExportAlias a{s.core, 0, {}};
        WITSERVE_ASSIGN_OR_RETURN(a.instance, r.u32());
        WITSERVE_ASSIGN_OR_RETURN(a.name, r.name());
        return Alias(std::move(a));
      }
      case 0x02: {
        bool allowed = s.sort == Sort::kType || s.sort == Sort::kComponent ||
                       (s.sort == Sort::kCore && (s.core == CoreSort::kType || s.core == CoreSort::kModule));
        if (!allowed) return bad(r, at, "an outer alias may only name a type, module or component");
        OuterAlias a{s, 0, 0};
        WITSERVE_ASSIGN_OR_RETURN(a.count, r.u32());
        WITSERVE_ASSIGN_OR_RETURN(a.index, r.u32());
        return Alias(a);
      }
    }
    return bad(r, at, "expected an alias target (0x00, 0x01 or 0x02), found " + hex(target));
  }

  Result<std::vector<Decl>> declarations(ByteReader& r, int depth, bool component) {
    if (depth > kMaxNesting) return r.error("types nest deeper than " + std::to_string(kMaxNesting));
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(2));
    std::vector<Decl> out;
    out.reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      size_t at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
      Decl d{};
      switch (kind) {
        case 0x00: {
          d.kind = Decl::Kind::kCoreType;
          WITSERVE_ASSIGN_OR_RETURN(d.core_type, core_type(r, depth));
          break;
        }
        case 0x01: {
          d.kind = Decl::Kind::kType;
          WITSERVE_ASSIGN_OR_RETURN(d.type, type_def(r, depth));
          break;
        }
        case 0x02: {
          d.kind = Decl::Kind::kAlias;
          WITSERVE_ASSIGN_OR_RETURN(d.alias, alias(r));
          break;
        }
        case 0x03:
          if (!component) return bad(r, at, "an instance type cannot declare imports");
          [[fallthrough]];
        case 0x04: {
          d.kind = kind == 0x03 ? Decl::Kind::kImport : Decl::Kind::kExport;
          WITSERVE_ASSIGN_OR_RETURN(d.name, name_attributes(r));
          WITSERVE_ASSIGN_OR_RETURN(d.extern_type, extern_type(r));
          break;
        }
        default:
          return bad(r, at, std::string("expected a ") + (component ? "component" : "instance") +
                                " type declaration, found " + hex(kind));
      }
      out.push_back(std::move(d));
    }
    return out;
  }

  Result<std::shared_ptr<const CoreTypeDef>> core_type(ByteReader& r, int depth) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t form, r.u8());
    if (form == 0x60) {
      WITSERVE_ASSIGN_OR_RETURN(auto ft, engine::read_func_type_body(r));
      return std::make_shared<const CoreTypeDef>(std::move(ft));
    }
    if (form == 0x50) {
      WITSERVE_ASSIGN_OR_RETURN(auto mt, core_module_type(r));
      return std::make_shared<const CoreTypeDef>(std::move(mt));
    }
    if (form == 0x4e || form == 0x00 || form == 0x4f || form == 0x5e || form == 0x5f)
      return bad(r, at, "GC core types are not supported");
    return bad(r, at, "expected a core type (0x60 or 0x50), found " + hex(form));
  }

  Result<engine::ExternType> core_extern_desc(ByteReader& r, uint32_t* func_type_index) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
    switch (kind) {
      case 0x00: {
        WITSERVE_ASSIGN_OR_RETURN(*func_type_index, r.u32());
        return engine::ExternType(engine::FuncType{});
      }
      case 0x01: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, engine::read_table_type(r));
        return engine::ExternType(t);
      }
      case 0x02: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, engine::read_memory_type(r));
        return engine::ExternType(t);
      }
      case 0x03: {
        WITSERVE_ASSIGN_OR_RETURN(auto t, engine::read_global_type(r));
        return engine::ExternType(t);
      }
      case 0x04: {
        WITSERVE_TRY(r.u8());
        WITSERVE_ASSIGN_OR_RETURN(*func_type_index, r.u32());
        return engine::ExternType(engine::TagType{});
      }
    }
    return bad(r, at, "expected a core extern type, found " + hex(kind));
  }

  // Function types referenced by index inside a module type are resolved against the module
  // type's own type space here, since it is complete by the time they are used.
  Result<CoreModuleType> core_module_type(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(2));
    CoreModuleType mt;
    std::vector<std::shared_ptr<const engine::FuncType>> types;  // the module type's type space
    auto resolve = [&](CoreModuleDecl& d, engine::ExternType& t, uint32_t idx, size_t at) -> Status {
      if (!std::holds_alternative<engine::FuncType>(t) && !std::holds_alternative<engine::TagType>(t))
        return ok();
      if (idx < types.size() && !types[idx]) {  // an outer alias: the resolver fills it in
        d.aliased_type = idx;
        return ok();
      }
      if (idx >= types.size())
        return ByteReader::error_at(at, "core type index " + std::to_string(idx) +
                                            " is not a function type of this module type");
      if (auto* f = std::get_if<engine::FuncType>(&t)) *f = *types[idx];
      else std::get<engine::TagType>(t).type = *types[idx];
      return ok();
    };
    for (uint32_t i = 0; i < n; ++i) {
      size_t at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
      CoreModuleDecl d{};
      switch (kind) {
        case 0x00: {
          d.kind = CoreModuleDecl::Kind::kImport;
          WITSERVE_ASSIGN_OR_RETURN(d.import.module, r.name());
          WITSERVE_ASSIGN_OR_RETURN(d.import.name, r.name());
          size_t t_at = r.offset();
          uint32_t idx = 0;
          WITSERVE_ASSIGN_OR_RETURN(d.import.type, core_extern_desc(r, &idx));
          WITSERVE_TRY(resolve(d, d.import.type, idx, t_at));
          break;
        }
        case 0x01: {
          d.kind = CoreModuleDecl::Kind::kType;
          size_t t_at = r.offset();
          WITSERVE_ASSIGN_OR_RETURN(uint8_t form, r.u8());
          if (form != 0x60)
            return bad(r, t_at, "a module type may only declare function types, found " + hex(form));
          WITSERVE_ASSIGN_OR_RETURN(auto ft, engine::read_func_type_body(r));
          d.type = std::make_shared<const engine::FuncType>(std::move(ft));
          types.push_back(d.type);
          break;
        }
        case 0x02: {
          d.kind = CoreModuleDecl::Kind::kAlias;
          size_t s_at = r.offset();
          WITSERVE_ASSIGN_OR_RETURN(uint8_t s, r.u8());
          WITSERVE_ASSIGN_OR_RETURN(uint8_t t, r.u8());
          if (s != 0x10 || t != 0x01)
            return bad(r, s_at, "a module type may only alias outer core types");
          d.alias.sort = SortKind{Sort::kCore, CoreSort::kType};
          WITSERVE_ASSIGN_OR_RETURN(d.alias.count, r.u32());
          WITSERVE_ASSIGN_OR_RETURN(d.alias.index, r.u32());
          types.push_back(nullptr);  // resolved against the enclosing scope later
          break;
        }
        case 0x03: {
          d.kind = CoreModuleDecl::Kind::kExport;
          WITSERVE_ASSIGN_OR_RETURN(d.export_name, r.name());
          size_t t_at = r.offset();
          uint32_t idx = 0;
          WITSERVE_ASSIGN_OR_RETURN(d.export_type, core_extern_desc(r, &idx));
          WITSERVE_TRY(resolve(d, d.export_type, idx, t_at));
          break;
        }
        default:
          return bad(r, at, "expected a module type declaration, found " + hex(kind));
      }
      mt.decls.push_back(std::move(d));
    }
    return mt;
  }

  // ---- definitions ----
  Result<CoreInstanceDef> core_instance(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
    CoreInstanceDef d;
    if (kind == 0x00) {
      WITSERVE_ASSIGN_OR_RETURN(d.module, r.u32());
      WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(3));
      for (uint32_t i = 0; i < n; ++i) {
        CoreInstantiateArg a;
        WITSERVE_ASSIGN_OR_RETURN(a.name, r.name());
        size_t s_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint8_t s, r.u8());
        if (s != 0x12) return bad(r, s_at, "a core instantiation argument must be an instance (0x12)");
        WITSERVE_ASSIGN_OR_RETURN(a.instance, r.u32());
        d.args.push_back(std::move(a));
      }
      return d;
    }
    if (kind == 0x01) {
      d.is_instantiate = false;
      WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(3));
      for (uint32_t i = 0; i < n; ++i) {
        CoreInlineExport e;
        WITSERVE_ASSIGN_OR_RETURN(e.name, r.name());
        WITSERVE_ASSIGN_OR_RETURN(e.item.sort, core_sort(r));
        WITSERVE_ASSIGN_OR_RETURN(e.item.index, r.u32());
        d.exports.push_back(std::move(e));
      }
      return d;
    }
    return bad(r, at, "expected a core instance (0x00 or 0x01), found " + hex(kind));
  }

  Result<InstanceDef> instance(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
    InstanceDef d;
    if (kind == 0x00) {
      WITSERVE_ASSIGN_OR_RETURN(d.component, r.u32());
      WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(3));
      for (uint32_t i = 0; i < n; ++i) {
        InstantiateArg a;
        WITSERVE_ASSIGN_OR_RETURN(a.name, r.name());
        WITSERVE_ASSIGN_OR_RETURN(a.item, sort_idx(r));
        d.args.push_back(std::move(a));
      }
      return d;
    }
    if (kind == 0x01) {
      d.is_instantiate = false;
      WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(4));
      for (uint32_t i = 0; i < n; ++i) {
        InlineExport e;
        WITSERVE_ASSIGN_OR_RETURN(e.name, name_attributes(r));
        WITSERVE_ASSIGN_OR_RETURN(e.item, sort_idx(r));
        d.exports.push_back(std::move(e));
      }
      return d;
    }
    return bad(r, at, "expected an instance (0x00 or 0x01), found " + hex(kind));
  }

  Result<CanonOpts> canon_opts(ByteReader& r) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(1));
    CanonOpts o;
    bool have_encoding = false;
    for (uint32_t i = 0; i < n; ++i) {
      size_t at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
      auto once = [&](bool present, const char* what) -> Status {
        if (present) return bad(r, at, std::string("canonical option ") + what + " given twice");
        return ok();
      };
      switch (kind) {
        case 0x00: case 0x01: case 0x02:
          WITSERVE_TRY(once(have_encoding, "string-encoding"));
          have_encoding = true;
          o.string_encoding = StringEncoding(kind);
          break;
        case 0x03: {
          WITSERVE_TRY(once(o.memory.has_value(), "memory"));
          WITSERVE_ASSIGN_OR_RETURN(uint32_t m, r.u32());
          o.memory = m;
          break;
        }
        case 0x04: {
          WITSERVE_TRY(once(o.realloc.has_value(), "realloc"));
          WITSERVE_ASSIGN_OR_RETURN(uint32_t f, r.u32());
          o.realloc = f;
          break;
        }
        case 0x05: {
          WITSERVE_TRY(once(o.post_return.has_value(), "post-return"));
          WITSERVE_ASSIGN_OR_RETURN(uint32_t f, r.u32());
          o.post_return = f;
          break;
        }
        case 0x06:
          WITSERVE_TRY(once(o.async, "async"));
          o.async = true;
          break;
        case 0x07: {
          WITSERVE_TRY(once(o.callback.has_value(), "callback"));
          WITSERVE_ASSIGN_OR_RETURN(uint32_t f, r.u32());
          o.callback = f;
          break;
        }
        default:
          return bad(r, at, "unknown canonical option " + hex(kind));
      }
    }
    return o;
  }

  Result<CanonDef> canon(ByteReader& r) {
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t op, r.u8());
    CanonDef c{};
    c.opcode = op;
    auto expect_func_sort = [&]() -> Status {
      size_t s_at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint8_t s, r.u8());
      if (s != 0x00) return bad(r, s_at, "expected 0x00 (func) after a canon lift or lower");
      return ok();
    };
    auto byte_flag = [&]() -> Status {
      size_t f_at = r.offset();
      WITSERVE_ASSIGN_OR_RETURN(uint8_t f, r.u8());
      if (f > 1) return bad(r, f_at, "expected 0x00 or 0x01, found " + hex(f));
      return ok();
    };
    switch (op) {
      case 0x00: {
        c.kind = CanonDef::Kind::kLift;
        WITSERVE_TRY(expect_func_sort());
        WITSERVE_ASSIGN_OR_RETURN(c.func, r.u32());
        WITSERVE_ASSIGN_OR_RETURN(c.opts, canon_opts(r));
        WITSERVE_ASSIGN_OR_RETURN(c.type, r.u32());
        return c;
      }
      case 0x01: {
        c.kind = CanonDef::Kind::kLower;
        WITSERVE_TRY(expect_func_sort());
        WITSERVE_ASSIGN_OR_RETURN(c.func, r.u32());
        WITSERVE_ASSIGN_OR_RETURN(c.opts, canon_opts(r));
        return c;
      }
      case 0x02: case 0x03: case 0x04: {
        c.kind = op == 0x02 ? CanonDef::Kind::kResourceNew
                 : op == 0x03 ? CanonDef::Kind::kResourceDrop
                              : CanonDef::Kind::kResourceRep;
        WITSERVE_ASSIGN_OR_RETURN(c.type, r.u32());
        return c;
      }
    }
    // Async, thread and error-context built-ins: decoded so the whole format reads, refused later.
    c.kind = CanonDef::Kind::kOther;
    switch (op) {
      case 0x24: case 0x25: case 0x05: case 0x0d: case 0x1e: case 0x1f: case 0x22: case 0x23:
      case 0x26: case 0x28: {
        return c;
      }
      case 0x09: {
        size_t k_at = r.offset();
        WITSERVE_ASSIGN_OR_RETURN(uint8_t kind, r.u8());
        if (kind == 0x00) {
          WITSERVE_TRY(val_type(r));
        } else if (kind == 0x01) {
          WITSERVE_ASSIGN_OR_RETURN(uint8_t zero, r.u8());
          if (zero != 0) return bad(r, k_at, "named results are no longer part of the format");
        } else {
          return bad(r, k_at, "expected a result list, found " + hex(kind));
        }
        WITSERVE_ASSIGN_OR_RETURN(c.opts, canon_opts(r));
        return c;
      }
      case 0x0a: case 0x0b: {
        WITSERVE_TRY(engine::read_val_type(r));
        WITSERVE_TRY(r.u32());
        return c;
      }
      case 0x06: {
        WITSERVE_TRY(byte_flag());
        return c;
      }
      case 0x0e: case 0x13: case 0x14: case 0x15: case 0x1a: case 0x1b: {
        WITSERVE_ASSIGN_OR_RETURN(c.type, r.u32());
        return c;
      }
      case 0x0f: case 0x10: case 0x16: case 0x17: {
        WITSERVE_ASSIGN_OR_RETURN(c.type, r.u32());
        WITSERVE_ASSIGN_OR_RETURN(c.opts, canon_opts(r));
        return c;
      }
      case 0x11: case 0x12: case 0x18: case 0x19: {
        WITSERVE_ASSIGN_OR_RETURN(c.type, r.u32());
        WITSERVE_TRY(byte_flag());
        return c;
      }
      case 0x1c: case 0x1d: {
        WITSERVE_ASSIGN_OR_RETURN(c.opts, canon_opts(r));
        return c;
      }
      case 0x20: case 0x21: {
        WITSERVE_TRY(byte_flag());
        WITSERVE_TRY(r.u32());
        return c;
      }
      case 0x27: {
        WITSERVE_TRY(r.u32());
        WITSERVE_TRY(r.u32());
        return c;
      }
      case 0x29: case 0x0c: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x42: {
        WITSERVE_TRY(byte_flag());
        return c;
      }
      case 0x40: {
        WITSERVE_TRY(byte_flag());
        WITSERVE_TRY(r.u32());
        return c;
      }
      case 0x41: {
        WITSERVE_TRY(byte_flag());
        WITSERVE_TRY(r.u32());
        WITSERVE_TRY(r.u32());
        return c;
      }
    }
    return bad(r, at, "unknown canonical definition " + hex(op));
  }

  Result<StartDef> start(ByteReader& r) {
    StartDef s{};
    WITSERVE_ASSIGN_OR_RETURN(s.func, r.u32());
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(1));
    for (uint32_t i = 0; i < n; ++i) {
      WITSERVE_ASSIGN_OR_RETURN(uint32_t v, r.u32());
      s.args.push_back(v);
    }
    WITSERVE_ASSIGN_OR_RETURN(s.results, r.u32());
    return s;
  }

  Result<ExportDef> export_def(ByteReader& r) {
    ExportDef e;
    WITSERVE_ASSIGN_OR_RETURN(e.name, name_attributes(r));
    WITSERVE_ASSIGN_OR_RETURN(e.item, sort_idx(r));
    size_t at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t has_type, r.u8());
    if (has_type == 0x01) {
      WITSERVE_ASSIGN_OR_RETURN(auto t, extern_type(r));
      e.type = t;
    } else if (has_type != 0x00) {
      return bad(r, at, "expected 0x00 or 0x01 before an export's type, found " + hex(has_type));
    }
    return e;
  }

  Result<ValueDef> value_def(ByteReader& r) {
    ValueDef v;
    WITSERVE_ASSIGN_OR_RETURN(v.type, val_type(r));
    WITSERVE_ASSIGN_OR_RETURN(uint32_t len, r.u32());
    WITSERVE_ASSIGN_OR_RETURN(v.bytes, r.bytes(len));
    return v;
  }

  template <typename F>
  Status each(ByteReader& r, size_t min_size, std::vector<Definition>& defs, F read_one) {
    WITSERVE_ASSIGN_OR_RETURN(uint32_t n, r.vec_length(min_size));
    for (uint32_t i = 0; i < n; ++i) {
      auto d = read_one(r);
      if (!d.ok()) return std::move(d).error();
      defs.push_back(Definition(std::move(d).value()));
    }
    return ok();
  }

  std::shared_ptr<const std::vector<uint8_t>> buffer_;
};

Result<std::shared_ptr<const Component>> Decoder::component(ByteReader r, int depth) {
  if (depth > kMaxNesting)
    return r.error("components nest deeper than " + std::to_string(kMaxNesting));
  auto c = std::make_shared<Component>();
  c->offset = r.offset();
  c->buffer = buffer_;
  size_t at = r.offset();
  WITSERVE_ASSIGN_OR_RETURN(uint32_t magic, r.fixed_u32());
  if (magic != 0x6d736100) return bad(r, at, "not a WebAssembly binary (bad magic)");
  at = r.offset();
  WITSERVE_ASSIGN_OR_RETURN(auto vl, r.bytes(4));
  uint16_t version = uint16_t(vl[0] | vl[1] << 8), layer = uint16_t(vl[2] | vl[3] << 8);
  if (layer == 0) return bad(r, at, "this is a core module, not a component");
  if (layer != 1) return bad(r, at, "unknown binary layer " + std::to_string(layer));
  if (version != kComponentVersion)
    return bad(r, at, "unsupported component binary version " + hex(version) + " (this reads " +
                          hex(kComponentVersion) + ")");

  auto& defs = c->defs;
  while (!r.at_end()) {
    size_t section_at = r.offset();
    WITSERVE_ASSIGN_OR_RETURN(uint8_t id, r.u8());
    WITSERVE_ASSIGN_OR_RETURN(uint32_t size, r.u32());
    WITSERVE_ASSIGN_OR_RETURN(ByteReader s, r.sub(size));
    Status st;
    switch (id) {
      case 0:  // custom: names are optional and never affect behaviour
        WITSERVE_TRY(s.name());
        continue;
      case 1: {
        auto bytes = std::span<const uint8_t>(buffer_->data() + s.offset(), size);
        if (size < 8 || bytes[0] != 0 || bytes[1] != 'a' || bytes[2] != 's' || bytes[3] != 'm' ||
            bytes[4] != 1 || bytes[5] != 0 || bytes[6] != 0 || bytes[7] != 0)
          return bad(r, s.offset(), "core module section does not hold a core module");
        defs.push_back(CoreModuleDef{bytes, s.offset()});
        continue;
      }
      case 2: st = each(s, 2, defs, [&](ByteReader& x) { return core_instance(x); }); break;
      case 3: st = each(s, 1, defs, [&](ByteReader& x) { return core_type(x, depth); }); break;
      case 4: {
        WITSERVE_ASSIGN_OR_RETURN(auto nested, component(s, depth + 1));
        defs.push_back(std::move(nested));
        continue;
      }
      case 5: st = each(s, 2, defs, [&](ByteReader& x) { return instance(x); }); break;
      case 6: st = each(s, 3, defs, [&](ByteReader& x) { return alias(x); }); break;
      case 7: st = each(s, 1, defs, [&](ByteReader& x) { return type_def(x, depth); }); break;
      case 8: st = each(s, 2, defs, [&](ByteReader& x) { return canon(x); }); break;
      case 9: {
        WITSERVE_ASSIGN_OR_RETURN(auto sd, start(s));
        defs.push_back(std::move(sd));
        break;
      }
      case 10:
        st = each(s, 3, defs, [&](ByteReader& x) -> Result<ImportDef> {
          ImportDef d;
          WITSERVE_ASSIGN_OR_RETURN(d.name, name_attributes(x));
          WITSERVE_ASSIGN_OR_RETURN(d.type, extern_type(x));
          return d;
        });
        break;
      case 11: st = each(s, 4, defs, [&](ByteReader& x) { return export_def(x); }); break;
      case 12: st = each(s, 2, defs, [&](ByteReader& x) { return value_def(x); }); break;
      default:
        return bad(r, section_at, "unknown component section id " + std::to_string(id));
    }
    WITSERVE_TRY(st);
    if (!s.at_end())
      return bad(r, s.offset(), "section " + std::to_string(id) + " has " +
                                    std::to_string(s.remaining()) + " bytes left over");
  }
  return std::shared_ptr<const Component>(c);
}

}  // namespace

bool looks_like_component(std::span<const uint8_t> bytes) {
  return bytes.size() >= 8 && bytes[0] == 0 && bytes[1] == 'a' && bytes[2] == 's' &&
         bytes[3] == 'm' && bytes[6] == 1 && bytes[7] == 0;
}

Result<std::shared_ptr<const ast::Component>> decode_component(std::vector<uint8_t> bytes) {
  auto buffer = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  Decoder d(buffer);
  return d.component(ByteReader(*buffer), 0);
}

}  // namespace witserve::component
