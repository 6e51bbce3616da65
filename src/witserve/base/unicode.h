// Unicode helpers shared by every layer that handles text from guests or users (the Canonical
// ABI's string transcoding, WAVE, names in binaries): UTF-8 validation, encoding, decoding.
// Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace witserve {

// True for a Unicode scalar value: at most U+10FFFF and not a surrogate.
inline bool is_unicode_scalar(char32_t c) { return c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF); }

// True if `s` is well-formed UTF-8 (no surrogates, no overlongs, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Appends the UTF-8 encoding of scalar value `c`.
void append_utf8(std::string& out, char32_t c);

// The scalar values of `s`, which must be valid UTF-8 (check with is_valid_utf8 first).
std::vector<char32_t> decode_valid_utf8(std::string_view s);

}  // namespace witserve
