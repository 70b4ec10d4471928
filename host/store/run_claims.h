// RunClaims: who owns a run, and the runs waiting in a state — what restoring the queue
// and recovering orphaned runs after a crash are built on.
//
//   for (RunRecord& run : *claims.RunsInStates(std::array{RunState::kRunning}))
//     if (*claims.ClaimRun(run, me)) EndAsInterrupted(run);
//
// Implementations are thread-safe and report failures as a Status (never throw).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "progress/run_record.h"

namespace stratrun {

class RunClaims {
 public:
  virtual ~RunClaims() = default;

  /// Makes `new_owner` the owner of the run if it is still stored with run.owner and
  /// run.status (compare-and-set, so two processes recovering the same orphaned run never
  /// both act on it). True when claimed; run.owner is then new_owner.
  virtual Result<bool> ClaimRun(RunRecord& run, const std::string& new_owner) = 0;
  /// Runs in any of `states`, oldest first (recovery after a crash, restoring the queue).
  virtual Result<std::vector<RunRecord>> RunsInStates(std::span<const RunState> states) = 0;
};

}  // namespace stratrun
