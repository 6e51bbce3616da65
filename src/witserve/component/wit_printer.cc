// WIT printer. See wit_printer.h.
#include "witserve/component/wit_printer.h"

#include <map>
#include <unordered_map>

namespace witserve::component {
namespace {

using K = ExternType::Kind;

class Printer {
 public:
  explicit Printer(const ResolvedComponent& c) {
    for (const auto& [ptr, name] : c.type_names) names_.emplace(ptr, name);
    namer_ = [this](TypeRef t) -> const std::string* {
      auto it = names_.find(t);
      return it == names_.end() ? nullptr : &it->second;
    };
  }

  std::string type(TypeRef t, TypeRef defining = nullptr) {
    return to_string(t, namer_, t == defining && defining != nullptr);
  }

  std::string func(const FuncType& f, size_t skip_params = 0) {
    std::string s = f.async ? "async func(" : "func(";
    for (size_t i = skip_params; i < f.params.size(); ++i)
      s += (i > skip_params ? ", " : "") + f.params[i].name + ": " + type(f.params[i].type);
    s += ")";
    if (f.result) s += " -> " + type(f.result);
    return s;
  }

  // The body of an interface: its types, resources (with their functions) and functions.
  void interface_body(const std::vector<NamedExtern>& items, const std::string& indent, std::string& out) {
    std::map<std::string, std::vector<std::string>> resource_funcs;
    for (const auto& e : items) {
      if (e.type.kind != K::kFunc) continue;
      const std::string& n = e.name;
      auto close = n.find(']');
      if (n.empty() || n[0] != '[' || close == std::string::npos) continue;
      std::string kind = n.substr(1, close - 1), rest = n.substr(close + 1);
      if (kind == "constructor") {
        std::string sig = func(*e.type.func);
        auto arrow = sig.find(" -> ");
        resource_funcs[rest].push_back("constructor" + sig.substr(4, arrow == std::string::npos ? std::string::npos : arrow - 4) + ";");
      } else if (kind == "method" || kind == "static") {
        auto dot = rest.find('.');
        if (dot == std::string::npos) continue;
        resource_funcs[rest.substr(0, dot)].push_back(
            rest.substr(dot + 1) + ": " + (kind == "static" ? "static " : "") +
            func(*e.type.func, kind == "method" ? 1 : 0) + ";");
      }
    }
    for (const auto& e : items) {
      switch (e.type.kind) {
        case K::kType:
          if (e.type.resource) {
            auto it = resource_funcs.find(e.name);
            if (it == resource_funcs.end()) {
              out += indent + "resource " + e.name + ";\n";
            } else {
              out += indent + "resource " + e.name + " {\n";
              for (const auto& f : it->second) out += indent + "  " + f + "\n";
              out += indent + "}\n";
            }
          } else if (e.type.value) {
            out += indent + "type " + e.name + " = " + type(e.type.value, e.type.value) + ";\n";
          } else {
            out += indent + "/* " + type_kind(e.type) + " */ type " + e.name + ";\n";
          }
          break;
        case K::kFunc:
          if (e.name.empty() || e.name[0] != '[') out += indent + e.name + ": " + func(*e.type.func) + ";\n";
          break;
        case K::kInstance:
          out += indent + "/* instance */ " + e.name + ": interface {\n";
          interface_body(e.type.instance->exports, indent + "  ", out);
          out += indent + "}\n";
          break;
        default:
          out += indent + "/* " + kind_name(e.type.kind) + " */ " + e.name + ";\n";
          break;
      }
    }
  }

  // A type item that is not a value or resource type.
  static const char* type_kind(const ExternType& t) {
    return t.func ? "function type" : t.instance ? "instance type" : "component type";
  }

  void world_item(const char* dir, const NamedExtern& e, std::string& out) {
    switch (e.type.kind) {
      case K::kFunc:
        out += std::string("  ") + dir + " " + e.name + ": " + func(*e.type.func) + ";\n";
        break;
      case K::kInstance:
        out += std::string("  ") + dir + " " + e.name + ": interface {\n";
        interface_body(e.type.instance->exports, "    ", out);
        out += "  }\n";
        break;
      case K::kType:
        if (e.type.resource) out += "  " + std::string(dir) + " /* resource */ " + e.name + ";\n";
        else if (e.type.value) out += "  type " + e.name + " = " + type(e.type.value, e.type.value) + ";\n";
        else out += "  " + std::string(dir) + " /* " + type_kind(e.type) + " */ type " + e.name + ";\n";
        break;
      default:
        out += std::string("  ") + dir + " /* " + kind_name(e.type.kind) + " */ " + e.name + ";\n";
        break;
    }
  }

  static const char* kind_name(K k) {
    switch (k) {
      case K::kCoreModule: return "core module";
      case K::kFunc: return "func";
      case K::kValue: return "value";
      case K::kType: return "type";
      case K::kInstance: return "instance";
      case K::kComponent: return "component";
    }
    return "?";
  }

 private:
  std::unordered_map<const void*, std::string> names_;
  TypeNames namer_;
};

}  // namespace

std::string print_wit(const ResolvedComponent& c) {
  Printer p(c);
  std::string out = "world root {\n";
  for (const auto& i : c.type->imports) p.world_item("import", i, out);
  for (const auto& e : c.type->exports) p.world_item("export", e, out);
  out += "}\n";
  return out;
}

}  // namespace witserve::component
