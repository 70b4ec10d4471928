// RunRecord: what is known of one run (its strategy_run row), and the one rule that
// rebuilds it from the run's events. The executor's live snapshot, the run log and the
// hub's lifecycle view all fold events with ApplyEvent and count results with
// ResultCounter, so they never disagree about what an event means.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "progress/progress_event.h"
#include "progress/run_state.h"

namespace stratrun {

struct RunRecord {
  std::string run_id;
  std::string strategy_code, plugin_version, plugin_sha256;
  std::string parameters_json = "{}";     // the validated parameter values, a JSON object
  RunState status = RunState::kQueued;
  std::string priority = "normal";        // high | normal | low
  std::string source = "cli";             // cli | api
  std::string owner;                      // the process running or queueing it (common/process_owner.h); "" = unknown
  std::optional<int64_t> timeout_seconds; // options.max_execution_time; unset = the executor's default
  std::string error_code, error_message;  // set for error (and a cancel reason for cancelled)
  std::chrono::system_clock::time_point created_at{};
  std::optional<std::chrono::system_clock::time_point> started_at, finished_at;
  int64_t total_items = 0, completed_items = 0, result_count = 0, passed_count = 0;
  double progress_percent = 0;
  std::string current_stage;
  // The pace of a running run, from its latest event (the stamper's moving rate and ETA).
  // Live only: the run log does not store them (a finished run's pace is its average).
  std::optional<double> tickers_per_second;
  std::optional<std::chrono::system_clock::time_point> estimated_completion;
};

/// The state a run ends in after its terminal event of type `terminal`: completed,
/// cancelled, or error (for error and for any other type).
RunState FinalState(EventType terminal);
/// The terminal event type of a finished state (error for a state that is not finished).
EventType TerminalEventOf(RunState finished);

/// Folds one stamped event of the run into `run`:
///  - a terminal event of an unfinished run sets its final status (FinalState),
///    finished_at (the event's timestamp), error_code and error_message (the event's
///    message; none for completed); a finished run's status never changes again;
///  - any other event makes a queued or starting run running;
///  - started_at is the first event's timestamp; total/completed items, progress percent
///    and stage take the event's values when it carries them; passed_count is the event's
///    (the stamper's count of passing results so far); the pace (tickers_per_second,
///    estimated_completion = timestamp + ETA) is the latest event's that has one.
/// result_count is not an event's: ResultCounter counts it from the rows.
/// Returns true when this event made the run running.
bool ApplyEvent(RunRecord& run, const ProgressEvent& event);

/// Counts a run's result rows: one per ticker (a ticker reported again replaces its row),
/// and how many of them passed.
class ResultCounter {
 public:
  void Count(const std::string& ticker, bool passed);
  int64_t results() const { return static_cast<int64_t>(passed_by_ticker_.size()); }
  int64_t passed() const { return passed_; }

 private:
  std::unordered_map<std::string, bool> passed_by_ticker_;
  int64_t passed_ = 0;
};

}  // namespace stratrun
