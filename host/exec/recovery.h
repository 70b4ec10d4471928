// RecoverRuns: what the server does with the run log at start, before it serves.
//
//   auto report = RecoverRuns(*store, *registry.Rescan(), *data.bars, executor);
//   // report.interrupted ended `error`/interrupted; report.requeued wait in the executor
//
// Only runs the server owns (source "api") are touched: a CLI run (source "cli") may be
// running in another process right now, so it is left as it is.
#pragma once

#include <string>
#include <vector>

#include "data/bar_series.h"
#include "exec/executor.h"
#include "plugins/plugin_registry.h"
#include "store/run_store.h"

namespace stratrun {

/// Run ids by what recovery did with them, each in created_at order.
struct RecoveryReport {
  std::vector<std::string> interrupted;  // were running: now error/interrupted
  std::vector<std::string> requeued;     // were queued: queued again in the executor
  std::vector<std::string> failed;       // were queued but cannot run: now error/interrupted
};

/// At server start: runs stored as starting/running/completing whose source is "api" end as
/// `error` with error_code "interrupted", message "the server stopped while this run was
/// running", finished_at = now, and a terminal `error` event appended (seq = LastSeq + 1)
/// so replays and history show how they ended. Runs stored as queued are re-validated (the
/// plugin is still in `catalog`; parameters_json passes the schema's ValidateJson; the
/// tickers resolve with ResolveUniverse) and Requeue()d, with the default timeout (a run's
/// own max_execution_time is not stored) and the max_workers rule of the CLI (the
/// `max_workers` parameter, else one per core). Ones that cannot run end `error`, code
/// "interrupted", with a message saying why. A run whose end cannot be stored, or that
/// the executor refuses (it is shutting down), is logged and left as it is for the next
/// start. Never throws; store failures are logged ("exec").
RecoveryReport RecoverRuns(RunStore& store, const PluginCatalog& catalog, BarSource& data, Executor& executor);

}  // namespace stratrun
