#include "progress/event_stamper.h"

#include <algorithm>

namespace stratrun {
namespace {
constexpr auto kRateWindow = std::chrono::seconds(10);
/// The highest percent an event of a run that has not completed shows.
constexpr double kBelowComplete = 99.9;
}

EventStamper::EventStamper(std::string run_id, uint64_t first_seq, const Clock& clock)
    : run_id_(std::move(run_id)), next_seq_(first_seq), clock_(clock), started_(clock.Steady()) {}

void EventStamper::CountResult(const std::string& ticker, bool passed) { results_.Count(ticker, passed); }

void EventStamper::Stamp(ProgressEvent& event) {
  const SteadyTime now = clock_.Steady();
  event.seq = next_seq_++;
  event.timestamp = clock_.Now();
  event.run_id = run_id_;
  event.passed_count = results_.passed();

  if (event.stage.empty()) {
    event.stage = stage_;
  } else {
    stage_ = event.stage;
  }
  if (event.total_items) total_ = event.total_items;
  if (event.completed_items) {
    completed_ = std::max(completed_.value_or(0), *event.completed_items);
    samples_.push_back({now, *completed_});
    while (samples_.size() > 2 && now - samples_.front().time > kRateWindow) samples_.pop_front();
  }
  if (!event.total_items) event.total_items = total_;
  // Workers finish tickers in any order: the stream shows the running count, never a
  // count that goes backwards, and never more than the total (a plugin may say 5 of 1).
  event.completed_items = completed_;
  if (completed_ && total_) event.completed_items = std::min(*completed_, *total_);

  // 100 % means the run completed: every other event (a running run that has counted all
  // its tickers, one that failed or was cancelled at the end) shows at most kBelowComplete.
  if (event.type == EventType::kCompleted) {
    event.progress_percent = 100.0;
  } else {
    if (!event.progress_percent && total_ && event.completed_items && *total_ > 0) {
      event.progress_percent = 100.0 * static_cast<double>(*event.completed_items) / static_cast<double>(*total_);
    }
    if (event.progress_percent) event.progress_percent = std::clamp(*event.progress_percent, 0.0, kBelowComplete);
  }

  if (completed_ && !samples_.empty()) {
    const Sample& oldest = samples_.front();
    double seconds = std::chrono::duration<double>(now - oldest.time).count();
    double done = static_cast<double>(*completed_ - oldest.completed);
    if (seconds < 0.05) {  // too short a window: use the whole run so far
      seconds = std::chrono::duration<double>(now - started_).count();
      done = static_cast<double>(*completed_);
    }
    if (seconds > 0) {
      event.tickers_per_second = done / seconds;
      if (total_ && *event.tickers_per_second > 0) {
        event.eta_seconds = static_cast<double>(std::max<int64_t>(0, *total_ - *completed_)) / *event.tickers_per_second;
      }
    }
  }
  if (IsTerminal(event.type)) event.eta_seconds = 0.0;
}

}  // namespace stratrun
