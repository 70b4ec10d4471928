// Named spdlog loggers, one per area ("plugins", "exec", "cli", ...), all writing to
// stderr so that stdout stays machine-readable for the CLI.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace stratrun {

/// The logger of `area`, created on first use. Thread-safe.
std::shared_ptr<spdlog::logger> Logger(const std::string& area);

/// Sets the level of every area's logger, present and future ("debug", "info", "warn",
/// "error", "off"); an unknown name leaves the level unchanged and returns false.
bool SetLogLevel(const std::string& level);

}  // namespace stratrun
