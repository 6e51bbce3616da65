// The WASI 0.2 host: wasi:io, clocks, random, cli, filesystem and http, added to a Linker as
// stateless functions acting on WasiContext::current() (context.h). Imports of any 0.2.x version
// link to these. Also handler state and configuration: wasi:keyvalue (0.2.0-draft, -draft2),
// wasi:config/store and Spin's key-value and variables, in the versions listed in wasi.cc.
// Deny by default: a component sees only what its route's Grants list.
// add_wasi is called once per Linker; the Linker is then shared by every thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "witserve/component/linker.h"
#include "witserve/component/resolver.h"

namespace witserve::wasi {

void add_wasi(component::Linker& l);

// Whether `import_name` ("wasi:io/streams@0.2.12") is an interface this host provides; a WASI
// interface of another version or one not provided gets `why`.
bool provides(std::string_view import_name, std::string* why = nullptr);

// Whether `import_name` belongs to a package family this host serves (wasi:, and Spin's
// fermyon:spin/ and spin:), so that provides() decides about it.
bool is_host_package(std::string_view import_name);

// The name of the component's wasi:http/incoming-handler@0.2.x export, if it has one.
std::optional<std::string> incoming_handler_export(const component::ResolvedComponent& c);

// The parts (wasi.cc calls them all).
void add_io(component::Linker& l);
void add_clocks(component::Linker& l);
void add_random(component::Linker& l);
void add_cli(component::Linker& l);
void add_filesystem(component::Linker& l);
void add_http(component::Linker& l);
void add_keyvalue(component::Linker& l);        // keyvalue.cc
void add_spin_key_value(component::Linker& l);  // spin_key_value.cc
void add_config(component::Linker& l);          // config.cc: wasi:config and Spin variables

}  // namespace witserve::wasi
