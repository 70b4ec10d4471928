#include "exec/run_outcome.h"

#include <cstdio>

namespace stratrun {

RunOutcome OutcomeOfReturn(const PluginReturn& returned, const Cancellation& cancel) {
  RunOutcome outcome;
  outcome.message = returned.message;
  const CancelReason reason = cancel.reason();
  if (returned.status == STRATRUN_OK) {
    outcome.state = RunState::kCompleted;
    if (outcome.message.empty()) outcome.message = "completed";
  } else if (reason == CancelReason::kTimeout) {
    outcome.state = RunState::kError;
    outcome.error_code = CancelReasonName(reason);
    outcome.message = cancel.message();
    if (outcome.message.empty()) outcome.message = "run exceeded its time limit";
  } else if (returned.status == STRATRUN_CANCELLED) {
    outcome.state = RunState::kCancelled;
    outcome.error_code = CancelReasonName(reason);
    if (reason != CancelReason::kNone) outcome.message = cancel.message();
    if (outcome.message.empty()) outcome.message = "cancelled";
  } else {
    outcome.state = RunState::kError;
    outcome.error_code = "plugin_error";
    if (outcome.message.empty()) outcome.message = "plugin failed with status " + std::to_string(returned.status);
  }
  return outcome;
}

RunOutcome OutcomeOfForcedStop(const Cancellation& cancel, double grace_seconds) {
  RunOutcome outcome;
  const CancelReason reason = cancel.reason();
  outcome.error_code = CancelReasonName(reason);
  outcome.state = reason == CancelReason::kTimeout ? RunState::kError : RunState::kCancelled;
  char grace[32];
  std::snprintf(grace, sizeof grace, "%.1f", grace_seconds);
  outcome.message = cancel.message();
  if (outcome.message.empty()) outcome.message = "cancelled";
  outcome.message += std::string("; stopped by force: the plugin did not stop within ") + grace +
                     " s of being cancelled, so its worker process was killed";
  return outcome;
}

}  // namespace stratrun
