// Factory for the V8 engine backend. This header is engine-neutral (no V8 types); only the
// backend's .cc files include V8. Any thread.
#pragma once

#include <memory>

#include "witserve/base/result.h"
#include "witserve/engine/engine.h"

namespace witserve::engine {

// Sets V8 up on first use and returns the process's V8 engine.
Result<std::shared_ptr<Engine>> make_v8_engine(const EngineOptions& options);

}  // namespace witserve::engine
