// RunScheduler: where the API sends runs — submit, cancel, and the queue as users see it.
// On one machine it is the Executor itself; on a cluster (instances sharing a PostgreSQL
// run log) it is cluster/cluster_scheduler.h, whose queue and positions are the cluster's.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "common/status.h"
#include "exec/cancellation.h"
#include "exec/plugin_run.h"
#include "plugins/plugin.h"
#include "progress/run_record.h"
#include "store/cluster_store.h"

namespace stratrun {

enum class Priority { kHigh, kNormal, kLow };

/// "high", "normal", "low" (as stored in strategy_run.priority).
std::string_view PriorityName(Priority priority);
/// The inverse of PriorityName; nullopt for anything else.
std::optional<Priority> ParsePriority(std::string_view name);

struct RunSubmission {
  std::shared_ptr<const Plugin> plugin;
  RunRequest request;  // run_id, validated parameters, resolved tickers, max_workers
  Priority priority = Priority::kNormal;
  std::optional<std::chrono::seconds> timeout;  // options.max_execution_time; default_timeout when unset
  std::string source = "api";
};

struct SubmitResult {
  std::string run_id;
  RunState status;            // queued, or running when an idle worker takes it at once
  int64_t position_in_queue;  // 0 = running/starting now, 1 = next, …
  std::optional<std::chrono::system_clock::time_point> estimated_start_time;  // now for position 0
};

struct QueueEntry {
  RunRecord run;      // live snapshot (status, progress, counts, times)
  Priority priority;
  int64_t position;   // 0 for running runs; 1.. for queued, in start order
  std::optional<std::chrono::system_clock::time_point> estimated_start_time;  // queued runs
};


/// The capacity the queue view reports: runs that may run at once and runs that may wait.
struct SchedulerLimits {
  unsigned max_concurrent = 0;
  size_t queue_capacity = 0;
};

/// This instance and the live instances of its cluster (itself included), for /api/health.
struct ClusterMembership {
  InstanceInfo self;
  std::vector<InstanceInfo> live;
};

/// Thread-safe; see Executor for the meaning of each call on one machine.
class RunScheduler {
 public:
  virtual ~RunScheduler() = default;
  virtual Result<SubmitResult> Submit(RunSubmission submission) = 0;
  virtual Status Cancel(const std::string& run_id, CancelReason reason = CancelReason::kUser) = 0;
  /// Running runs first (position 0), then queued runs in start order.
  virtual std::vector<QueueEntry> Queue() const = 0;
  /// The live view of an active (queued or running) run, or nullopt.
  virtual std::optional<QueueEntry> Active(const std::string& run_id) const = 0;
  virtual SchedulerLimits limits() const = 0;
  /// nullopt on one machine.
  virtual std::optional<ClusterMembership> Membership() const { return std::nullopt; }
};

}  // namespace stratrun
