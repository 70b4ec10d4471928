// WorkerRunner: runs each run in its own worker process (the executor's PluginRunner with
// isolation on). The plugin's events and results cross the worker's SharedRing; the host
// stamps and delivers them (exec/run_events.h) exactly as for a run in this process.
//
// Guarantees, whatever the plugin does:
//  - Cancel and timeout set the run's word in the ring (the plugin sees it at its next
//    is_cancelled); `grace` later (`shutdown_grace` for a shutdown, which already waited)
//    the worker's process group is killed and the run ends cancelled (user, shutdown) or
//    error (timeout) with a message saying it was stopped by force. Results reported
//    before that are kept.
//  - A crash (a signal, exit(), abort(), an uncaught exception in any thread) ends only
//    this run: error "plugin_crashed" naming the signal or exit status, with the last
//    lines the worker wrote to stderr. Its stdout and stderr go to the server's log.
//  - Over `memory_mb` (the worker's allocation failed under its RLIMIT_AS, or its resident
//    memory, sampled every 20 ms, passed the limit) the run ends error "memory_limit".
//  - A worker that writes what no honest worker writes into its ring is killed; the run
//    ends error "plugin_crashed" ("… corrupted its channel to the host").
#pragma once

#include <chrono>
#include <filesystem>

#include "common/clock.h"
#include "exec/plugin_run.h"
#include "isolation/worker_process.h"

namespace stratrun {

struct WorkerRunnerOptions {
  std::chrono::milliseconds grace{10000};
  std::chrono::milliseconds shutdown_grace{500};
  uint64_t memory_mb = 0;  // 0: unlimited (and no RSS watch)
  std::filesystem::path data_dir;  // what workers read bars from
  const Clock* clock = &Clock::System();
};

/// Thread-safe; `pool` must outlive it.
class WorkerRunner : public PluginRunner {
 public:
  WorkerRunner(WorkerPool& pool, WorkerRunnerOptions options) : pool_(pool), options_(std::move(options)) {}
  RunOutcome Run(const Plugin& plugin, const RunRequest& request, ProgressSink& sink,
                 const Cancellation& cancel) override;

 private:
  WorkerPool& pool_;
  const WorkerRunnerOptions options_;
};

}  // namespace stratrun
