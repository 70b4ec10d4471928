// RunPlugin: executes one run of one plugin on the calling thread.
//
// It is the host side of the ABI: it hands the plugin the host API table, stamps every
// event (seq, time, rate, ETA, passed count) before passing it to the sink, collects
// result rows, and turns the plugin's return status into exactly one terminal event:
//   OK → completed (whatever the Cancellation says: the work was done);
//   anything else once cancelled with reason timeout → error, code "timeout", the
//     Cancellation's message;
//   CANCELLED → cancelled, code "user" or "shutdown" (the reason's name; empty when the
//     plugin stopped without being cancelled), the Cancellation's message;
//   anything else, or an exception escaping the plugin → error, code "plugin_error", the
//     plugin's message.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "data/bar_series.h"
#include "exec/cancellation.h"
#include "exec/run_request.h"
#include "progress/run_state.h"
#include "plugins/parameter_schema.h"
#include "plugins/plugin.h"
#include "progress/progress_sink.h"

namespace stratrun {

struct RunOutcome {
  RunState state = RunState::kError;  // completed, cancelled or error
  std::string error_code;             // error: "plugin_error", "timeout"; cancelled: "user", "shutdown"
  std::string message;
  int64_t result_count = 0;
  int64_t passed_count = 0;
};

/// Runs `plugin` until it returns. `cancel` is the run's cancellation: the plugin sees its
/// token through is_cancelled(), and its reason decides how a stopped run ends (above);
/// any thread may fire it meanwhile. Never throws; the sink receives `started` first and
/// exactly one terminal event last. Event times and rates come from `clock`.
RunOutcome RunPlugin(const Plugin& plugin, const RunRequest& request, BarSource& data,
                     ProgressSink& sink, const Cancellation& cancel, const Clock& clock = Clock::System());

}  // namespace stratrun
