// LifecycleViews: what the lifecycle stream (every run's state, GET /api/strategies/sse)
// knows of each active run — the latest RunRecord from the executor with the run's events
// folded in (ApplyEvent) — and the frames it sends: one per lifecycle change, one per
// terminal event, and at most every 500 ms per running run for its progress.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "live/frame_format.h"
#include "progress/run_record.h"
#include "store/run_log.h"

namespace stratrun {

/// (run id, frame) in the order they are due.
using RunFrames = std::vector<std::pair<std::string, std::string>>;

/// Not thread-safe: the hub's fan-out thread owns it.
class LifecycleViews {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  /// `runs` (for the row of a run first seen through an event) and `format` must outlive it.
  LifecycleViews(RunLog& runs, const FrameFormat& format) : runs_(runs), format_(format) {}

  /// A committed event of a run.
  void TakeEvent(const ProgressEvent& event);
  /// A lifecycle change: its frame is due now.
  void TakeChange(RunRecord record, SteadyTime now, RunFrames& frames);
  /// Appends the frames due at `now` (terminal events, progress every 500 ms) and lowers
  /// `next` to when the next one is due. Finished runs whose last frame is out are forgotten.
  void CollectDue(SteadyTime now, RunFrames& frames, SteadyTime& next);
  /// The snapshot a new lifecycle stream starts with: {"runs":[active runs, oldest first]}.
  std::string Snapshot() const;

 private:
  struct View {
    RunRecord record;
    std::optional<ProgressEvent> last_event;  // the latest: it carries the run's counts so far
    bool dirty = false;      // events not yet in a frame
    bool frame_due = false;  // a terminal event: its frame goes out this round
    SteadyTime last_frame{};
  };
  std::string Frame(const RunRecord& run) const;

  RunLog& runs_;
  const FrameFormat& format_;
  std::unordered_map<std::string, View> views_;
};

}  // namespace stratrun
