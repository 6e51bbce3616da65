// Decodes a component binary into ast::Component. Hostile input is expected: every failure is a
// kMalformed Error naming the byte offset and what was expected; nesting depth, vector lengths and
// section sizes are bounded by the input, so decoding never crashes, hangs or allocates without
// bound. Core modules inside are not decoded here (the engine validates them when it compiles).
// Any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "witserve/base/result.h"
#include "witserve/component/ast.h"

namespace witserve::component {

// The component binary version this decoder reads (Binary.md's `version`).
inline constexpr uint16_t kComponentVersion = 0x0d;
// Components, component types and instance types nest no deeper than this.
inline constexpr int kMaxNesting = 64;

// True if `bytes` start with a component preamble (of any version), false for a core module.
bool looks_like_component(std::span<const uint8_t> bytes);

Result<std::shared_ptr<const ast::Component>> decode_component(std::vector<uint8_t> bytes);

}  // namespace witserve::component
