// add_wasi and the checks of which WASI interfaces and versions this host provides (wasi.h).
#include "witserve/wasi/wasi.h"

#include <array>

namespace witserve::wasi {

namespace {

constexpr std::array<std::string_view, 22> kProvided = {
    "wasi:io/error", "wasi:io/poll", "wasi:io/streams",
    "wasi:clocks/monotonic-clock", "wasi:clocks/wall-clock",
    "wasi:random/random", "wasi:random/insecure", "wasi:random/insecure-seed",
    "wasi:cli/environment", "wasi:cli/exit", "wasi:cli/stdin", "wasi:cli/stdout", "wasi:cli/stderr",
    "wasi:cli/terminal-input", "wasi:cli/terminal-output", "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout", "wasi:cli/terminal-stderr",
    "wasi:filesystem/types", "wasi:filesystem/preopens",
    "wasi:http/types", "wasi:http/outgoing-handler",
};

// "wasi:io/streams@0.2.12" -> ("wasi:io/streams", "0.2.12")
std::pair<std::string_view, std::string_view> split_version(std::string_view name) {
  auto at = name.find('@');
  if (at == std::string_view::npos) return {name, {}};
  return {name.substr(0, at), name.substr(at + 1)};
}

bool is_0_2(std::string_view version) { return version.starts_with("0.2.") || version == "0.2"; }

// Interfaces provided in exactly these versions (drafts change shape from one to the next).
struct Versioned {
  std::string_view iface;
  std::array<std::string_view, 3> versions;
};
constexpr std::array<Versioned, 8> kExact = {{
    {"wasi:keyvalue/store", {"0.2.0-draft", "0.2.0-draft2"}},
    {"wasi:keyvalue/atomics", {"0.2.0-draft", "0.2.0-draft2"}},
    {"wasi:keyvalue/batch", {"0.2.0-draft", "0.2.0-draft2"}},
    {"wasi:config/store", {"0.2.0-draft", "0.2.0-rc.1", "0.2.0-draft-2024-09-27"}},
    {"fermyon:spin/key-value", {"2.0.0"}},
    {"fermyon:spin/variables", {"2.0.0"}},
    {"spin:key-value/key-value", {"3.0.0"}},
    {"spin:variables/variables", {"3.0.0"}},
}};

}  // namespace

void add_wasi(component::Linker& l) {
  add_io(l);
  add_clocks(l);
  add_random(l);
  add_cli(l);
  add_filesystem(l);
  add_http(l);
  add_keyvalue(l);
  add_spin_key_value(l);
  add_config(l);
}

bool is_host_package(std::string_view import_name) {
  return import_name.starts_with("wasi:") || import_name.starts_with("fermyon:spin/") ||
         import_name.starts_with("spin:");
}

bool provides(std::string_view import_name, std::string* why) {
  auto [iface, version] = split_version(import_name);
  for (const auto& e : kExact) {
    if (e.iface != iface) continue;
    for (auto v : e.versions)
      if (!v.empty() && v == version) return true;
    if (why) {
      *why = "witserve provides '" + std::string(iface) + "' in the versions";
      for (auto v : e.versions)
        if (!v.empty()) *why += " " + std::string(v);
      *why += ", not '" + std::string(version) + "'";
    }
    return false;
  }
  bool known = false;
  for (auto p : kProvided) known |= p == iface;
  if (!known) {
    if (why) *why = "witserve does not provide '" + std::string(import_name) + "'";
    return false;
  }
  if (!is_0_2(version)) {
    if (why) *why = "'" + std::string(import_name) + "' is not a WASI 0.2.x version (witserve provides 0.2)";
    return false;
  }
  return true;
}

std::optional<std::string> incoming_handler_export(const component::ResolvedComponent& c) {
  for (const auto& e : c.type->exports) {
    auto [iface, version] = split_version(e.name);
    if (iface == "wasi:http/incoming-handler" && is_0_2(version) &&
        e.type.kind == component::ExternType::Kind::kInstance)
      return e.name;
  }
  return std::nullopt;
}

}  // namespace witserve::wasi
