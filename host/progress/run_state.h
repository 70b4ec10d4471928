// RunState: the lifecycle of a run (the seed's ExecutionState).
#pragma once

#include <array>
#include <optional>
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

inline constexpr std::array kAllRunStates = {RunState::kQueued,    RunState::kStarting,
                                             RunState::kRunning,   RunState::kCompleting,
                                             RunState::kCompleted, RunState::kCancelled,
                                             RunState::kError};

/// The state named `name` (as RunStateName writes it), or nullopt.
constexpr std::optional<RunState> ParseRunState(std::string_view name) {
  for (RunState state : kAllRunStates) {
    if (RunStateName(state) == name) return state;
  }
  return std::nullopt;
}

constexpr bool IsFinished(RunState state) {
  return state == RunState::kCompleted || state == RunState::kCancelled || state == RunState::kError;
}

}  // namespace stratrun
