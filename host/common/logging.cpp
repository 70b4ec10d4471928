#include "common/logging.h"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace stratrun {

std::shared_ptr<spdlog::logger> Logger(const std::string& area) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (auto existing = spdlog::get(area)) return existing;
  auto logger = spdlog::stderr_color_mt(area);
  logger->set_level(spdlog::get_level());
  return logger;
}

bool SetLogLevel(const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);  // applies to every registered logger and to the default
  return true;
}

}  // namespace stratrun
