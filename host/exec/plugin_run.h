// RunPlugin: executes one run of one plugin on the calling thread, in this process.
//
// The plugin's calls go through CallPlugin (exec/plugin_call.h) to the run's RunEvents,
// which stamp them and hand them to the sink; the plugin's return status becomes exactly
// one terminal event by OutcomeOfReturn (exec/run_outcome.h).
//
// PluginRunner is what the executor runs a plugin with: InProcessRunner (RunPlugin) or,
// with isolation on, a worker process per run (isolation/worker_runner.h).
#pragma once

#include "common/clock.h"
#include "data/bar_series.h"
#include "exec/cancellation.h"
#include "exec/run_outcome.h"
#include "exec/run_request.h"
#include "plugins/plugin.h"
#include "progress/progress_sink.h"

namespace stratrun {

/// Runs `plugin` until it returns. `cancel` is the run's cancellation: the plugin sees its
/// token through is_cancelled(), and its reason decides how a stopped run ends; any thread
/// may fire it meanwhile. Never throws; the sink receives `started` first and exactly one
/// terminal event last. Event times and rates come from `clock`.
RunOutcome RunPlugin(const Plugin& plugin, const RunRequest& request, BarSource& data, ProgressSink& sink,
                     const Cancellation& cancel, const Clock& clock = Clock::System());

/// Runs one run of a plugin to its end with the guarantees of RunPlugin. Thread-safe: the
/// executor calls Run from several threads at once.
class PluginRunner {
 public:
  virtual ~PluginRunner() = default;
  virtual RunOutcome Run(const Plugin& plugin, const RunRequest& request, ProgressSink& sink,
                         const Cancellation& cancel) = 0;
};

/// RunPlugin in this process, on `data`, with times from `clock` (both must outlive it).
class InProcessRunner : public PluginRunner {
 public:
  InProcessRunner(BarSource& data, const Clock& clock) : data_(data), clock_(clock) {}
  RunOutcome Run(const Plugin& plugin, const RunRequest& request, ProgressSink& sink,
                 const Cancellation& cancel) override {
    return RunPlugin(plugin, request, data_, sink, cancel, clock_);
  }

 private:
  BarSource& data_;
  const Clock& clock_;
};

}  // namespace stratrun
