// EventStamper: the host's part of every event of one run — seq, timestamp, progress
// percent, tickers_per_second (a moving rate over the last 10 s), estimated_remaining and
// passed_count.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

#include "common/clock.h"
#include "progress/progress_event.h"
#include "progress/run_record.h"

namespace stratrun {

/// Not thread-safe: the run serialises calls. Times and rates come from `clock`, which
/// must outlive the stamper.
class EventStamper {
 public:
  explicit EventStamper(std::string run_id, uint64_t first_seq = 1, const Clock& clock = Clock::System());

  /// Fills the host's fields of `event`; remembers completed/total for later events.
  /// completed_items becomes the highest count seen so far (workers report out of order),
  /// at most the total when one is known. progress_percent is 100 on `completed` and only
  /// there: every other event shows at most 99.9 (a plugin's own percent or counts that
  /// say more are clamped), so a run still running never looks done.
  void Stamp(ProgressEvent& event);
  /// Counts a result row toward passed_count (a ticker reported again replaces its row).
  void CountResult(const std::string& ticker, bool passed);

  int64_t passed_count() const { return results_.passed(); }
  int64_t result_count() const { return results_.results(); }

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Sample {
    SteadyTime time;
    int64_t completed;
  };

  std::string run_id_;
  uint64_t next_seq_;
  const Clock& clock_;
  SteadyTime started_;
  std::deque<Sample> samples_;  // the last 10 s of (time, completed)
  std::optional<int64_t> total_, completed_;
  std::string stage_;
  ResultCounter results_;
};

}  // namespace stratrun
