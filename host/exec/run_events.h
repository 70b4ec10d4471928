// RunEvents: the host's side of one run's event stream. Whatever runs the plugin (this
// process or a worker), the host stamps every event (seq, time, rate, ETA, passed count)
// here and hands it to the run's sink: `started` first, the plugin's events and result
// rows in the order they arrive, exactly one terminal event last.
#pragma once

#include <mutex>
#include <string>

#include "common/clock.h"
#include "exec/run_outcome.h"
#include "plugins/plugin.h"
#include "progress/event_stamper.h"
#include "progress/progress_sink.h"

namespace stratrun {

/// Thread-safe: the plugin's events may come from any thread; seq order is delivery order.
class RunEvents {
 public:
  /// `sink` and `clock` must outlive this object.
  RunEvents(std::string run_id, ProgressSink& sink, const Clock& clock);

  /// Delivers `started` ("started CODE VERSION on N tickers").
  void Start(const Plugin& plugin, size_t ticker_count);
  /// Stamps and delivers a plugin's event; dropped once the run finished.
  void Deliver(ProgressEvent event);
  /// Counts and delivers a result row; dropped once the run finished.
  void Deliver(const ResultRow& row);
  /// Delivers the terminal event of `outcome` (completed, cancelled or error with its code
  /// and message) and fills in the outcome's result and passed counts. Once only.
  void Finish(RunOutcome& outcome);

 private:
  std::mutex mutex_;
  const std::string run_id_;
  ProgressSink& sink_;
  EventStamper stamper_;  // guarded by mutex_
  bool finished_ = false;  // guarded by mutex_
};

}  // namespace stratrun
