// The handler world's types, checks and host imports (see handler_world.h).
#include "witserve/runtime/handler_world.h"

#include "witserve/base/log.h"
#include "witserve/component/types.h"
#include "witserve/wasi/wasi.h"

namespace witserve::runtime {
namespace {

using component::Field;
using component::FuncType;
using component::TypeArena;
using component::TypeKind;
using component::TypeRef;
using component::ValueType;

// The expected `handle` type, built once in its own arena.
struct WorldTypes {
  TypeArena arena;
  const FuncType* handle = nullptr;

  WorldTypes() {
    TypeRef str = arena.primitive(TypeKind::kString);
    ValueType header;
    header.kind = TypeKind::kTuple;
    header.elements = {str, str};
    ValueType headers;
    headers.kind = TypeKind::kList;
    headers.element = arena.add(std::move(header));
    TypeRef headers_t = arena.add(std::move(headers));
    ValueType bytes;
    bytes.kind = TypeKind::kList;
    bytes.element = arena.primitive(TypeKind::kU8);
    TypeRef bytes_t = arena.add(std::move(bytes));
    ValueType request;
    request.kind = TypeKind::kRecord;
    request.fields = {{"method", str}, {"path", str}, {"headers", headers_t}, {"body", bytes_t}};
    ValueType response;
    response.kind = TypeKind::kRecord;
    response.fields = {{"status", arena.primitive(TypeKind::kU16)}, {"headers", headers_t}, {"body", bytes_t}};
    FuncType f;
    f.params = {{"req", arena.add(std::move(request))}};
    f.result = arena.add(std::move(response));
    handle = arena.add(std::move(f));
  }
};

const WorldTypes& world_types() {
  static const WorldTypes types;
  return types;
}

// "witserve:handler/host" or "witserve:handler/host@0.1.x".
bool is_host_interface(std::string_view name) {
  if (!name.starts_with(kHostInterface)) return false;
  return name.size() == kHostInterface.size() || name[kHostInterface.size()] == '@';
}

bool exports_only_types(const component::InstanceType& t) {
  for (const auto& e : t.exports)
    if (e.type.kind != component::ExternType::Kind::kType) return false;
  return true;
}

}  // namespace

namespace {

// What is wrong with the component's imports, one line each.
void check_imports(const component::ResolvedComponent& c, std::vector<std::string>& problems) {
  for (const auto& imp : c.type->imports) {
    using Kind = component::ExternType::Kind;
    if (imp.type.kind == Kind::kType) continue;
    if (imp.type.kind == Kind::kInstance && (exports_only_types(*imp.type.instance) || is_host_interface(imp.name)))
      continue;
    std::string why;
    if (imp.type.kind == Kind::kInstance && wasi::is_host_package(imp.name)) {
      if (wasi::provides(imp.name, &why)) continue;
      problems.push_back("it imports '" + imp.name + "': " + why);
      continue;
    }
    problems.push_back("it imports '" + imp.name + "', which witserve does not provide (only " +
                       std::string(kHostInterface) + ", WASI 0.2 and type-only interfaces)");
  }
  if (!c.unsupported.empty()) problems.push_back("it uses " + c.unsupported.front() + ", which witserve does not run yet");
}

Status refusal(std::string_view what, const std::vector<std::string>& problems) {
  if (problems.empty()) return ok();
  std::string msg = std::string(what) + ": " + problems[0];
  for (size_t i = 1; i < problems.size(); ++i) msg += "; " + problems[i];
  return Error(ErrorKind::kLink, msg);
}

}  // namespace

Status check_handler_world(const component::ResolvedComponent& c) {
  std::vector<std::string> problems;
  check_imports(c, problems);
  const component::NamedExtern* handle = nullptr;
  for (const auto& e : c.type->exports)
    if (e.name == kHandleExport) handle = &e;
  if (!handle || handle->type.kind != component::ExternType::Kind::kFunc) {
    problems.push_back("it exports no function 'handle' and no wasi:http/incoming-handler (exports: " + [&] {
      std::string names;
      for (const auto& e : c.type->exports) names += (names.empty() ? "" : ", ") + e.name;
      return names.empty() ? std::string("none") : names;
    }() + ")");
  } else {
    std::string why;
    component::Matcher m;
    if (!m.func(*handle->type.func, *world_types().handle, &why))
      problems.push_back("its 'handle' has type " + component::to_string(*handle->type.func) +
                         ", which does not fit the handler world's " + component::to_string(*world_types().handle) +
                         ": " + why);
  }
  return refusal("not a handler-world component", problems);
}

Result<ServedWorld> check_served_world(const component::ResolvedComponent& c) {
  ServedWorld out;
  out.http_export = wasi::incoming_handler_export(c);
  if (!out.http_export) {
    WITSERVE_TRY(check_handler_world(c));
    return out;
  }
  std::vector<std::string> problems;
  check_imports(c, problems);
  WITSERVE_TRY(refusal("not a servable wasi:http component", problems));
  return out;
}

std::vector<std::string> describe_world(const component::ResolvedComponent& c) {
  std::vector<std::string> out;
  for (const auto& imp : c.type->imports) out.push_back("import " + imp.name);
  for (const auto& e : c.type->exports) {
    if (e.type.kind == component::ExternType::Kind::kFunc)
      out.push_back("export " + e.name + ": " + component::to_string(*e.type.func));
    else
      out.push_back("export " + e.name);
  }
  return out;
}

std::shared_ptr<const component::Linker> make_host_linker(std::shared_ptr<const HostContext> context) {
  auto linker = std::make_shared<component::Linker>();
  wasi::add_wasi(*linker);
  TypeArena& arena = linker->arena();
  TypeRef str = arena.primitive(TypeKind::kString);
  ValueType level;
  level.kind = TypeKind::kEnum;
  level.labels = {"trace", "debug", "info", "warn", "error"};
  FuncType log_type;
  log_type.params = {{"level", arena.add(std::move(level))}, {"message", str}};
  ValueType opt;
  opt.kind = TypeKind::kOption;
  opt.element = str;
  FuncType config_type;
  config_type.params = {{"key", str}};
  config_type.result = arena.add(std::move(opt));

  using component::Value;
  std::string host(kHostInterface);
  linker->define_func(host, "log", arena.add(std::move(log_type)),
                      [context](const FuncType&, std::span<const Value> args) -> Result<std::optional<Value>> {
                        static constexpr spdlog::level::level_enum levels[] = {
                            spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
                            spdlog::level::err};
                        uint32_t i = args[0].case_index();
                        std::string_view msg = args[1].as_string();
                        constexpr size_t kMax = 16 * 1024;
                        if (msg.size() > kMax) msg = msg.substr(0, kMax);
                        spdlog::log(levels[i < 5 ? i : 4], "[{}] {}", context->route, msg);
                        return std::optional<Value>();
                      });
  linker->define_func(host, "get-config", arena.add(std::move(config_type)),
                      [context](const FuncType&, std::span<const Value> args) -> Result<std::optional<Value>> {
                        auto it = context->config.find(args[0].as_string());
                        if (it == context->config.end()) return std::optional<Value>(Value::none());
                        return std::optional<Value>(Value::some(Value::string(it->second)));
                      });
  return linker;
}

}  // namespace witserve::runtime
