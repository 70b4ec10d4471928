#include "cluster/cluster_scheduler.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "common/logging.h"
#include "exec/recovery.h"
#include "exec/run_request.h"
#include "exec/start_estimate.h"

namespace stratrun {
namespace {

constexpr std::array kRunningStates = {RunState::kStarting, RunState::kRunning, RunState::kCompleting};

}  // namespace

ClusterScheduler::ClusterScheduler(ClusterSchedulerOptions options, RunStore& store, ClusterStore& cluster,
                                   Executor& executor, std::function<std::shared_ptr<const PluginCatalog>()> catalog,
                                   BarSource& data, ProgressSink& live)
    : options_(std::move(options)),
      store_(store),
      cluster_(cluster),
      executor_(executor),
      catalog_(std::move(catalog)),
      data_(data),
      live_(live) {
  feeder_ = std::thread([this] { FeedLoop(); });
}

ClusterScheduler::~ClusterScheduler() { Shutdown(); }

void ClusterScheduler::Shutdown() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (feeder_.joinable() && feeder_.get_id() != std::this_thread::get_id()) feeder_.join();
}

void ClusterScheduler::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

Result<SubmitResult> ClusterScheduler::Submit(RunSubmission submission) {
  if (!submission.plugin) return InvalidArgument("run has no strategy", "strategy_code");
  if (submission.request.run_id.empty()) return InvalidArgument("run has no id", "run_id");
  // Runs a free slot somewhere is about to take do not count against the limit.
  const auto queue = Queue();
  const auto running =
      static_cast<size_t>(std::count_if(queue.begin(), queue.end(), [](const QueueEntry& e) { return e.position == 0; }));
  const size_t waiting = queue.size() - running;
  const size_t slots = limits().max_concurrent;
  const size_t free = slots > running ? slots - running : 0;
  if (waiting + 1 > free && waiting + 1 - free > options_.queue_capacity) {
    return Status(StatusCode::kResourceExhausted,
                  "execution queue is full (" + std::to_string(options_.queue_capacity) + " runs)");
  }
  RunRecord record = NewRunRecord(*submission.plugin, submission.request, RunState::kQueued, submission.source);
  record.created_at = std::chrono::system_clock::now();
  record.priority = std::string(PriorityName(submission.priority));
  if (submission.timeout) record.timeout_seconds = submission.timeout->count();
  record.owner.clear();  // unclaimed: any instance's feeder may take it
  if (Status created = store_.CreateRun(record); !created.ok()) return created;
  if (Status told = cluster_.Notify(kQueueChannel, ""); !told.ok()) {
    Logger("cluster")->warn("run {}: queued, but the other instances were not told: {}", record.run_id, told.message());
  }
  Wake();
  SubmitResult result{.run_id = record.run_id, .status = RunState::kQueued, .position_in_queue = 1};
  for (const QueueEntry& entry : Queue()) {
    if (entry.run.run_id != record.run_id) continue;
    result.position_in_queue = entry.position;
    result.estimated_start_time = entry.estimated_start_time;
  }
  Logger("cluster")->info("run {} ({}, {} priority) queued in the cluster at position {}", record.run_id,
                          record.strategy_code, record.priority, result.position_in_queue);
  return result;
}

Status ClusterScheduler::Cancel(const std::string& run_id, CancelReason reason) {
  if (executor_.Active(run_id)) return executor_.Cancel(run_id, reason);
  auto stored = store_.GetRun(run_id);
  if (!stored) return stored.status();
  if (!*stored) return NotFound("unknown run '" + run_id + "'", "run_id");
  RunRecord run = std::move(**stored);
  if (IsFinished(run.status)) {
    return {StatusCode::kFailedPrecondition,
            "run " + run_id + " already finished (" + std::string(RunStateName(run.status)) + ")"};
  }
  if (run.status == RunState::kQueued && run.owner.empty()) {
    auto claimed = store_.ClaimRun(run, options_.self.id);
    if (!claimed) return claimed.status();
    if (*claimed) {
      return EndStoredRun(store_, run, RunState::kCancelled, std::string(CancelReasonName(reason)),
                          "cancelled by user request before it started", &live_);
    }
    // Claimed by an instance a moment ago: ask its owner, below.
    auto again = store_.GetRun(run_id);
    if (!again) return again.status();
    if (!*again) return NotFound("unknown run '" + run_id + "'", "run_id");
    run = std::move(**again);
    if (IsFinished(run.status)) {
      return {StatusCode::kFailedPrecondition,
              "run " + run_id + " already finished (" + std::string(RunStateName(run.status)) + ")"};
    }
  }
  if (run.owner == options_.self.id) return executor_.Cancel(run_id, reason);  // claimed here, starting now
  // Its owner is another instance: it cancels the run as it would its own.
  return cluster_.Notify(kCancelChannel, run_id);
}

std::vector<QueueEntry> ClusterScheduler::Queue() const {
  std::vector<QueueEntry> entries;
  auto running = store_.RunsInStates(kRunningStates);
  auto waiting = cluster_.UnclaimedQueue(options_.aging);
  if (!running || !waiting) {
    Logger("cluster")->warn("cannot read the cluster's queue: {}",
                            (!running ? running.status() : waiting.status()).message());
    return executor_.Queue();
  }
  const auto now = std::chrono::system_clock::now();
  std::map<std::string, std::optional<EstimateDuration>> averages;
  auto expected = [&](const std::string& code) -> std::optional<EstimateDuration> {
    auto [it, added] = averages.try_emplace(code);
    if (added) {
      auto seconds = store_.AverageDurationSeconds(code);
      if (seconds.ok() && *seconds) {
        it->second = std::chrono::duration_cast<EstimateDuration>(std::chrono::duration<double>(**seconds));
      }
    }
    return it->second;
  };
  std::vector<std::optional<EstimateTime>> slots;
  for (RunRecord& run : *running) {
    if (auto duration = expected(run.strategy_code); duration && run.started_at) {
      slots.emplace_back(std::max(now, *run.started_at + *duration));
    } else {
      slots.emplace_back(std::nullopt);
    }
    if (auto local = executor_.Active(run.run_id)) run = std::move(local->run);  // the freshest view
    const Priority priority = ParsePriority(run.priority).value_or(Priority::kNormal);
    entries.push_back({std::move(run), priority, 0, std::nullopt});
  }
  while (slots.size() < limits().max_concurrent) slots.emplace_back(now);
  std::vector<std::optional<EstimateDuration>> durations;
  for (const RunRecord& run : *waiting) durations.push_back(expected(run.strategy_code));
  const auto starts = EstimateStarts(std::move(slots), durations);
  int64_t position = 0;
  for (size_t i = 0; i < waiting->size(); ++i) {
    RunRecord& run = (*waiting)[i];
    const Priority priority = ParsePriority(run.priority).value_or(Priority::kNormal);
    entries.push_back({std::move(run), priority, ++position, starts[i]});
  }
  return entries;
}

std::optional<QueueEntry> ClusterScheduler::Active(const std::string& run_id) const {
  if (auto local = executor_.Active(run_id)) return local;
  for (QueueEntry& entry : Queue()) {
    if (entry.run.run_id == run_id) return std::move(entry);
  }
  return std::nullopt;
}

SchedulerLimits ClusterScheduler::limits() const {
  SchedulerLimits limits{.max_concurrent = 0, .queue_capacity = options_.queue_capacity};
  if (auto members = Membership()) {
    for (const InstanceInfo& instance : members->live) limits.max_concurrent += instance.max_concurrent;
  }
  if (limits.max_concurrent == 0) limits.max_concurrent = options_.self.max_concurrent;
  return limits;
}

std::optional<ClusterMembership> ClusterScheduler::Membership() const {
  ClusterMembership members{.self = options_.self, .live = {}};
  auto live = cluster_.LiveInstances(options_.lease_timeout);
  if (live.ok()) members.live = std::move(*live);
  return members;
}

void ClusterScheduler::FeedLoop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.poll, [&] { return woken_ || stopping_; });
      if (stopping_) return;
      woken_ = false;
    }
    Feed();
  }
}

void ClusterScheduler::Feed() {
  auto log = Logger("cluster");
  while (executor_.FreeSlots() > 0) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    auto claimed = cluster_.ClaimNextQueued(options_.self.id, options_.aging);
    if (!claimed) {
      log->warn("cannot claim from the shared queue: {}", claimed.status().message());
      return;
    }
    if (!*claimed) return;  // nothing waits
    RunRecord run = std::move(**claimed);
    auto submission = Revalidate(run, *catalog_(), data_);
    if (!submission) {
      log->error("run {} cannot run: {}", run.run_id, submission.status().message());
      EndStoredRun(store_, run, RunState::kError, "interrupted", "the run cannot start: " + submission.status().message(),
                   &live_);
      continue;
    }
    if (Status queued = executor_.Requeue(std::move(*submission), run); !queued.ok()) {
      // Shutting down: give it back to the queue for another instance.
      log->warn("run {} not started here ({}); back to the queue", run.run_id, queued.message());
      auto returned = store_.ClaimRun(run, "");
      if (returned.ok() && *returned) cluster_.Notify(kQueueChannel, "");
      return;
    }
    log->info("run {} claimed from the shared queue", run.run_id);
  }
}

}  // namespace stratrun
