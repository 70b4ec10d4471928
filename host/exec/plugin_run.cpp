#include "exec/plugin_run.h"

#include "common/logging.h"
#include "exec/plugin_call.h"
#include "exec/run_events.h"
#include "plugins/load_guard.h"

namespace stratrun {
namespace {

/// The plugin's calls, straight to the run's events (this process).
class DirectChannel : public RunChannel {
 public:
  DirectChannel(RunEvents& events, const Cancellation& cancel, std::string label)
      : events_(events), stop_(cancel.token()), label_(std::move(label)) {}

  void Emit(ProgressEvent event) override { events_.Deliver(std::move(event)); }
  void Report(ResultRow row) override { events_.Deliver(row); }
  bool Cancelled() const override { return stop_.stop_requested(); }
  void Log(stratrun_log_level level, std::string_view message) override {
    static const auto logger = Logger("plugin");
    logger->log(LogLevelOf(level), "[{}] {}", label_, message);
  }

 private:
  RunEvents& events_;
  std::stop_token stop_;
  const std::string label_;  // "CODE RUN_ID"
};

}  // namespace

RunOutcome RunPlugin(const Plugin& plugin, const RunRequest& request, BarSource& data, ProgressSink& sink,
                     const Cancellation& cancel, const Clock& clock) {
  RunEvents events(request.run_id, sink, clock);
  events.Start(plugin, request.tickers.size());
  DirectChannel channel(events, cancel, plugin.code() + " " + request.run_id);
  PluginReturn returned;
  {
    // Marked while plugin code runs: if it kills the process, the next scan counts it
    // against this file (plugins/load_guard.h).
    RunGuard crash_mark(plugin.cache_dir(), plugin.sha256(), request.run_id);
    returned = CallPlugin(plugin, request, data, channel);
  }
  RunOutcome outcome = OutcomeOfReturn(returned, cancel);
  events.Finish(outcome);
  return outcome;
}

}  // namespace stratrun
