// make_engine: picks an engine backend by name. Any thread.
#include "witserve/engine/engine.h"

#include "witserve/engine/v8/v8_engine.h"

namespace witserve::engine {

std::vector<std::string> engine_names() { return {"v8"}; }

Result<std::shared_ptr<Engine>> make_engine(std::string_view name, const EngineOptions& options) {
  if (name == "v8") return make_v8_engine(options);
  return Error(ErrorKind::kInvalidArgument, "unknown engine '" + std::string(name) + "'");
}

}  // namespace witserve::engine
