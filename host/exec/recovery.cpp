#include "exec/recovery.h"

#include <algorithm>
#include <array>
#include <thread>

#include "common/logging.h"
#include "common/process_owner.h"

namespace stratrun {
namespace {

constexpr std::string_view kInterrupted = "interrupted";

/// Claims `run` for this process; false (logged when the store failed) when another
/// process claimed it first or the store cannot be written.
bool Claim(RunStore& store, RunRecord& run) {
  auto claimed = store.ClaimRun(run, ThisProcessOwner());
  if (!claimed.ok()) {
    Logger("exec")->error("recovery: cannot claim run {}: {}", run.run_id, claimed.status().message());
    return false;
  }
  return *claimed;
}

}  // namespace

Result<RunSubmission> Revalidate(const RunRecord& run, const PluginCatalog& catalog, BarSource& data) {
  auto plugin = catalog.Find(run.strategy_code);
  if (!plugin) return InvalidArgument("strategy '" + run.strategy_code + "' is no longer installed");
  auto parameters = plugin->schema().ValidateJson(run.parameters_json);
  if (!parameters) return InvalidArgument("its parameters are no longer valid: " + parameters.status().message());
  auto request = MakeRunRequest(run.run_id, std::move(*parameters), data);
  if (!request) return InvalidArgument("its tickers cannot be resolved: " + request.status().message());
  if (plugin->sha256() != run.plugin_sha256) {
    Logger("exec")->info("run {}: will run {} {} (queued with version {})", run.run_id, plugin->code(),
                         plugin->version(), run.plugin_version);
  }
  RunSubmission submission{.plugin = plugin,
                           .request = std::move(*request),
                           .priority = ParsePriority(run.priority).value_or(Priority::kNormal),
                           .source = run.source};
  if (run.timeout_seconds) submission.timeout = std::chrono::seconds(*run.timeout_seconds);
  return submission;
}

bool IsOrphaned(const RunRecord& run) {
  if (run.owner.empty()) return run.source == "api";
  // A process never takes its own runs for orphans, whatever /proc says (or fails to say),
  // and "cannot tell" (out of file descriptors, /proc unreadable) is never "dead".
  if (IsThisProcess(run.owner)) return false;
  return OwnerIsDead(run.owner);
}

std::vector<std::string> EndOrphanedRuns(RunStore& store, ProgressSink* live) {
  std::vector<std::string> ended;
  if (store.cluster() != nullptr) return ended;  // leases decide (cluster/instance_lease.h)
  constexpr std::array kWasRunning = {RunState::kStarting, RunState::kRunning, RunState::kCompleting};
  auto runs = store.RunsInStates(kWasRunning);
  if (!runs.ok()) {
    Logger("exec")->error("recovery: cannot list the runs left running: {}", runs.status().message());
    return ended;
  }
  for (RunRecord& run : *runs) {
    if (!IsOrphaned(run) || !Claim(store, run)) continue;
    const RunState was = run.status;
    // The counts as the results logged before the process died say (the run row may lag).
    if (auto results = store.CountResults(run.run_id, false); results.ok()) run.result_count = *results;
    if (auto passed = store.CountResults(run.run_id, true); passed.ok()) run.passed_count = *passed;
    Status status = EndStoredRun(store, run, RunState::kError, std::string(kInterrupted),
                                 "the process running this run stopped before it ended", live);
    if (status.ok()) {
      Logger("exec")->warn("recovery: run {} was left {} by a process that stopped; ended as interrupted", run.run_id,
                           RunStateName(was));
      ended.push_back(run.run_id);
    } else {
      Logger("exec")->error("recovery: run {} stays {}: {}", run.run_id, RunStateName(was), status.message());
    }
  }
  return ended;
}

RecoveryReport RecoverRuns(RunStore& store, const PluginCatalog& catalog, BarSource& data, Executor& executor) {
  if (store.cluster() != nullptr) return {};  // the cluster's queue and leases do this
  auto log = Logger("exec");
  RecoveryReport report;
  report.interrupted = EndOrphanedRuns(store);

  constexpr std::array kWasQueued = {RunState::kQueued};
  if (auto runs = store.RunsInStates(kWasQueued); !runs.ok()) {
    log->error("recovery: cannot list the queued runs: {}", runs.status().message());
  } else {
    for (RunRecord& run : *runs) {
      if (run.source != "api" || !IsOrphaned(run) || !Claim(store, run)) continue;
      auto submission = Revalidate(run, catalog, data);
      if (!submission.ok()) {
        const std::string message =
            "the server restarted and this run can no longer run: " + submission.status().message();
        if (Status ended = EndStoredRun(store, run, RunState::kError, std::string(kInterrupted), message);
            !ended.ok()) {
          log->error("recovery: run {} stays queued: {}", run.run_id, ended.message());
          continue;
        }
        log->warn("recovery: run {}: {}", run.run_id, message);
        report.failed.push_back(run.run_id);
        continue;
      }
      if (Status queued = executor.Requeue(std::move(*submission), run); !queued.ok()) {
        log->warn("recovery: run {} stays queued for the next start: {}", run.run_id, queued.message());
        continue;
      }
      report.requeued.push_back(run.run_id);
    }
  }

  log->info("recovery: {} runs interrupted, {} queued again, {} could not run", report.interrupted.size(),
            report.requeued.size(), report.failed.size());
  return report;
}

}  // namespace stratrun
