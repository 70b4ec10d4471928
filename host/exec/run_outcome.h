// RunOutcome: how a run ended, and the one rule that turns what its plugin returned (or
// what happened to its worker) into that ending.
#pragma once

#include <cstdint>
#include <string>

#include "exec/cancellation.h"
#include "exec/plugin_call.h"
#include "progress/run_state.h"

namespace stratrun {

struct RunOutcome {
  RunState state = RunState::kError;  // completed, cancelled or error
  /// error: "plugin_error", "timeout", "plugin_crashed", "memory_limit", "internal";
  /// cancelled: "user" or "shutdown" (empty when the plugin stopped uncancelled)
  std::string error_code;
  std::string message;
  int64_t result_count = 0;
  int64_t passed_count = 0;
};

/// The ending of a run whose `run` hook returned:
///   OK → completed (whatever the Cancellation says: the work was done);
///   anything else once cancelled with reason timeout → error, code "timeout", the
///     Cancellation's message;
///   CANCELLED → cancelled, code "user" or "shutdown" (the reason's name; empty when the
///     plugin stopped without being cancelled), the Cancellation's message;
///   anything else (an exception escaping the plugin included) → error, code
///     "plugin_error", the plugin's message.
RunOutcome OutcomeOfReturn(const PluginReturn& returned, const Cancellation& cancel);

/// The ending of a run whose plugin was stopped by force after `grace` because it did not
/// stop when cancelled: cancelled (user, shutdown) or error (timeout), with the
/// Cancellation's message and a sentence saying the worker was killed.
RunOutcome OutcomeOfForcedStop(const Cancellation& cancel, double grace_seconds);

}  // namespace stratrun
