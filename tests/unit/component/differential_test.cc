// Differential tests: the steps of tests/components/cases/*.json, whose expected results
// components.reference_verify checks against jco's reference host (jco transpile on Node), run
// here through witserve's own component runtime. Both hosts must give the same answers. The host
// functions behave as tests/components/README.md specifies. JSON conventions are the harness's:
// 64-bit integers as decimal strings, variants/options/results as {"tag", "val"}, flags as arrays
// of names, resources as {"$ref"} / {"$new"} arguments and {"$resource"} results.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <algorithm>
#include <fstream>
#include <map>

#include "built_components.h"
#include "test_hosts.h"
#include "witserve/component/linker.h"
#include "witserve/engine/engine.h"

namespace witserve::component {
namespace {

using json = nlohmann::json;

std::string utf8_of(char32_t c) {
  std::string out;
  if (c < 0x80) out += char(c);
  else if (c < 0x800) { out += char(0xC0 | (c >> 6)); out += char(0x80 | (c & 0x3F)); }
  else if (c < 0x10000) { out += char(0xE0 | (c >> 12)); out += char(0x80 | ((c >> 6) & 0x3F)); out += char(0x80 | (c & 0x3F)); }
  else { out += char(0xF0 | (c >> 18)); out += char(0x80 | ((c >> 12) & 0x3F)); out += char(0x80 | ((c >> 6) & 0x3F)); out += char(0x80 | (c & 0x3F)); }
  return out;
}

char32_t char_of(const std::string& s) {
  uint8_t c = uint8_t(s.at(0));
  int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  char32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (int k = 1; k < n; ++k) cp = (cp << 6) | (uint8_t(s.at(k)) & 0x3F);
  return cp;
}

double float_of(const json& j) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
    if (s == "-0") return -0.0;
  }
  return j.get<double>();
}

json float_json(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0 && std::signbit(d)) return "-0";
  return d;
}

class Runner {
 public:
  Runner(ComponentInstance& inst, std::vector<uint32_t>& things) : inst_(inst), things_(things) {}

  Value to_value(const json& j, TypeRef t) {
    switch (t->kind) {
      case TypeKind::kBool: return Value::boolean(j.get<bool>());
      case TypeKind::kS8: return Value::s8(int8_t(j.get<int64_t>()));
      case TypeKind::kS16: return Value::s16(int16_t(j.get<int64_t>()));
      case TypeKind::kS32: return Value::s32(int32_t(j.get<int64_t>()));
      case TypeKind::kU8: return Value::u8(uint8_t(j.get<uint64_t>()));
      case TypeKind::kU16: return Value::u16(uint16_t(j.get<uint64_t>()));
      case TypeKind::kU32: return Value::u32(uint32_t(j.get<uint64_t>()));
      case TypeKind::kS64: return Value::s64(std::stoll(j.get<std::string>()));
      case TypeKind::kU64: return Value::u64(std::stoull(j.get<std::string>()));
      case TypeKind::kF32: return Value::f32(float(float_of(j)));
      case TypeKind::kF64: return Value::f64(float_of(j));
      case TypeKind::kChar: return Value::character(char_of(j.get<std::string>()));
      case TypeKind::kString: return Value::string(j.get<std::string>());
      case TypeKind::kList: {
        std::vector<Value> items;
        for (const auto& e : j) items.push_back(to_value(e, t->element));
        return Value::list(std::move(items));
      }
      case TypeKind::kTuple: {
        std::vector<Value> items;
        for (size_t i = 0; i < t->elements.size(); ++i) items.push_back(to_value(j.at(i), t->elements[i]));
        return Value::tuple(std::move(items));
      }
      case TypeKind::kRecord: {
        std::vector<Value> items;
        for (const auto& f : t->fields) items.push_back(to_value(j.at(f.name), f.type));
        return Value::record(std::move(items));
      }
      case TypeKind::kEnum: {
        auto name = j.get<std::string>();
        for (uint32_t i = 0; i < t->labels.size(); ++i)
          if (t->labels[i] == name) return Value::enumeration(i);
        throw std::runtime_error("no enum case " + name);
      }
      case TypeKind::kFlags: {
        uint32_t bits = 0;
        for (const auto& n : j)
          for (uint32_t i = 0; i < t->labels.size(); ++i)
            if (t->labels[i] == n.get<std::string>()) bits |= 1u << i;
        return Value::flags(bits);
      }
      case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult: {
        std::string tag = j.at("tag").get<std::string>();
        if (tag == "err") tag = "error";
        for (uint32_t i = 0; i < t->cases.size(); ++i) {
          if (t->cases[i].name != tag) continue;
          std::optional<Value> payload;
          if (t->cases[i].type) payload = to_value(j.at("val"), t->cases[i].type);
          if (t->kind == TypeKind::kOption) return i == 0 ? Value::none() : Value::some(std::move(*payload));
          if (t->kind == TypeKind::kResult) return i == 0 ? Value::ok(std::move(payload)) : Value::err(std::move(payload));
          return Value::variant(i, std::move(payload));
        }
        throw std::runtime_error("no case " + tag);
      }
      case TypeKind::kOwn: case TypeKind::kBorrow: {
        uint32_t h;
        if (j.contains("$ref")) {
          h = saved_.at(j["$ref"].get<std::string>());
        } else {  // {"$new": "host-thing", "args": [v]}: the host makes one of its own resources
          things_.push_back(j["args"][0].get<uint32_t>());
          h = *inst_.new_host_resource("test:resources/host", j["$new"].get<std::string>(),
                                       uint32_t(things_.size() - 1));
        }
        return t->kind == TypeKind::kOwn ? Value::own(h) : Value::borrow(h);
      }
      default:
        throw std::runtime_error("unsupported type " + to_string(t));
    }
  }

  json to_json(const Value& v, TypeRef t) {
    switch (t->kind) {
      case TypeKind::kBool: return v.as_bool();
      case TypeKind::kS8: case TypeKind::kS16: case TypeKind::kS32: return v.as_signed();
      case TypeKind::kU8: case TypeKind::kU16: case TypeKind::kU32: return v.as_unsigned();
      case TypeKind::kS64: return std::to_string(v.as_signed());
      case TypeKind::kU64: return std::to_string(v.as_unsigned());
      case TypeKind::kF32: case TypeKind::kF64: return float_json(v.as_float());
      case TypeKind::kChar: return utf8_of(v.as_char());
      case TypeKind::kString: return v.as_string();
      case TypeKind::kList: {
        json a = json::array();
        for (const auto& e : v.items()) a.push_back(to_json(e, t->element));
        return a;
      }
      case TypeKind::kTuple: {
        json a = json::array();
        for (size_t i = 0; i < t->elements.size(); ++i) a.push_back(to_json(v.items()[i], t->elements[i]));
        return a;
      }
      case TypeKind::kRecord: {
        json o = json::object();
        for (size_t i = 0; i < t->fields.size(); ++i) o[t->fields[i].name] = to_json(v.items()[i], t->fields[i].type);
        return o;
      }
      case TypeKind::kEnum: return t->labels.at(v.case_index());
      case TypeKind::kFlags: {
        json a = json::array();
        for (uint32_t i = 0; i < t->labels.size(); ++i)
          if (v.flag_bits() & (1u << i)) a.push_back(t->labels[i]);
        return a;
      }
      case TypeKind::kVariant: case TypeKind::kOption: case TypeKind::kResult: {
        const auto& c = t->cases.at(v.case_index());
        json o = {{"tag", t->kind == TypeKind::kResult && c.name == "error" ? "err" : c.name}};
        if (c.type) o["val"] = to_json(*v.payload(), c.type);
        return o;
      }
      case TypeKind::kOwn: {
        json o = {{"$resource", t->resource->name}};
        const HostHandle* h = inst_.host_handle(v.handle());
        if (h && t->resource->name == "host-thing") o["value"] = things_.at(h->rep);
        return o;
      }
      default:
        throw std::runtime_error("unsupported type " + to_string(t));
    }
  }

  // Runs one step; returns a failure description, or "" when witserve agrees with the reference.
  std::string step(const json& s, const std::string& component) {
    if (s.contains("drop")) {
      auto st = inst_.drop(saved_.at(s["drop"].get<std::string>()));
      return st.ok() ? "" : "drop failed: " + st.error().to_string();
    }
    std::string target = s["func"], iface, name = target;
    if (auto hash = target.rfind('#'); hash != std::string::npos) {
      iface = target.substr(0, hash);
      name = target.substr(hash + 1);
    }
    const FuncType* ft = inst_.export_type(name, iface);
    if (!ft) return "no export " + target;
    std::vector<Value> args;
    for (size_t i = 0; i < ft->params.size(); ++i) args.push_back(to_value(s["args"].at(i), ft->params[i].type));
    auto r = inst_.call(name, args, iface);
    if (s.value("expect_trap", false)) return r.ok() ? target + " should have trapped" : "";
    if (!r.ok()) return target + ": " + r.error().to_string();
    json expect = s.contains("expect_by_component") ? s["expect_by_component"][component] : s.value("expect", json());
    json got = *r && ft->result ? to_json(**r, ft->result) : json();
    if (s.contains("save")) saved_[s["save"]] = (*r)->handle();
    if (got != expect) return target + " " + s["args"].dump() + ": expected " + expect.dump() + ", got " + got.dump();
    return "";
  }

 private:
  ComponentInstance& inst_;
  std::vector<uint32_t>& things_;
  std::map<std::string, uint32_t> saved_;
};

class Differential : public ::testing::TestWithParam<std::string> {};

TEST_P(Differential, AgreesWithTheJcoReference) {
  std::ifstream in(std::string(WITSERVE_TEST_CASES_DIR) + "/" + GetParam() + ".json");
  ASSERT_TRUE(in) << GetParam();
  json cases = json::parse(in);
  auto engine = *engine::make_engine("v8");
  for (const auto& file : cases["components"]) {
    std::string component = file.get<std::string>();
    auto compiled = CompiledComponent::compile(*engine, testing::built_component(component.substr(0, component.size() - 5)));
    ASSERT_TRUE(compiled.ok()) << component << ": " << compiled.error().to_string();
    auto store = std::move(*engine->new_store());
    Linker linker;
    std::vector<uint32_t> things;  // host-thing reps -> values
    uint32_t things_dropped = 0;
    testing::define_values_host(linker);
    testing::define_strings_host(linker);
    linker.define_resource("test:resources/host", "host-thing", [&](uint32_t) { ++things_dropped; });
    linker.define_func("test:resources/host", "[constructor]host-thing",
                       [&](const FuncType&, std::span<const Value> a) -> Result<std::optional<Value>> {
                         things.push_back(uint32_t(a[0].as_unsigned()));
                         return std::optional<Value>(Value::own(uint32_t(things.size() - 1)));
                       });
    linker.define_func("test:resources/host", "[method]host-thing.value",
                       [&](const FuncType&, std::span<const Value> a) -> Result<std::optional<Value>> {
                         return std::optional<Value>(Value::u32(things.at(a[0].handle())));
                       });
    linker.define_func("test:resources/host", "things-dropped",
                       [&](const FuncType&, std::span<const Value>) -> Result<std::optional<Value>> {
                         return std::optional<Value>(Value::u32(things_dropped));
                       });
    auto inst = ComponentInstance::instantiate(*compiled, *store, linker);
    ASSERT_TRUE(inst.ok()) << component << ": " << inst.error().to_string();
    Runner runner(**inst, things);
    size_t n = 0;
    for (const auto& s : cases["steps"]) {
      std::string failure = runner.step(s, component);
      EXPECT_EQ(failure, "") << component << " step " << n;
      ++n;
    }
    EXPECT_GT(n, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, Differential,
                         ::testing::Values("values", "strings", "resources", "js-values", "rust-values", "as-values",
                                           "minimal", "types-only", "handmade"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace witserve::component
