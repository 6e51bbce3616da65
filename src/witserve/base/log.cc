// Level control for the process-wide spdlog logger. Any thread.
#include "witserve/base/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>

namespace witserve::log {

bool set_level(std::string_view name) {
  auto level = spdlog::level::from_str(std::string(name));
  if (level == spdlog::level::off && name != "off") return false;
  spdlog::set_level(level);
  return true;
}

void honour_no_color() {
  const char* no_color = std::getenv("NO_COLOR");
  if (!no_color || !*no_color) return;
  auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>(spdlog::color_mode::never);
  auto logger = std::make_shared<spdlog::logger>("", sink);
  logger->set_level(spdlog::default_logger()->level());
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace witserve::log
