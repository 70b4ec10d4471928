#include "exec/run_events.h"

namespace stratrun {

RunEvents::RunEvents(std::string run_id, ProgressSink& sink, const Clock& clock)
    : run_id_(std::move(run_id)), sink_(sink), stamper_(run_id_, 1, clock) {}

void RunEvents::Start(const Plugin& plugin, size_t ticker_count) {
  ProgressEvent started;
  started.type = EventType::kStarted;
  started.message = "started " + plugin.code() + " " + plugin.version() + " on " + std::to_string(ticker_count) +
                    " tickers";
  started.total_items = static_cast<int64_t>(ticker_count);
  started.completed_items = 0;
  started.progress_percent = 0.0;
  Deliver(std::move(started));
}

void RunEvents::Deliver(ProgressEvent event) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  stamper_.Stamp(event);
  sink_.OnEvent(event);
}

void RunEvents::Deliver(const ResultRow& row) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  stamper_.CountResult(row.ticker, row.passed);
  sink_.OnResult(run_id_, row);
}

void RunEvents::Finish(RunOutcome& outcome) {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  outcome.result_count = stamper_.result_count();
  outcome.passed_count = stamper_.passed_count();
  ProgressEvent terminal;
  terminal.type = TerminalEventOf(outcome.state);
  terminal.error_code = outcome.error_code;
  terminal.message = outcome.message;
  stamper_.Stamp(terminal);
  sink_.OnEvent(terminal);
}

}  // namespace stratrun
