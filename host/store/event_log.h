// EventLog: every event of every run, by (run_id, seq), exactly as it was streamed. The
// hub replays from it, so a seq, once stored, names that one event forever.
//
//   auto page = events.Events(run_id, /*after_seq=*/last_seen, /*limit=*/500, 8 << 20);
//
// Implementations are thread-safe and report failures as a Status (never throw).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "progress/progress_event.h"

namespace stratrun {

/// One logged event; `json` is ToJson(event), exactly as it was streamed.
struct StoredEvent {
  uint64_t seq = 0;
  EventType type = EventType::kProgress;
  std::string json;
};

class EventLog {
 public:
  virtual ~EventLog() = default;

  /// Appends events (of any runs) in one transaction. A seq is written once: the same
  /// event at a stored (run_id, seq) again is a no-op, so re-sending a batch is harmless;
  /// another event there is kAlreadyExists and nothing of the batch is kept. kNotFound for
  /// an unknown run.
  virtual Status AppendEvents(std::span<const ProgressEvent> events) = 0;
  /// Events with seq > after_seq, in seq order; a negative limit means no limit. Reading
  /// stops once the events read hold `max_bytes` of JSON (at least one event is read), so
  /// a caller's memory is bounded by max_bytes plus one event whatever the events' sizes.
  virtual Result<std::vector<StoredEvent>> Events(const std::string& run_id, uint64_t after_seq = 0,
                                                  int64_t limit = -1, size_t max_bytes = SIZE_MAX) = 0;
  /// The highest stored seq of the run; 0 when none.
  virtual Result<uint64_t> LastSeq(const std::string& run_id) = 0;
};

}  // namespace stratrun
