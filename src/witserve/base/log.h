// Logging for all of witserve: spdlog behind one accessor, so every layer logs alike.
// spdlog loggers are thread-safe; any thread may log.
#pragma once

#include <spdlog/spdlog.h>

namespace witserve::log {

// Sets the level from a name ("trace", "debug", "info", "warn", "error", "off").
// Returns false for an unknown name and leaves the level unchanged.
bool set_level(std::string_view name);

// Log lines without colours when NO_COLOR is set and not empty (https://no-color.org); colours
// are otherwise used only on a terminal. Call once at startup, before other threads log.
void honour_no_color();

}  // namespace witserve::log
