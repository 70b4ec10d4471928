// RunMemory: the hub's window of one run's recent events, each already formatted as its
// frame, from which live streams are served without reading the store. Contiguous in seq
// and bounded by a count and by bytes (the oldest leave first: they are in the store).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "live/frame_format.h"
#include "progress/progress_event.h"

namespace stratrun {

/// What one stream gets from memory in one round.
struct MemoryBatch {
  std::string text;
  uint64_t last_seq = 0;  // sent up to here (conflated-away events count as sent)
  bool terminal = false;  // the run's terminal event is in `text`
};

class RunMemory {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  struct Limits {
    size_t max_events = 8192;       // at least 1
    size_t max_bytes = 16u << 20;   // frames' text; the newest frame is kept whatever its size
  };

  /// Takes in the run's next event, formatted with `format`. A seq already held is
  /// ignored; a gap (events the hub never got) empties memory first, so it stays
  /// contiguous and streams fill the gap from the store. False for a duplicate.
  bool Take(const ProgressEvent& event, const FrameFormat& format, SteadyTime now, const Limits& limits);

  /// Memory can serve a stream whose next event is `need`.
  bool Serves(uint64_t need) const { return !frames_.empty() && frames_.front().seq <= need; }
  bool empty() const { return frames_.empty(); }
  uint64_t last_seq() const { return last_seq_; }
  bool terminal() const { return terminal_; }
  size_t size() const { return frames_.size(); }
  size_t bytes() const { return bytes_; }

  /// The frames from seq `need` on (Serves(need) must hold), until about `budget` bytes or
  /// the terminal event. Conflated: progress events and plain (not passing)
  /// ticker_completed events are collapsed to the latest of each; started,
  /// stage_completed, passing ticker_completed and the terminal event are always kept.
  MemoryBatch Batch(uint64_t need, bool conflate, size_t budget) const;

  /// When the memory may go: 10 s after the terminal event, or 10 minutes after the last
  /// event of a run that never ended (a host bug). Streams then replay from the store.
  SteadyTime forget_at() const;

 private:
  struct Frame {
    uint64_t seq = 0;
    EventType type = EventType::kProgress;
    bool passed = false;  // a ticker_completed with metric passed = 1
    std::string text;
  };
  static bool AlwaysKept(const Frame& frame);

  std::deque<Frame> frames_;
  size_t bytes_ = 0;
  uint64_t last_seq_ = 0;  // the highest seq taken in
  bool terminal_ = false;
  SteadyTime terminal_at_{};
  SteadyTime last_event_at_{};
};

}  // namespace stratrun
