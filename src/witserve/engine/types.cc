// String forms of the core types, and ModuleInfo lookups. Any thread.
#include "witserve/engine/types.h"

#include "witserve/engine/engine.h"

namespace witserve::engine {

const char* to_string(ValType t) {
  switch (t) {
    case ValType::kI32: return "i32";
    case ValType::kI64: return "i64";
    case ValType::kF32: return "f32";
    case ValType::kF64: return "f64";
    case ValType::kV128: return "v128";
    case ValType::kFuncRef: return "funcref";
    case ValType::kExternRef: return "externref";
  }
  return "?";
}

const char* to_string(ExternKind k) {
  switch (k) {
    case ExternKind::kFunc: return "func";
    case ExternKind::kTable: return "table";
    case ExternKind::kMemory: return "memory";
    case ExternKind::kGlobal: return "global";
    case ExternKind::kTag: return "tag";
  }
  return "?";
}

std::string to_string(const FuncType& t) {
  auto list = [](const std::vector<ValType>& v) {
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) s += ", ";
      s += to_string(v[i]);
    }
    return s + ")";
  };
  return list(t.params) + " -> " + list(t.results);
}

const ExportType* ModuleInfo::find_export(std::string_view name) const {
  for (const auto& e : exports)
    if (e.name == name) return &e;
  return nullptr;
}

namespace {
template <typename T>
std::shared_ptr<T> export_as(Instance& instance, std::string_view name) {
  auto e = instance.get_export(name);
  if (!e) return nullptr;
  auto* p = std::get_if<std::shared_ptr<T>>(&*e);
  return p ? *p : nullptr;
}
}  // namespace

std::shared_ptr<Func> Instance::func(std::string_view name) { return export_as<Func>(*this, name); }
std::shared_ptr<Memory> Instance::memory(std::string_view name) { return export_as<Memory>(*this, name); }
std::shared_ptr<Table> Instance::table(std::string_view name) { return export_as<Table>(*this, name); }
std::shared_ptr<Global> Instance::global(std::string_view name) { return export_as<Global>(*this, name); }

}  // namespace witserve::engine
