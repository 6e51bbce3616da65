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

}  // namespace

void add_wasi(component::Linker& l) {
  add_io(l);
  add_clocks(l);
  add_random(l);
  add_cli(l);
  add_filesystem(l);
  add_http(l);
}

bool provides(std::string_view import_name, std::string* why) {
  auto [iface, version] = split_version(import_name);
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
