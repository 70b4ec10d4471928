#include "cluster/instance_lease.h"

#include <array>

#include "common/logging.h"

namespace stratrun {
namespace {

constexpr std::array kUnfinishedStates = {RunState::kQueued, RunState::kStarting, RunState::kRunning,
                                          RunState::kCompleting};

}  // namespace

InstanceLease::InstanceLease(InstanceLeaseOptions options, RunStore& store, ClusterStore& cluster, Executor& executor,
                             ProgressSink& live)
    : options_(std::move(options)), store_(store), cluster_(cluster), executor_(executor), live_(live) {}

InstanceLease::~InstanceLease() { Stop(); }

Status InstanceLease::Start() {
  if (Status registered = cluster_.RegisterInstance(options_.self); !registered.ok()) return registered;
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void InstanceLease::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status removed = cluster_.RemoveInstance(options_.self.id); !removed.ok()) {
    Logger("cluster")->warn("cannot remove this instance's lease: {}", removed.message());
  }
}

void InstanceLease::Loop() {
  using Steady = std::chrono::steady_clock;
  const auto renew_every = std::max<std::chrono::milliseconds>(options_.lease_timeout / 4, std::chrono::milliseconds(50));
  const auto look_every = std::max<std::chrono::milliseconds>(options_.lease_timeout / 10, std::chrono::milliseconds(50));
  auto next_renew = Steady::now() + renew_every;
  auto next_look = Steady::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_until(lock, std::min(next_renew, next_look), [&] { return stopping_; })) return;
    }
    const auto now = Steady::now();
    if (now >= next_renew) {
      Renew();
      next_renew = now + renew_every;
    }
    if (now >= next_look) {
      TakeOverSilentInstances();
      next_look = now + look_every;
    }
  }
}

void InstanceLease::Renew() {
  const Status renewed = cluster_.Heartbeat(options_.self.id);
  if (renewed.ok()) return;
  auto log = Logger("cluster");
  if (renewed.code() != StatusCode::kFailedPrecondition) {
    log->warn("heartbeat failed (will retry): {}", renewed.message());
    return;
  }
  // Declared dead while cut off: what still runs here was ended elsewhere.
  log->error("{}; cancelling the runs still running here and joining again", renewed.message());
  for (const QueueEntry& entry : executor_.Queue()) executor_.Cancel(entry.run.run_id, CancelReason::kShutdown);
  if (Status registered = cluster_.RegisterInstance(options_.self); !registered.ok()) {
    log->error("cannot join the cluster again: {}", registered.message());
  }
}

size_t InstanceLease::TakeOverSilentInstances() {
  auto log = Logger("cluster");
  auto silent = cluster_.SilentInstances(options_.lease_timeout * 3 / 4);
  if (!silent) {
    log->warn("cannot read the cluster's leases: {}", silent.status().message());
    return 0;
  }
  if (silent->empty()) return 0;
  auto runs = store_.RunsInStates(kUnfinishedStates);
  if (!runs) {
    log->warn("cannot read the runs of silent instances: {}", runs.status().message());
    return 0;
  }
  size_t taken = 0;
  for (const std::string& dead : *silent) {
    if (dead == options_.self.id) continue;  // this thread is late, not dead; Renew() handles a lost lease
    bool all_done = true;
    for (RunRecord& run : *runs) {
      if (run.owner != dead) continue;
      if (run.status == RunState::kQueued) {  // claimed, never started: back to the queue
        auto returned = store_.ClaimRun(run, "");
        if (!returned.ok()) all_done = false;
        if (returned.ok() && *returned) ++taken;
        continue;
      }
      auto claimed = store_.ClaimRun(run, options_.self.id);
      if (!claimed.ok()) {
        all_done = false;
        continue;
      }
      if (!*claimed) continue;  // another instance took it over first
      const Status ended = EndStoredRun(store_, run, RunState::kError, "interrupted",
                                        "the instance running this run stopped before it ended", &live_);
      if (!ended.ok()) {
        log->error("run {}: cannot end it: {}", run.run_id, ended.message());
        all_done = false;
        continue;
      }
      ++taken;
      log->warn("run {}: its instance stopped heartbeating; ended interrupted", run.run_id);
    }
    if (all_done) cluster_.RemoveInstance(dead);
  }
  if (taken > 0) cluster_.Notify(kQueueChannel, "");
  return taken;
}

}  // namespace stratrun
