#include "exec/recovery.h"

#include <algorithm>
#include <array>
#include <thread>

#include "common/logging.h"
#include "data/universe.h"

namespace stratrun {
namespace {

constexpr std::string_view kInterrupted = "interrupted";

/// What the run needs to be queued again, or InvalidArgument saying why it cannot run.
Result<RunSubmission> Revalidate(const RunRecord& run, const PluginCatalog& catalog, BarSource& data) {
  auto plugin = catalog.Find(run.strategy_code);
  if (!plugin) return InvalidArgument("strategy '" + run.strategy_code + "' is no longer installed");
  auto parameters = plugin->schema().ValidateJson(run.parameters_json);
  if (!parameters) return InvalidArgument("its parameters are no longer valid: " + parameters.status().message());
  auto tickers = ResolveUniverse(*parameters, data);
  if (!tickers) return InvalidArgument("its tickers cannot be resolved: " + tickers.status().message());
  if (plugin->sha256() != run.plugin_sha256) {
    Logger("exec")->info("run {}: will run {} {} (queued with version {})", run.run_id, plugin->code(),
                         plugin->version(), run.plugin_version);
  }
  RunSubmission submission{.plugin = plugin,
                           .request = {.run_id = run.run_id,
                                       .parameters = std::move(*parameters),
                                       .tickers = std::move(*tickers)},
                           .priority = ParsePriority(run.priority).value_or(Priority::kNormal),
                           .source = run.source};
  submission.request.max_workers = RunWorkers(submission.request.parameters);
  return submission;
}

}  // namespace

RecoveryReport RecoverRuns(RunStore& store, const PluginCatalog& catalog, BarSource& data, Executor& executor) {
  auto log = Logger("exec");
  RecoveryReport report;

  constexpr std::array kWasRunning = {RunState::kStarting, RunState::kRunning, RunState::kCompleting};
  if (auto runs = store.RunsInStates(kWasRunning); !runs.ok()) {
    log->error("recovery: cannot list the runs left running: {}", runs.status().message());
  } else {
    for (RunRecord& run : *runs) {
      if (run.source != "api") continue;
      Status ended = EndStoredRun(store, run, RunState::kError, std::string(kInterrupted),
                                  "the server stopped while this run was running");
      if (ended.ok()) {
        report.interrupted.push_back(run.run_id);
      } else {
        log->error("recovery: run {} stays {}: {}", run.run_id, RunStateName(run.status), ended.message());
      }
    }
  }

  constexpr std::array kWasQueued = {RunState::kQueued};
  if (auto runs = store.RunsInStates(kWasQueued); !runs.ok()) {
    log->error("recovery: cannot list the queued runs: {}", runs.status().message());
  } else {
    for (RunRecord& run : *runs) {
      if (run.source != "api") continue;
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
