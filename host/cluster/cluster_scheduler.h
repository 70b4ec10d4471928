// ClusterScheduler: the RunScheduler of an instance in a cluster — several `stratrun serve`
// sharing one PostgreSQL run log. A submitted run is stored queued with no owner (the
// shared queue); every instance's feeder claims the next one (ClusterStore::ClaimNextQueued)
// whenever its own Executor has a free slot, and runs it there. Positions and estimated
// start times are the cluster's; a cancel reaches the run wherever it runs.
//
//   ClusterScheduler scheduler({.self = me, .queue_capacity = 10}, store, *cluster, executor, catalog, data, hub);
//   auto submitted = scheduler.Submit(std::move(submission));   // 503 past the cluster's queue limit
//   scheduler.Wake();                                          // a run was queued or a slot freed
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "data/bar_series.h"
#include "exec/executor.h"
#include "exec/run_scheduler.h"
#include "plugins/plugin_registry.h"
#include "progress/progress_sink.h"
#include "store/cluster_store.h"
#include "store/run_store.h"

namespace stratrun {

struct ClusterSchedulerOptions {
  InstanceInfo self;                      // this instance (id = the owner its runs carry)
  size_t queue_capacity = 10;             // unclaimed queued runs across the cluster
  std::chrono::seconds aging{60};         // a waiting run moves up one priority per this
  std::chrono::milliseconds lease_timeout{15000};  // instances heard from within it count as live
  std::chrono::milliseconds poll{1000};   // the feeder looks at the queue at least this often
};

/// Thread-safe. `store`, `cluster`, `executor`, `catalog`, `data` and `live` must outlive it;
/// the feeder thread starts at construction and stops in Shutdown() or the destructor.
class ClusterScheduler final : public RunScheduler {
 public:
  /// `catalog` returns the current plugin catalog (what a claimed run is checked against).
  ClusterScheduler(ClusterSchedulerOptions options, RunStore& store, ClusterStore& cluster, Executor& executor,
                   std::function<std::shared_ptr<const PluginCatalog>()> catalog, BarSource& data, ProgressSink& live);
  ~ClusterScheduler() override;
  ClusterScheduler(const ClusterScheduler&) = delete;
  ClusterScheduler& operator=(const ClusterScheduler&) = delete;

  /// Stores the run queued with no owner and announces it (kQueueChannel). Errors as
  /// Executor::Submit; ResourceExhausted when queue_capacity runs already wait cluster-wide.
  Result<SubmitResult> Submit(RunSubmission submission) override;
  /// Running here, or claimed here: the local Executor cancels it. Queued unclaimed: claimed
  /// and ended `cancelled` by this instance. Running elsewhere: its owner is asked
  /// (kCancelChannel) and cancels it with the same grace and kill rules.
  Status Cancel(const std::string& run_id, CancelReason reason = CancelReason::kUser) override;
  /// The cluster's running runs (position 0), then the unclaimed queue in claim order, with
  /// start estimates over the live instances' slots (Executor's model).
  std::vector<QueueEntry> Queue() const override;
  std::optional<QueueEntry> Active(const std::string& run_id) const override;
  SchedulerLimits limits() const override;
  std::optional<ClusterMembership> Membership() const override;

  /// Makes the feeder look at the queue now (a run was queued or returned somewhere).
  void Wake();
  /// Stops claiming runs. Idempotent.
  void Shutdown();

 private:
  void FeedLoop();
  /// Claims and starts queued runs while the executor has free slots.
  void Feed();

  const ClusterSchedulerOptions options_;
  RunStore& store_;
  ClusterStore& cluster_;
  Executor& executor_;
  const std::function<std::shared_ptr<const PluginCatalog>()> catalog_;
  BarSource& data_;
  ProgressSink& live_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread feeder_;
};

}  // namespace stratrun
