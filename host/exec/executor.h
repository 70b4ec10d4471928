// Executor: the server's bounded run executor — a fixed number of worker threads, a
// bounded priority queue, per-run cancellation with a reason, and per-run timeouts.
//
//   Executor executor({.max_concurrent = 2, .queue_capacity = 10}, store, data, hub, hub);
//   auto submitted = executor.Submit({.plugin = plugin, .request = std::move(request)});
//   if (!submitted) return submitted.status();   // ResourceExhausted → 503 + Retry-After
//   …
//   executor.Cancel(run_id);                      // queued: removed; running: token fired
//   executor.Shutdown(std::chrono::seconds(10));  // queued runs stay queued in the store
//
// Order: high > normal > low priority, first come first served within a priority (by
// created_at, so requeued runs keep their place). Every run is stored before it is
// queued, logs through a RunLogSink while it runs, and ends with exactly one terminal
// event, written to the store and to the shared `live` sink.
//
// Estimated start times (SubmitResult, QueueEntry) come from a list-scheduling model:
//   - a strategy's expected duration is the average (finished − started) of its last 10
//     completed runs (RunLog::AverageDurationSeconds), cached per strategy and refreshed
//     on each Submit/Requeue of it and after each run of it;
//   - each of the max_concurrent slots frees up at: now for an idle slot; for a running
//     run, now + max(0, expected duration − time it has run so far);
//   - queued runs, in start order, each take the slot that frees up first and occupy it for
//     their strategy's expected duration.
//   A slot whose free time is unknown (its run's strategy has no completed history) is
//   skipped; a queued run gets nullopt when no slot has a known free time. The estimate
//   is as of now: a higher-priority run submitted later moves runs back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "data/bar_series.h"
#include "exec/cancellation.h"
#include "exec/plugin_run.h"
#include "exec/run_listener.h"
#include "exec/run_scheduler.h"
#include "progress/run_state.h"
#include "plugins/plugin.h"
#include "progress/progress_sink.h"
#include "store/run_store.h"

namespace stratrun {

struct ExecutorOptions {
  unsigned max_concurrent = 2;                  // worker threads (at least 1)
  size_t queue_capacity = 10;                   // queued (not running) runs
  std::chrono::seconds default_timeout{1800};  // for runs that set no timeout
  /// Where created_at, event times, rates and queue estimates read the time (must outlive
  /// the executor). Timeouts are real time whatever it says.
  const Clock* clock = &Clock::System();
  /// What runs each plugin (must outlive the executor): a worker process per run with
  /// isolation on (isolation/worker_runner.h); nullptr: RunPlugin in this process, on the
  /// executor's `data`.
  PluginRunner* runner = nullptr;
};

/// Runs submitted runs on `max_concurrent` worker threads plus one timer thread.
///
/// Thread-safe: every method may be called from any thread. Submit, Requeue, Cancel,
/// Queue and Active never wait for a running plugin (they may wait for the store). The
/// listener and the `live` sink are never called with an executor lock held.
class Executor final : public RunScheduler {
 public:
  /// `store`, `data`, `live` (a ProgressSink shared by all runs; it receives every event
  /// and result of every run, including the terminal event of a run cancelled while
  /// queued) and `listener` must outlive the executor. Starts the worker threads.
  Executor(ExecutorOptions options, RunStore& store, BarSource& data, ProgressSink& live, RunListener& listener);
  /// Shutdown(0 s) if it was not done.
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// Stores the run (strategy_run row, status queued: plugin code, version and sha256,
  /// parameters_json = request.parameters.ToJson(), priority, source, created_at,
  /// total_items = tickers) and queues it. Errors: ResourceExhausted "execution queue is
  /// full (N runs)" when queue_capacity runs are already waiting for a worker (runs an
  /// idle worker takes at once do not count); FailedPrecondition
  /// "server is shutting down" once Shutdown began; InvalidArgument without a plugin or
  /// run id; the store's error (e.g. AlreadyExists for a taken run id).
  Result<SubmitResult> Submit(RunSubmission submission) override;

  /// Queues a run that is already stored as queued (after a restart), regardless of
  /// queue_capacity, in its created_at order. The run will record the version and sha256
  /// of submission.plugin. FailedPrecondition when `stored` is not queued or Shutdown
  /// began; AlreadyExists when the run is already active here.
  Status Requeue(RunSubmission submission, const RunRecord& stored);

  /// Queued run: removed at once; stored `cancelled` (error_code = the reason's name,
  /// finished_at) with exactly one terminal `cancelled` event (seq = last stored seq + 1),
  /// written to the store and then to `live`; the listener is told. If the store cannot
  /// take it, the run stays queued and the store's error is returned.
  /// Running run: its Cancellation fires (a second Cancel is a no-op); the plugin stops at
  /// its next check and the run ends as RunPlugin maps it (user/shutdown → cancelled,
  /// timeout → error).
  /// Errors: NotFound "unknown run 'x'" if neither active nor stored; FailedPrecondition
  /// "run x already finished (completed)" if finished, or "run x is not active in this
  /// server (running)" for a stored unfinished run this executor does not hold (a CLI
  /// run); InvalidArgument for reason kNone.
  Status Cancel(const std::string& run_id, CancelReason reason = CancelReason::kUser) override;

  /// Running runs first (position 0, in start order), then queued runs in the order they
  /// will start, with estimated start times (see the model above).
  std::vector<QueueEntry> Queue() const override;
  /// Live snapshot of an active (queued or running) run, or nullopt.
  std::optional<QueueEntry> Active(const std::string& run_id) const override;

  const ExecutorOptions& options() const { return options_; }
  SchedulerLimits limits() const override { return {options_.max_concurrent, options_.queue_capacity}; }
  /// Workers that would start a run at once: idle ones less the runs already waiting (0
  /// once shutting down). What a cluster's queue feeder claims runs for.
  size_t FreeSlots() const;

  /// Stops accepting runs; queued runs stay queued in the store (they run after a restart,
  /// see RecoverRuns) and in Queue(); running runs get `grace` to finish, then are
  /// cancelled with kShutdown ("server shutting down") and awaited (a plugin that ignores
  /// cancellation is waited for, with a warning every 10 s); the threads are joined.
  /// Idempotent; concurrent calls wait for the first.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  struct ActiveRun;
  class Tracker;
  using SteadyClock = std::chrono::steady_clock;

  void WorkerLoop();
  void TimerLoop();
  void Execute(const std::shared_ptr<ActiveRun>& run);
  /// Refreshes the cached expected duration of a strategy (queries the store; no lock held).
  void RefreshAverage(const std::string& strategy_code);
  void InsertQueuedLocked(std::shared_ptr<ActiveRun> run);
  std::vector<QueueEntry> QueueLocked() const;
  /// Workers not holding a run (0 once shutting down): they take the first queued runs at once.
  size_t IdleWorkersLocked() const;
  std::shared_ptr<ActiveRun> FindLocked(const std::string& run_id) const;
  std::chrono::seconds TimeoutOf(const RunSubmission& submission) const;

  const ExecutorOptions options_;
  RunStore& store_;
  InProcessRunner in_process_;
  PluginRunner& runner_;
  ProgressSink& live_;
  RunListener& listener_;

  mutable std::mutex mutex_;               // guards everything below but the threads
  std::condition_variable work_;           // workers: a run was queued, or shutting down
  std::condition_variable run_finished_;   // Shutdown: a running run ended
  std::condition_variable timer_wake_;     // timer: a deadline was added, or stopping
  std::vector<std::shared_ptr<ActiveRun>> queued_;   // in start order
  std::vector<std::shared_ptr<ActiveRun>> running_;  // in start order
  std::multimap<SteadyClock::time_point, std::shared_ptr<ActiveRun>> deadlines_;
  std::map<std::string, double, std::less<>> average_seconds_;  // by strategy; absent: no history
  uint64_t next_order_ = 0;
  size_t reserved_ = 0;       // Submits between the capacity check and queueing
  unsigned busy_workers_ = 0;
  bool shutting_down_ = false;
  bool stop_timer_ = false;

  std::mutex shutdown_mutex_;  // serialises Shutdown; guards shut_down_
  bool shut_down_ = false;
  std::vector<std::thread> workers_;
  std::thread timer_;
};

/// Ends a run that is not running anywhere (cancelled while queued, interrupted by a
/// restart): stores it as `state` (completed, cancelled or error) with `error_code`,
/// `message` (as error_message) and finished_at = now, and appends one terminal event
/// (seq = the run's last stored seq + 1) in the same transaction; then hands the event to
/// `live`, if given. A failed write is retried a few times (about a second) before its
/// error is returned; on failure nothing was stored or sent. On success `run` is what was
/// stored. Thread-safe as RunStore is.
Status EndStoredRun(RunStore& store, RunRecord& run, RunState state, const std::string& error_code,
                    const std::string& message, ProgressSink* live = nullptr);

}  // namespace stratrun
