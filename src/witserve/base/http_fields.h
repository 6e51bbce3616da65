// The one rule for HTTP field names and values, shared by the HTTP server (what a handler may
// answer) and the wasi:http host (what fields.set and friends accept), so a header the guest
// was allowed to set is never refused later on the way out. Pure functions; any thread.
#pragma once

#include <string_view>

namespace witserve {

// A field name: an RFC 9110 token (5.6.2), not empty.
bool valid_http_field_name(std::string_view name);
// A field value: visible ASCII, obs-text (0x80-0xFF), spaces and tabs; no other control
// characters and no DEL (RFC 9110 5.5).
bool valid_http_field_value(std::string_view value);

}  // namespace witserve
