// ProgressSink: where everything a run emits goes — the terminal, SQLite, SSE clients.
#pragma once

#include "progress/progress_event.h"

namespace stratrun {

/// Receives a run's stamped events and its result rows. For one run, calls never
/// overlap and events arrive in seq order; a sink shared by several runs must be
/// thread-safe across runs. Implementations must be quick (the plugin waits) and must
/// not throw.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void OnEvent(const ProgressEvent& event) noexcept = 0;
  virtual void OnResult(const std::string& run_id, const ResultRow& row) noexcept = 0;
};

}  // namespace stratrun
