// RunChannel: where the calls a running plugin makes through the host API go, already
// converted from the ABI's C structs (strings made valid UTF-8, counts and percents
// range-checked). In the server's own process it is the run's stamper and sink
// (exec/plugin_run.h); in a worker process it is the shared-memory ring to the host
// (isolation/).
#pragma once

#include <string_view>

#include <spdlog/common.h>

#include "progress/progress_event.h"
#include "stratrun/plugin.h"

namespace stratrun {

/// Every method may be called from any of the plugin's threads at once, and must not throw.
class RunChannel {
 public:
  virtual ~RunChannel() = default;
  /// A progress, ticker_completed or stage_completed event, unstamped (no seq, time or rate).
  virtual void Emit(ProgressEvent event) = 0;
  /// A result row.
  virtual void Report(ResultRow row) = 0;
  /// True once the run is cancelled; called per ticker, so cheap.
  virtual bool Cancelled() const = 0;
  /// A line the plugin logs (valid UTF-8).
  virtual void Log(stratrun_log_level level, std::string_view message) = 0;
};

/// The server log's level for a line a plugin logs at `level`.
constexpr spdlog::level::level_enum LogLevelOf(stratrun_log_level level) {
  return level <= STRATRUN_LOG_DEBUG  ? spdlog::level::debug
         : level == STRATRUN_LOG_INFO ? spdlog::level::info
         : level == STRATRUN_LOG_WARN ? spdlog::level::warn
                                      : spdlog::level::err;
}

}  // namespace stratrun
