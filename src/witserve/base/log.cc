// Level control for the process-wide spdlog logger. Any thread.
#include "witserve/base/log.h"

namespace witserve::log {

bool set_level(std::string_view name) {
  auto level = spdlog::level::from_str(std::string(name));
  if (level == spdlog::level::off && name != "off") return false;
  spdlog::set_level(level);
  return true;
}

}  // namespace witserve::log
