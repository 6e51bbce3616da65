// WAVE reader and printer. See wave.h. (Placeholder until the implementation lands.)
#include "witserve/component/wave.h"

namespace witserve::component {

Result<Value> parse_wave(std::string_view, TypeRef) {
  return Error(ErrorKind::kUnsupported, "WAVE parsing is not implemented yet");
}

std::string print_wave(const Value&, TypeRef) { return "<unprintable>"; }

}  // namespace witserve::component
