// WAVE, the WebAssembly Value Encoding (as used by wasmtime and wasm-tools): reads a Value of a
// given type from text and prints one back, e.g. `{method: "GET", headers: [("a", "b")]}`.
// Any thread.
#pragma once

#include <string>
#include <string_view>

#include "witserve/base/result.h"
#include "witserve/component/value.h"

namespace witserve::component {

// Parses `text` as a value of `type`. Errors are kInvalidArgument and say where (column) and what.
Result<Value> parse_wave(std::string_view text, TypeRef type);

// Prints `v` (a value of `type`) in WAVE.
std::string print_wave(const Value& v, TypeRef type);

}  // namespace witserve::component
