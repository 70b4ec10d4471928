// RunListener: told when a run of the executor changes lifecycle state, so that live
// views (the SSE hub, the queue page) can follow runs without polling.
#pragma once

#include "progress/run_record.h"

namespace stratrun {

/// Told about run lifecycle changes: queued (Submit, Requeue), started (status running,
/// from the run's `started` event), finished (completed, cancelled or error, once its log
/// is durable) and cancelled while queued. Per run, calls arrive in that order.
///
/// Thread-safe, quick, noexcept: it is called from Submit/Cancel callers' threads and from
/// the executor's workers, never with an executor lock held, so it may call back into the
/// executor (Queue(), Active()).
class RunListener {
 public:
  virtual ~RunListener() = default;
  /// `run` is a snapshot of the run as it is now.
  virtual void OnRunChanged(const RunRecord& run) noexcept = 0;
};

}  // namespace stratrun
