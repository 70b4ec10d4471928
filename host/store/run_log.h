// RunLog: the durable record of every run — one RunRecord per run, created once, then
// rewritten by its owner as it moves through its states.
//
//   if (Status s = log.CreateRun(run); !s.ok()) return s;
//   auto page = log.ListRuns({.status = RunState::kCompleted, .limit = 20});
//
// Implementations are thread-safe, report failures as a Status (never throw), and a read
// sees every write committed before it started, by this process or another.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "progress/run_record.h"

namespace stratrun {

/// Which runs ListRuns/CountRuns return. An empty strategy_code matches every strategy;
/// a negative limit means no limit (CountRuns ignores limit and offset).
struct RunFilter {
  std::optional<RunState> status;
  std::string strategy_code;
  int64_t limit = 50;
  int64_t offset = 0;
};

class RunLog {
 public:
  virtual ~RunLog() = default;

  /// kAlreadyExists when the id is taken; kInvalidArgument for an empty id or an unknown
  /// priority ("high", "normal", "low") or source ("cli", "api").
  virtual Status CreateRun(const RunRecord& run) = 0;
  /// Writes every field but run_id and created_at; kNotFound when the run is absent,
  /// kFailedPrecondition when its stored owner is not `run.owner` (only the run's owner
  /// writes it: a writer whose run another process claimed is fenced off; RunClaims alone
  /// changes the owner).
  virtual Status UpdateRun(const RunRecord& run) = 0;

  /// The run, or nullopt when there is none.
  virtual Result<std::optional<RunRecord>> GetRun(const std::string& run_id) = 0;
  /// What a user typed as a run id — the whole id or any prefix of it (the CLI and the
  /// dashboard show 8 characters) — resolved to the one stored id it names. A stored id
  /// equal to `id_or_prefix` always wins. kNotFound (field "run_id") when nothing
  /// matches; kInvalidArgument (field "run_id") for an empty text or a prefix of several
  /// runs, the message listing up to 10 of them.
  virtual Result<std::string> ResolveRunId(std::string_view id_or_prefix) = 0;
  /// Newest created first.
  virtual Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter) = 0;
  virtual Result<int64_t> CountRuns(const RunFilter& filter) = 0;
  /// Average duration (finished − started) of the last `n` completed runs of a strategy,
  /// in seconds; nullopt when there is none.
  virtual Result<std::optional<double>> AverageDurationSeconds(const std::string& strategy_code, int n = 10) = 0;
};

}  // namespace stratrun
