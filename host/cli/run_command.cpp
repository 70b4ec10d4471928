#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <stop_token>
#include <thread>

#include "cli/commands.h"
#include "common/run_id.h"
#include "exec/cancellation.h"
#include "exec/plugin_run.h"
#include "exec/run_request.h"
#include "progress/fan_out_sink.h"
#include "store/run_log_sink.h"

namespace stratrun {
namespace {

/// Turns SIGINT/SIGTERM into a cancellation (reason user) for the duration of a run. The
/// first signal cancels the run (which then ends `cancelled` and is logged as such); a second one ends
/// the process at once with exit code 130. Blocks the signals in the calling thread, so it
/// must be created before any thread of the run (threads inherit the mask): otherwise the
/// kernel may deliver the signal to a thread that still has the default action.
class SignalCanceller {
 public:
  explicit SignalCanceller(Cancellation& cancel) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    waiter_ = std::jthread([this, &cancel](std::stop_token done) {
      while (!done.stop_requested()) {
        timespec timeout{0, 100'000'000};
        if (sigtimedwait(&signals_, nullptr, &timeout) <= 0) continue;
        if (received_.exchange(true)) {
          std::fprintf(stderr, "\nstratrun: interrupted again; exiting without waiting for the run\n");
          std::_Exit(kExitCancelled);
        }
        std::fprintf(stderr, "\nstratrun: cancelling (Ctrl-C again to exit at once)\n");
        cancel.Cancel(CancelReason::kUser, "cancelled with Ctrl-C");
      }
    });
  }
  ~SignalCanceller() {
    waiter_.request_stop();
    waiter_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  bool received() const { return received_; }

 private:
  sigset_t signals_{}, previous_{};
  std::atomic<bool> received_{false};
  std::jthread waiter_;
};

}  // namespace

int RunCommand(const PluginOptions& plugins, const RunOptions& options) {
  auto data = OpenMarketData(options.data_dir);
  if (!data) {
    std::fprintf(stderr, "stratrun: %s\n", data.status().message().c_str());
    return kExitUsage;
  }
  // With --isolation process, one worker describes each plugin file and another runs the run.
  auto isolation = MakeIsolation(options.isolation, data->dir, 1);
  auto registry = MakeRegistry(plugins, isolation ? isolation->Loader() : PluginLoadFn{});
  auto catalog = ScanPlugins(registry);
  auto plugin = FindStrategyOrComplain(*catalog, options.code);
  if (!plugin) return kExitUsage;

  auto sets = options.sets;
  if (!options.universe.empty()) sets.emplace_back("universe_source", options.universe);
  if (!options.tickers.empty()) {
    std::string joined;
    for (const auto& t : options.tickers) joined += (joined.empty() ? "" : ",") + t;
    sets.emplace_back("tickers", joined);
  }
  auto parameters = plugin->schema().ValidateText(sets);
  if (!parameters) {
    std::fprintf(stderr, "stratrun: %s\n", parameters.status().message().c_str());
    return kExitUsage;
  }
  auto request = MakeRunRequest(NewRunId(), std::move(*parameters), *data->bars);
  if (!request) {
    std::fprintf(stderr, "stratrun: %s\n", request.status().message().c_str());
    return kExitUsage;
  }
  auto store = OpenRunStore(options.db);
  if (!store) {
    std::fprintf(stderr, "stratrun: %s\n", store.status().message().c_str());
    return kExitUsage;
  }

  const RunRecord record = NewRunRecord(*plugin, *request, RunState::kStarting, "cli");
  if (Status created = (*store)->CreateRun(record); !created.ok()) {
    std::fprintf(stderr, "stratrun: cannot log the run: %s\n", created.message().c_str());
    return kExitRunFailed;
  }

  ProgressMode mode = options.progress.value_or(::isatty(STDERR_FILENO) ? ProgressMode::kBar : ProgressMode::kNone);
  TerminalSink terminal(mode);
  RunOutcome outcome;
  bool interrupted = false;
  Status logged;
  {
    Cancellation cancel;
    SignalCanceller canceller(cancel);  // first: every thread below inherits its signal mask
    RunLogSink log(**store, record);
    FanOutSink sink{&log, &terminal};
    InProcessRunner in_process(*data->bars, Clock::System());
    PluginRunner& runner = isolation ? isolation->runner() : in_process;
    outcome = runner.Run(*plugin, *request, sink, cancel);
    interrupted = canceller.received();
    logged = log.Flush();
  }
  std::vector<ResultRow> rows = terminal.TakeResults();
  SortByScore(rows);
  PrintResults(rows, options.output, stdout,
               {.sort_by = "score", .passed_only = !options.all_rows, .width = TerminalColumns(stdout)});
  std::fprintf(stderr, "run %s: %s — %lld results, %lld passed%s%s\n", request->run_id.c_str(),
               std::string(RunStateName(outcome.state)).c_str(), static_cast<long long>(outcome.result_count),
               static_cast<long long>(outcome.passed_count), outcome.state == RunState::kError ? ": " : "",
               outcome.state == RunState::kError ? outcome.message.c_str() : "");
  if (data->synthetic) std::fprintf(stderr, "note: screened SYNTHETIC sample data in %s\n", data->dir.c_str());
  if (!logged.ok()) {
    std::fprintf(stderr, "stratrun: the run log is incomplete: %s\n", logged.message().c_str());
    return kExitRunFailed;
  }
  if (outcome.state == RunState::kCancelled || interrupted) return kExitCancelled;
  return outcome.state == RunState::kCompleted ? kExitOk : kExitRunFailed;
}

}  // namespace stratrun
