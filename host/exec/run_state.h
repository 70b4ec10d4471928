// RunState: the lifecycle of a run (the seed's ExecutionState).
#pragma once

#include <string_view>

namespace stratrun {

enum class RunState { kQueued, kStarting, kRunning, kCompleting, kCompleted, kCancelled, kError };

/// "queued", "starting", "running", "completing", "completed", "cancelled", "error".
constexpr std::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kQueued: return "queued";
    case RunState::kStarting: return "starting";
    case RunState::kRunning: return "running";
    case RunState::kCompleting: return "completing";
    case RunState::kCompleted: return "completed";
    case RunState::kCancelled: return "cancelled";
    case RunState::kError: return "error";
  }
  return "error";
}

constexpr bool IsFinished(RunState state) {
  return state == RunState::kCompleted || state == RunState::kCancelled || state == RunState::kError;
}

}  // namespace stratrun
