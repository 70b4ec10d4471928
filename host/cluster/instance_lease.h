// InstanceLease: this instance's membership of a cluster, and the takeover of members that
// died. A thread renews the lease every lease_timeout / 4 and, every lease_timeout / 10,
// looks for instances silent for 3/4 of lease_timeout: each one's unfinished runs are
// claimed (RunClaims::ClaimRun — the owner check on every write fences the old owner off,
// should it come back) and ended `error`/interrupted, its claimed but not started runs go
// back to the shared queue, and its lease is removed. So runs of an instance killed with
// -9 or cut off end within lease_timeout of its last heartbeat, on whichever live
// instance looks first (the claim makes that exactly one).
//
// An instance that finds its own lease gone (it was cut off long enough to be declared
// dead) cancels what it still runs — those runs were ended by another instance, and their
// writes are refused — and registers again.
//
//   InstanceLease lease({.self = me, .lease_timeout = 15s}, store, *cluster, executor, hub);
//   if (Status s = lease.Start(); !s.ok()) return s;   // the first registration
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/status.h"
#include "exec/executor.h"
#include "progress/progress_sink.h"
#include "store/cluster_store.h"
#include "store/run_store.h"

namespace stratrun {

struct InstanceLeaseOptions {
  InstanceInfo self;
  std::chrono::milliseconds lease_timeout{15000};
};

/// `store`, `cluster`, `executor` and `live` must outlive it. Stop() (or the destructor)
/// ends the thread and removes the lease, so the others stop counting this instance's slots.
class InstanceLease {
 public:
  InstanceLease(InstanceLeaseOptions options, RunStore& store, ClusterStore& cluster, Executor& executor,
                ProgressSink& live);
  ~InstanceLease();
  InstanceLease(const InstanceLease&) = delete;
  InstanceLease& operator=(const InstanceLease&) = delete;

  /// Registers the lease and starts the thread. The store's error when it cannot register.
  Status Start();
  /// Idempotent.
  void Stop();

  /// One takeover pass (the thread runs it every lease_timeout / 10): ends the runs of
  /// instances silent too long. Returns how many runs it ended or returned to the queue.
  size_t TakeOverSilentInstances();

 private:
  void Loop();
  void Renew();

  const InstanceLeaseOptions options_;
  RunStore& store_;
  ClusterStore& cluster_;
  Executor& executor_;
  ProgressSink& live_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace stratrun
