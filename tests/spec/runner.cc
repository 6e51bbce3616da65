// The component-model specification tests (WebAssembly/component-model `test/`, vendored in
// tests/spec/) run against witserve's loader and runtime. wast2json.mjs has split each .wast file
// into directives and component binaries; this runs them in order:
//
//   component / definition / instance   compile (and instantiate, with no imports) must succeed
//   assert_invalid, assert_malformed    compile (decode, resolve, core validation) must fail
//   assert_trap (component)             compiles, and instantiation must trap
//   assert_trap / assert_return (invoke) the call on the current instance must trap / return the
//                                        value (compared in WAVE, after parsing it as the result type)
//
// Messages are not compared: wasmtime's wording is not witserve's. Every directive passes, or is
// listed with its reason in the skip file (FILE:LINE reason); a listed directive that passes is
// reported too, so the list stays honest.
//
//   witserve_spec_tests --skip tests/spec/skip.txt --out BUILD/spec [--print-failures] FILE.json...
//
// Exit status 0 when everything passed or was listed. Single-threaded.
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "witserve/component/linker.h"
#include "witserve/component/wave.h"
#include "witserve/engine/engine.h"

namespace {

using namespace witserve;
using namespace witserve::component;
using nlohmann::json;

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// One .wast file's state: definitions and instances by name, and the current instance.
class FileRun {
 public:
  FileRun(engine::Engine& eng, std::string out_dir) : engine_(eng), out_dir_(std::move(out_dir)) {}

  // Runs one directive; returns an empty string if it passed, else what went wrong.
  std::string run(const json& d) {
    const std::string kind = d.at("kind");
    if (kind == "unknown") return "not run: " + d.value("reason", "");
    if (d.contains("text_error"))
      return "jco parse refused the text, witserve never saw it: " + d.at("text_error").get<std::string>();
    if (kind == "component") return define(d);
    if (kind == "instance") {
      auto def = defs_.find(d.at("of"));
      if (def == defs_.end()) return "no component definition " + d.at("of").get<std::string>();
      return instantiate(def->second, d.at("name"));
    }
    if (kind == "assert_invalid" || kind == "assert_malformed" || kind == "assert_unlinkable") {
      auto c = compile(d);
      if (c.ok()) return "accepted a component that the spec says is " +
                        std::string(kind == "assert_malformed" ? "malformed" : "invalid") +
                        " (expected: " + d.value("message", "") + ")";
      return "";
    }
    if (kind == "assert_trap" && d.contains("wasm")) {
      auto c = compile(d);
      if (!c.ok()) return "refused to load: " + c.error().to_string();
      auto store = engine_.new_store();
      if (!store.ok()) return store.error().to_string();
      auto inst = ComponentInstance::instantiate(*c, **store, linker_);
      if (inst.ok()) return "instantiation did not trap (expected: " + d.value("message", "") + ")";
      if (inst.error().kind() != ErrorKind::kTrap)
        return "instantiation failed without a trap: " + inst.error().to_string();
      return "";
    }
    if (kind == "assert_trap" || kind == "assert_return" || kind == "invoke") return invoke(d, kind);
    return "unknown directive kind " + kind;
  }

 private:
  Result<std::shared_ptr<const CompiledComponent>> compile(const json& d) {
    return CompiledComponent::compile(engine_, read_bytes(out_dir_ + "/" + d.at("wasm").get<std::string>()));
  }

  std::string define(const json& d) {
    auto c = compile(d);
    if (!c.ok()) return "refused a valid component: " + c.error().to_string();
    std::string name = d.value("name", "");
    if (!name.empty()) defs_[name] = *c;
    if (d.value("definition", false)) return "";
    return instantiate(*c, name);
  }

  std::string instantiate(std::shared_ptr<const CompiledComponent> c, const std::string& name) {
    auto store = engine_.new_store();
    if (!store.ok()) return store.error().to_string();
    auto inst = ComponentInstance::instantiate(c, **store, linker_);
    if (!inst.ok()) return "instantiation failed: " + inst.error().to_string();
    live_.push_back({std::move(*store), std::move(*inst)});
    current_ = live_.back().instance.get();
    if (!name.empty()) named_[name] = current_;
    return "";
  }

  std::string invoke(const json& d, const std::string& kind) {
    const json& inv = d.at("invoke");
    ComponentInstance* inst = current_;
    if (inv.contains("instance")) {
      auto it = named_.find(inv.at("instance"));
      inst = it == named_.end() ? nullptr : it->second;
    }
    if (!inst) return "no instance to invoke";
    std::string name = inv.at("name");
    const FuncType* type = inst->export_type(name);
    if (!type) return "no exported function '" + name + "'";
    const auto& raw = inv.at("args");
    if (raw.size() != type->params.size()) return "argument count does not match " + to_string(*type);
    std::vector<Value> args;
    for (size_t i = 0; i < raw.size(); ++i) {
      auto v = parse_wave(raw[i].get<std::string>(), type->params[i].type);
      if (!v.ok()) return "argument " + std::to_string(i) + ": " + v.error().to_string();
      args.push_back(std::move(*v));
    }
    auto result = inst->call(name, args);
    if (kind == "assert_trap") {
      if (result.ok()) return "the call returned instead of trapping (expected: " + d.value("message", "") + ")";
      if (result.error().kind() != ErrorKind::kTrap) return "the call failed without a trap: " + result.error().to_string();
      return "";
    }
    if (!result.ok()) return "the call failed: " + result.error().to_string();
    if (kind == "invoke") return "";
    const auto& expected = d.at("results");
    if (expected.empty()) return result->has_value() ? "expected no result" : "";
    if (!type->result || !result->has_value()) return "expected a result, got none";
    auto want = parse_wave(expected[0].get<std::string>(), type->result);
    if (!want.ok()) return "expected value: " + want.error().to_string();
    std::string got_text = print_wave(**result, type->result), want_text = print_wave(*want, type->result);
    if (got_text != want_text) return "returned " + got_text + ", expected " + want_text;
    return "";
  }

  struct Live {
    std::unique_ptr<engine::Store> store;
    std::unique_ptr<ComponentInstance> instance;
  };
  engine::Engine& engine_;
  std::string out_dir_;
  Linker linker_;  // nothing is imported from the host
  std::map<std::string, std::shared_ptr<const CompiledComponent>> defs_;
  std::map<std::string, ComponentInstance*> named_;
  std::vector<Live> live_;
  ComponentInstance* current_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  std::string skip_path, out_dir;
  bool print_failures = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--skip" && i + 1 < argc) skip_path = argv[++i];
    else if (a == "--out" && i + 1 < argc) out_dir = argv[++i];
    else if (a == "--print-failures") print_failures = true;
    else files.push_back(a);
  }
  std::map<std::string, std::string> skips;  // "FILE:LINE" -> reason
  if (!skip_path.empty()) {
    std::ifstream in(skip_path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      auto space = line.find(' ');
      skips[line.substr(0, space)] = space == std::string::npos ? "" : line.substr(space + 1);
    }
  }
  auto eng = engine::make_engine("v8");
  if (!eng.ok()) {
    std::cerr << eng.error().to_string() << "\n";
    return 2;
  }
  int passed = 0, skipped = 0, failed = 0, stale = 0;
  for (const auto& f : files) {
    std::ifstream in(out_dir.empty() ? f : out_dir + "/" + f);
    if (!in) {
      std::cerr << "cannot read " << f << "\n";
      return 2;
    }
    json doc = json::parse(in);
    const std::string wast = doc.at("file");
    FileRun run(**eng, out_dir);
    for (const auto& d : doc.at("directives")) {
      std::string where = wast + ":" + std::to_string(d.at("line").get<int>());
      std::string why = run.run(d);
      bool listed = skips.count(where) > 0;
      if (why.empty() && !listed) {
        ++passed;
      } else if (why.empty()) {
        ++stale;
        std::cout << "PASSES BUT IS LISTED IN THE SKIP FILE " << where << "\n";
      } else if (listed) {
        ++skipped;
      } else {
        ++failed;
        if (print_failures) std::cout << where << " " << why << "\n";
        else std::cout << "FAIL " << where << " [" << d.at("kind").get<std::string>() << "] " << why << "\n";
      }
    }
  }
  std::cout << passed << " passed, " << skipped << " skipped (listed), " << failed << " failed, " << stale
            << " listed but passing\n";
  return failed == 0 && stale == 0 ? 0 : 1;
}
