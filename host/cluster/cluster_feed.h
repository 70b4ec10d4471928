// ClusterFeed: what this instance hears from the others, through the store's notifications
// (ClusterStore::Listen), turned into local calls:
//   kEventsChannel  "<run_id> <seq>"           → hub.OnStoredEvents(run_id): its streams read the store now
//   kRunsChannel    "<run_id> <status> <owner>" → a run another instance wrote: hub.OnRunChanged(GetRun)
//                                                (at most every 250 ms per running run; state changes at once)
//   kQueueChannel, or a run queued or ended     → scheduler.Wake(): claim if a slot is free
//   kCancelChannel  "<run_id>"                 → executor.Cancel(run_id) when it runs here
// Notifications are hints, never the only way: streams still poll the store, the feeder
// still polls the queue. A lost listening connection is opened again (after 1 s), and the
// feeder is woken, since what was said meanwhile is gone.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "cluster/cluster_scheduler.h"
#include "exec/executor.h"
#include "live/event_hub.h"
#include "store/cluster_store.h"
#include "store/run_store.h"

namespace stratrun {

/// Everything passed must outlive it. The thread starts in Start() and ends in Stop().
class ClusterFeed {
 public:
  ClusterFeed(std::string self_id, RunStore& store, ClusterStore& cluster, EventHub& hub, Executor& executor,
              ClusterScheduler& scheduler);
  ~ClusterFeed();
  ClusterFeed(const ClusterFeed&) = delete;
  ClusterFeed& operator=(const ClusterFeed&) = delete;

  /// Listens (the store's error when it cannot) and starts the thread.
  Status Start();
  /// Idempotent.
  void Stop();

 private:
  void Loop(std::unique_ptr<NotificationListener> listener);
  void Handle(const Notification& notification);
  void RunChanged(const std::string& run_id, std::string_view status, std::string_view owner);

  const std::string self_id_;
  RunStore& store_;
  ClusterStore& cluster_;
  EventHub& hub_;
  Executor& executor_;
  ClusterScheduler& scheduler_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
  // Feed thread only: per remote run, when it was last forwarded and in which status.
  struct Forwarded {
    std::chrono::steady_clock::time_point at;
    std::string status;
  };
  std::unordered_map<std::string, Forwarded> forwarded_;
};

}  // namespace stratrun
