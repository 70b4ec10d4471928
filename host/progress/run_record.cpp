#include "progress/run_record.h"

namespace stratrun {

RunState FinalState(EventType terminal) {
  switch (terminal) {
    case EventType::kCompleted: return RunState::kCompleted;
    case EventType::kCancelled: return RunState::kCancelled;
    default: return RunState::kError;
  }
}

EventType TerminalEventOf(RunState finished) {
  switch (finished) {
    case RunState::kCompleted: return EventType::kCompleted;
    case RunState::kCancelled: return EventType::kCancelled;
    default: return EventType::kError;
  }
}

bool ApplyEvent(RunRecord& run, const ProgressEvent& event) {
  bool started = false;
  if (!IsFinished(run.status)) {
    if (IsTerminal(event.type)) {
      run.status = FinalState(event.type);
      run.finished_at = event.timestamp;
      run.error_code = event.error_code;
      run.error_message = event.type == EventType::kCompleted ? std::string() : event.message;
    } else if (run.status == RunState::kQueued || run.status == RunState::kStarting) {
      run.status = RunState::kRunning;
      started = true;
    }
  }
  if (!run.started_at) run.started_at = event.timestamp;
  if (event.total_items) run.total_items = *event.total_items;
  if (event.completed_items) run.completed_items = *event.completed_items;
  if (event.progress_percent) run.progress_percent = *event.progress_percent;
  if (!event.stage.empty()) run.current_stage = event.stage;
  run.passed_count = event.passed_count;
  if (event.tickers_per_second) run.tickers_per_second = event.tickers_per_second;
  if (event.eta_seconds) {
    run.estimated_completion =
        event.timestamp + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                              std::chrono::duration<double>(*event.eta_seconds));
  }
  return started;
}

void ResultCounter::Count(const std::string& ticker, bool passed) {
  auto [it, inserted] = passed_by_ticker_.try_emplace(ticker, passed);
  if (!inserted) {
    passed_ -= it->second ? 1 : 0;
    it->second = passed;
  }
  passed_ += passed ? 1 : 0;
}

}  // namespace stratrun
