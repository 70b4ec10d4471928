// Recovery: what happens to runs whose process died before ending them.
//
//   EndOrphanedRuns(store);                     // `stratrun runs`; a server every few seconds
//   auto report = RecoverRuns(*store, *registry.Rescan(), *data.bars, executor);
//   // server start: report.interrupted ended `error`/interrupted; report.requeued wait
//
// A run is orphaned when its owner process (common/process_owner.h) is no longer running: a
// server or a CLI run killed with -9, a crash, a power cut. A run another live process is
// running is never touched, so several processes may share one run log. Runs logged
// before owners were stored (schema version 1) have no owner: those of the server
// (source "api") count as orphaned, those of the CLI are left as they are.
//
// On a store instances share (RunStore::cluster() is set) process evidence says nothing
// about other machines, so EndOrphanedRuns and RecoverRuns do nothing there: an instance
// whose lease expires has its runs ended by the others (cluster/instance_lease.h), and
// queued runs wait in the shared queue.
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

/// What a stored queued run needs to be queued again (by RecoverRuns, or by an instance of
/// a cluster that claimed it): the plugin still in `catalog`, parameters_json passing its
/// schema, the tickers resolved, its priority, source and timeout. InvalidArgument saying
/// why it cannot run.
Result<RunSubmission> Revalidate(const RunRecord& run, const PluginCatalog& catalog, BarSource& data);

/// True when nobody will ever end `run`: see the overview. Only proof that its owner died
/// counts (OwnerStateOf == kDead); a run of the calling process, or one whose owner cannot
/// be checked now (e.g. out of file descriptors), is not orphaned.
bool IsOrphaned(const RunRecord& run);

/// Orphaned runs stored as starting/running/completing end as `error` with error_code
/// "interrupted", message "the process running this run stopped before it ended",
/// finished_at = now, result_count and passed_count as counted from the results logged,
/// and a terminal `error` event appended (seq = LastSeq + 1, also given
/// to `live` when set) so replays and history show how they ended. Each run is first
/// claimed (RunClaims::ClaimRun), so when two processes recover at once only one ends it.
/// Returns the ids of the runs ended, in created_at order. Never throws; store failures
/// are logged ("exec") and the run is left for the next sweep.
std::vector<std::string> EndOrphanedRuns(RunStore& store, ProgressSink* live = nullptr);

/// At server start: EndOrphanedRuns, then orphaned queued runs of the server (source "api")
/// are claimed, re-validated (the plugin is still in `catalog`; parameters_json passes the
/// schema's ValidateJson; the tickers resolve with ResolveUniverse) and Requeue()d with
/// their own timeout (options.max_execution_time as stored) and the max_workers rule of
/// the CLI (the `max_workers` parameter, else one per core). Ones that cannot run end
/// `error`, code "interrupted", with a message saying why. A run whose end cannot be
/// stored, or that the executor refuses (it is shutting down), is logged and left as it
/// is for the next start. Never throws; store failures are logged ("exec").
RecoveryReport RecoverRuns(RunStore& store, const PluginCatalog& catalog, BarSource& data, Executor& executor);

}  // namespace stratrun
