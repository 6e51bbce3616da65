// witserve's command line: parses flags (CLI11) and hands off to the layers. Main thread only.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "witserve/base/edit_distance.h"
#include "witserve/base/log.h"
#include "witserve/base/result.h"
#include "witserve/component/linker.h"
#include "witserve/component/resolver.h"
#include "witserve/component/wave.h"
#include "witserve/component/wit_printer.h"
#include "witserve/engine/engine.h"
#include "witserve/manifest/manifest.h"
#include "witserve/runtime/component_cache.h"
#include "witserve/server/serve.h"
#include "witserve/wasi/context.h"
#include "witserve/wasi/wasi.h"

namespace {

using namespace witserve;

using runtime::read_file;

Result<engine::Val> parse_val(engine::ValType t, const std::string& s) {
  try {
    size_t used = 0;
    engine::Val v;
    switch (t) {
      case engine::ValType::kI32: v = engine::Val::i32(int32_t(std::stoll(s, &used, 0))); break;
      case engine::ValType::kI64: v = engine::Val::i64(std::stoll(s, &used, 0)); break;
      case engine::ValType::kF32: v = engine::Val::f32(std::stof(s, &used)); break;
      case engine::ValType::kF64: v = engine::Val::f64(std::stod(s, &used)); break;
      default: return Error(ErrorKind::kUnsupported, std::string(to_string(t)) + " arguments");
    }
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    return Error(ErrorKind::kInvalidArgument,
                 "'" + s + "' is not a valid " + engine::to_string(t));
  }
}

std::string format_val(const engine::Val& v) {
  switch (v.type) {
    case engine::ValType::kI32: return std::to_string(v.of.i32);
    case engine::ValType::kI64: return std::to_string(v.of.i64);
    case engine::ValType::kF32: return fmt::format("{}", v.of.f32);
    case engine::ValType::kF64: return fmt::format("{}", v.of.f64);
    default: return "?";
  }
}

// `witserve call-core FILE EXPORT ARGS...`: runs one export of a core module with no imports.
Status call_core(const std::string& file, const std::string& name,
                 const std::vector<std::string>& raw_args) {
  WITSERVE_ASSIGN_OR_RETURN(auto bytes, read_file(file));
  WITSERVE_ASSIGN_OR_RETURN(auto eng, engine::make_engine("v8"));
  WITSERVE_ASSIGN_OR_RETURN(auto module, eng->compile(bytes));
  for (const auto& imp : module->info().imports)
    return Error(ErrorKind::kUnsupported,
                 "call-core cannot provide imports; the module imports " + imp.module + "." + imp.name);
  WITSERVE_ASSIGN_OR_RETURN(auto store, eng->new_store());
  WITSERVE_ASSIGN_OR_RETURN(auto instance, store->instantiate(module, {}));
  auto func = instance->func(name);
  if (!func) return Error(ErrorKind::kNotFound, "no exported function '" + name + "'");
  const auto& type = func->type();
  if (raw_args.size() != type.params.size())
    return Error(ErrorKind::kInvalidArgument, name + " takes " + std::to_string(type.params.size()) +
                                                  " arguments: " + to_string(type));
  std::vector<engine::Val> args, results(type.results.size());
  for (size_t i = 0; i < raw_args.size(); ++i) {
    WITSERVE_ASSIGN_OR_RETURN(auto v, parse_val(type.params[i], raw_args[i]));
    args.push_back(v);
  }
  WITSERVE_TRY(func->call(args, results));
  for (size_t i = 0; i < results.size(); ++i)
    std::printf("%s%s", i ? " " : "", format_val(results[i]).c_str());
  if (!results.empty()) std::printf("\n");
  return ok();
}

// `witserve inspect FILE`: a component's imports and exports in WIT.
Status inspect(const std::string& file) {
  WITSERVE_ASSIGN_OR_RETURN(auto bytes, read_file(file));
  WITSERVE_ASSIGN_OR_RETURN(auto c, component::load_component(std::move(bytes)));
  std::fputs(component::print_wit(*c).c_str(), stdout);
  for (const auto& u : c->unsupported) std::fprintf(stderr, "note: uses %s, which witserve does not run yet\n", u.c_str());
  return ok();
}

// What `witserve call` grants a component's WASI imports: nothing unless a flag says so, as
// `wasmtime run` does.
struct CallGrants {
  std::vector<std::string> dirs;  // HOST[::GUEST]
  std::vector<std::string> env;   // NAME=VALUE
};

Result<std::shared_ptr<const wasi::Grants>> make_grants(const CallGrants& flags) {
  auto g = std::make_shared<wasi::Grants>();
  g->route = "call";
  for (const auto& e : flags.env) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error(ErrorKind::kInvalidArgument, "--env wants NAME=VALUE, got '" + e + "'");
    g->env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
  }
  for (const auto& d : flags.dirs) {
    auto sep = d.find("::");
    wasi::Grants::Dir dir;
    dir.host = std::filesystem::absolute(d.substr(0, sep));
    dir.guest = sep == std::string::npos ? d.substr(0, sep) : d.substr(sep + 2);
    if (!std::filesystem::is_directory(dir.host))
      return Error(ErrorKind::kInvalidArgument, "--dir: '" + dir.host.string() + "' is not a directory");
    g->dirs.push_back(std::move(dir));
  }
  return std::shared_ptr<const wasi::Grants>(std::move(g));
}

// `witserve call FILE NAME ARGS...`: instantiates a component, with WASI 0.2 for its imports
// (deny by default: only the directories and environment variables the flags grant), and calls
// export NAME ("func", or "interface#func" for a function of an exported instance) with
// arguments written in WAVE; prints the result in WAVE.
Status call_component(const std::string& file, const std::string& target,
                      const std::vector<std::string>& raw_args, const CallGrants& flags) {
  WITSERVE_ASSIGN_OR_RETURN(auto grants, make_grants(flags));
  WITSERVE_ASSIGN_OR_RETURN(auto bytes, read_file(file));
  WITSERVE_ASSIGN_OR_RETURN(auto eng, engine::make_engine("v8"));
  WITSERVE_ASSIGN_OR_RETURN(auto compiled, component::CompiledComponent::compile(*eng, std::move(bytes)));
  WITSERVE_ASSIGN_OR_RETURN(auto store, eng->new_store());
  component::Linker linker;
  wasi::add_wasi(linker);
  wasi::WasiContext context(grants);
  wasi::WasiContext::Enter enter(&context);
  struct Flush {
    wasi::WasiContext& c;
    ~Flush() { c.flush_output(); }
  } flush{context};
  WITSERVE_ASSIGN_OR_RETURN(auto instance, component::ComponentInstance::instantiate(compiled, *store, linker));
  std::string instance_name, name = target;
  if (auto hash = target.rfind('#'); hash != std::string::npos) {
    instance_name = target.substr(0, hash);
    name = target.substr(hash + 1);
  }
  const component::FuncType* type = instance->export_type(name, instance_name);
  if (!type) return Error(ErrorKind::kNotFound, "no exported function '" + target + "'");
  if (raw_args.size() != type->params.size())
    return Error(ErrorKind::kInvalidArgument, target + " takes " + std::to_string(type->params.size()) +
                                                  " arguments: " + component::to_string(*type));
  std::vector<component::Value> args;
  for (size_t i = 0; i < raw_args.size(); ++i) {
    auto v = component::parse_wave(raw_args[i], type->params[i].type);
    if (!v.ok()) return std::move(v).error().with_context("argument " + type->params[i].name);
    args.push_back(std::move(*v));
  }
  WITSERVE_ASSIGN_OR_RETURN(auto result, instance->call(name, args, instance_name));
  if (result) std::printf("%s\n", component::print_wave(*result, type->result).c_str());
  return ok();
}

// Where the WAVE arguments of `witserve call [OPTIONS] COMPONENT EXPORT ARGS...` start in argv, or
// argc if this is not a `call`. They are handed over verbatim, never to CLI11: a WAVE value may
// start with '-' (`-inf`, `-1`), hold brackets and commas (`[1, 2, 3]`) or read like a
// subcommand (an enum case `serve`). A `--` right after EXPORT is dropped.
int wave_args_start(int argc, char** argv) {
  int i = 1;
  while (i < argc && argv[i][0] == '-') i += std::string(argv[i]) == "--log-level" ? 2 : 1;
  if (i >= argc || std::string(argv[i]) != "call") return argc;
  int positionals = 0;
  for (++i; i < argc && positionals < 2; ++i) {
    std::string a = argv[i];
    if (a[0] != '-' || positionals == 1) ++positionals;
    else if (a == "--dir" || a == "--env" || a == "--log-level") ++i;  // options before COMPONENT that take a value
  }
  return std::min(i, argc);
}

// The subcommand word in argv (after global options), if it names no subcommand of `app`: an
// error naming the closest one, or nullopt.
std::optional<std::string> unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  int i = 1;
  while (i < argc && argv[i][0] == '-') i += std::string(argv[i]) == "--log-level" ? 2 : 1;
  if (i >= argc) return std::nullopt;
  std::string word = argv[i];
  std::string best;
  size_t best_distance = 3;  // suggest only what is close
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == word) return std::nullopt;
    size_t d = edit_distance(word, sub->get_name());
    if (d < best_distance) best_distance = d, best = sub->get_name();
  }
  std::string message = "unknown command '" + word + "'";
  if (!best.empty()) message += "; did you mean '" + best + "'?";
  return message + " (witserve --help lists the commands)";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"witserve: runs WebAssembly components as HTTP handlers"};
  app.require_subcommand(1);
  // Global options are accepted after the subcommand too: `witserve serve --log-level debug x.toml`.
  app.fallthrough();
  app.set_version_flag("--version", "witserve 0.1.0");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str();

  auto* version = app.add_subcommand("version", "Print witserve's version");

  std::string file, export_name;
  std::vector<std::string> call_args;
  auto* core = app.add_subcommand("call-core", "Call an export of a core wasm module (no imports)");
  core->add_option("module", file, "core module (.wasm)")->required()->check(CLI::ExistingFile);
  core->add_option("export", export_name, "exported function")->required();
  core->add_option("args", call_args, "arguments (i32, i64, f32, f64 as the signature says)");

  std::string inspect_file;
  auto* insp = app.add_subcommand("inspect", "Print a component's imports and exports in WIT");
  insp->add_option("component", inspect_file, "component (.wasm)")->required()->check(CLI::ExistingFile);

  std::string call_file, call_name;
  std::vector<std::string> wave_args;
  auto* callc = app.add_subcommand("call", "Call an export of a component with arguments in WAVE");
  callc->add_option("component", call_file, "component (.wasm)")->required()->check(CLI::ExistingFile);
  callc->add_option("export", call_name, "exported function: NAME or INTERFACE#NAME")->required();
  callc->add_option("args", wave_args, "arguments in WAVE, e.g. '\"hi\"' or '{a: 1, b: [2, 3]}'");
  CallGrants call_grants;
  callc->add_option("--dir", call_grants.dirs,
                    "grant a directory to WASI imports, HOST[::GUEST] (read-only; repeatable; before COMPONENT)")
      ->allow_extra_args(false);
  callc->add_option("--env", call_grants.env, "grant an environment variable, NAME=VALUE (repeatable; before COMPONENT)")
      ->allow_extra_args(false);

  // serve and run share the server flags; each overrides the manifest's value when given.
  std::string manifest_file = "witserve.toml", run_file, listen, admin_listen, native_hello;
  int threads = -1;
  bool rebuild_instances = false;
  auto* serve = app.add_subcommand("serve", "Serve the routes of a manifest (hot reload, admin API)");
  serve->add_option("manifest", manifest_file, "routing manifest (TOML)")->capture_default_str();
  auto* run = app.add_subcommand("run", "Serve one component on every path");
  run->add_option("component", run_file, "component (.wasm)")->required()->check(CLI::ExistingFile);
  for (auto* sub : {serve, run}) {
    sub->add_option("--listen", listen, "address to listen on, HOST:PORT (port 0: any free port)");
    sub->add_option("--threads", threads, "worker threads (0: one per core)");
    sub->add_option("--native-hello", native_hello, "serve a native C++ hello route at this path (benchmarks)");
    sub->add_flag("--rebuild-instances", rebuild_instances,
                  "instantiate fresh-instance routes anew for every request instead of recycling (benchmarks)")
        ->group("");
  }
  serve->add_option("--admin-listen", admin_listen, "admin API address, HOST:PORT");
  std::string data_dir;
  serve->add_option("--data-dir", data_dir, "where admin registrations are kept (default: .witserve beside the manifest)");
  bool admin_allow_remote = false;
  serve->add_flag("--admin-allow-remote", admin_allow_remote,
                  "allow --admin-listen on an address that is not loopback (admin.allow_remote)");
  std::string shutdown_grace;
  for (auto* sub : {serve, run})
    sub->add_option("--shutdown-grace", shutdown_grace,
                    "on SIGINT/SIGTERM, how long requests in flight may take, e.g. 10s (server.shutdown_grace)");

  if (auto unknown = unknown_subcommand(app, argc, argv)) {
    std::fprintf(stderr, "witserve: %s\n", unknown->c_str());
    return 2;
  }
  int wave_start = wave_args_start(argc, argv);
  std::vector<std::string> verbatim(argv + wave_start, argv + argc);
  if (!verbatim.empty() && verbatim.front() == "--") verbatim.erase(verbatim.begin());
  CLI11_PARSE(app, wave_start, argv);
  if (*callc) wave_args = std::move(verbatim);
  if (!log::set_level(log_level)) {
    std::fprintf(stderr, "unknown log level '%s'\n", log_level.c_str());
    return 2;
  }
  log::honour_no_color();

  if (*serve || *run) {
    server::ServeOptions options;
    if (*serve) {
      if (!std::filesystem::exists(manifest_file)) {
        std::fprintf(stderr,
                     "witserve: there is no manifest at %s.\n"
                     "  Write one (a [[route]] with a path and a component; see docs/manifest.md),\n"
                     "  name another: witserve serve PATH.toml,\n"
                     "  or serve one component on every path: witserve run HANDLER.wasm\n",
                     manifest_file.c_str());
        return 2;
      }
      auto m = manifest::load_manifest(manifest_file);
      if (!m.ok()) {
        std::fprintf(stderr, "witserve: the manifest has errors:\n%s\n", m.error().message().c_str());
        return 1;
      }
      options.manifest = std::move(*m);
    } else {
      options.manifest = server::single_component_manifest(run_file);
    }
    for (auto [flag, target] : {std::pair{&listen, &options.manifest.server.listen},
                                std::pair{&admin_listen, &options.manifest.admin.listen}}) {
      if (flag->empty()) continue;
      auto a = manifest::parse_listen_address(*flag);
      if (!a.ok()) {
        std::fprintf(stderr, "witserve: %s\n", a.error().message().c_str());
        return 2;
      }
      *target = *a;
    }
    if (threads >= 0) options.manifest.server.threads = threads;
    if (!data_dir.empty()) options.manifest.server.data_dir = std::filesystem::absolute(data_dir);
    if (admin_allow_remote) options.manifest.admin.allow_remote = true;
    if (!shutdown_grace.empty()) {
      auto grace = manifest::parse_duration(shutdown_grace);
      if (!grace.ok() || *grace > manifest::kMaxDeadline) {
        std::fprintf(stderr, "witserve: --shutdown-grace: %s\n",
                     grace.ok() ? "at most 1h" : grace.error().message().c_str());
        return 2;
      }
      options.manifest.server.shutdown_grace = *grace;
    }
    options.native_hello_path = native_hello;
    options.recycle_instances = !rebuild_instances;
    if (auto st = server::serve(std::move(options)); !st.ok()) {
      std::fprintf(stderr, "witserve: %s\n", st.error().message().c_str());
      return 1;
    }
    return 0;
  }
  if (*version) {
    std::printf("witserve 0.1.0\n");
    return 0;
  }
  if (*insp) {
    if (auto st = inspect(inspect_file); !st.ok()) {
      std::fprintf(stderr, "witserve: %s: %s\n", inspect_file.c_str(), st.error().to_string().c_str());
      return 1;
    }
    return 0;
  }
  if (*callc) {
    if (auto st = call_component(call_file, call_name, wave_args, call_grants); !st.ok()) {
      std::fprintf(stderr, "witserve: %s\n", st.error().to_string().c_str());
      return 1;
    }
    return 0;
  }
  if (*core) {
    if (auto st = call_core(file, export_name, call_args); !st.ok()) {
      std::fprintf(stderr, "witserve: %s\n", st.error().to_string().c_str());
      return 1;
    }
    return 0;
  }
  return 0;
}
