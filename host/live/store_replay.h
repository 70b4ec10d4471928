// StoreReplay: a run's stored events for a stream that memory can no longer serve (it
// resumed from an old seq, or its events left memory), read one send budget at a time.
// It never sends past a gap: a seq the log has not written yet is waited for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "live/frame_format.h"
#include "store/event_log.h"
#include "store/run_log.h"

namespace stratrun {

/// One round's reads for one run, shared by all of its streams that replay: each is read
/// at most once a round.
class StoreReplay {
 public:
  /// `runs`, `events` and `format` must outlive it.
  StoreReplay(RunLog& runs, EventLog& events, const FrameFormat& format, std::string run_id)
      : runs_(runs), events_(events), format_(format), run_id_(std::move(run_id)) {}

  struct Step {
    std::string text;       // frames of the events after `sent_seq`, in seq order
    uint64_t sent_seq = 0;  // the stream has every event up to here once `text` is sent
    bool read_some = false;
    bool complete = false;  // the run's terminal event is in `text`
  };
  /// The stored events after `sent_seq`, contiguous, until about `budget` bytes or the
  /// terminal event. Read errors are logged and read as "nothing stored yet".
  Step Read(uint64_t sent_seq, size_t budget);
  /// The highest stored seq (0 when none, or when the store cannot be read).
  uint64_t last_seq();
  /// The run is finished, or no longer stored: nothing more will come.
  bool finished();

 private:
  RunLog& runs_;
  EventLog& events_;
  const FrameFormat& format_;
  const std::string run_id_;
  std::optional<uint64_t> last_seq_;
  std::optional<bool> finished_;
};

}  // namespace stratrun
