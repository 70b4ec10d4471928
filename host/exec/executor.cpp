#include "exec/executor.h"

#include <algorithm>
#include <array>
#include <limits>
#include <tuple>

#include "common/logging.h"
#include "exec/start_estimate.h"
#include "progress/fan_out_sink.h"
#include "store/run_log_sink.h"

namespace stratrun {
namespace {

using SystemClock = std::chrono::system_clock;

/// Longest timeout honoured (a larger one would overflow the deadline's time point).
constexpr std::chrono::seconds kMaxTimeout = std::chrono::hours(24 * 365);
/// How long a shutdown waits between warnings about runs that ignore cancellation.
constexpr std::chrono::seconds kShutdownWarnEvery{10};
/// How long a running run's log gathers events before it commits them (group commit): the
/// live streams wait at most this long for what they show to be durable.
constexpr std::chrono::milliseconds kLiveCommitInterval{5};

std::string TimeLimitMessage(std::chrono::seconds timeout) {
  return "run exceeded its time limit of " + std::to_string(timeout.count()) + " s";
}

std::string CancelMessage(CancelReason reason, std::chrono::seconds timeout) {
  switch (reason) {
    case CancelReason::kUser: return "cancelled by user request";
    case CancelReason::kTimeout: return TimeLimitMessage(timeout);
    case CancelReason::kShutdown: return "server shutting down";
    case CancelReason::kNone: break;
  }
  return "cancelled";
}

}  // namespace

std::string_view PriorityName(Priority priority) {
  switch (priority) {
    case Priority::kHigh: return "high";
    case Priority::kNormal: return "normal";
    case Priority::kLow: return "low";
  }
  return "normal";
}

std::optional<Priority> ParsePriority(std::string_view name) {
  for (Priority p : {Priority::kHigh, Priority::kNormal, Priority::kLow}) {
    if (PriorityName(p) == name) return p;
  }
  return std::nullopt;
}

Status EndStoredRun(RunStore& store, RunRecord& run, RunState state, const std::string& error_code,
                    const std::string& message, ProgressSink* live) {
  constexpr int kAttempts = 5;
  auto delay = std::chrono::milliseconds(50);
  Status status;
  for (int attempt = 1; attempt <= kAttempts; ++attempt) {
    RunRecord ended = run;
    ProgressEvent event;
    auto last_seq = store.LastSeq(run.run_id);
    if (last_seq.ok()) {
      const auto now = SystemClock::now();
      event.seq = *last_seq + 1;
      event.type = TerminalEventOf(state);
      event.timestamp = now;
      event.run_id = run.run_id;
      event.message = message;
      event.error_code = error_code;
      event.total_items = run.total_items;
      event.completed_items = run.completed_items;
      event.progress_percent = run.progress_percent;
      event.passed_count = run.passed_count;
      ended.status = state;
      ended.finished_at = now;
      ended.error_code = error_code;
      ended.error_message = message;
      const ProgressEvent events[] = {event};
      status = store.AppendBatch(ended, events, {});
    } else {
      status = last_seq.status();
    }
    if (status.ok()) {
      run = std::move(ended);
      if (live != nullptr) live->OnEvent(event);
      return status;
    }
    Logger("exec")->warn("run {}: storing its end ({}) failed (attempt {} of {}): {}", run.run_id,
                         RunStateName(state), attempt, kAttempts, status.message());
    if (attempt < kAttempts) {
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
  }
  return status;
}

// ---- the executor's view of one run ---------------------------------------------------------

struct Executor::ActiveRun {
  ActiveRun(RunSubmission s, RunRecord r, std::chrono::seconds t, uint64_t o)
      : submission(std::move(s)), record(std::move(r)), timeout(t), order(o) {}

  const RunSubmission submission;
  RunRecord record;  // the live snapshot; guarded by Executor::mutex_
  const std::chrono::seconds timeout;
  const uint64_t order;  // breaks created_at ties: FIFO
  Cancellation cancel;
  // Guarded by Executor::mutex_:
  SteadyClock::time_point started{};  // when a worker took it
  ResultCounter results;
  std::optional<std::multimap<SteadyClock::time_point, std::shared_ptr<ActiveRun>>::iterator> deadline;

  /// Start order: priority, then created_at, then submission order.
  bool StartsBefore(const ActiveRun& other) const {
    return std::tuple(submission.priority, record.created_at, order) <
           std::tuple(other.submission.priority, other.record.created_at, other.order);
  }
};

/// Keeps a running run's live snapshot up to date from what it emits (as RunLogSink does
/// for the store) and tells the listener when it starts running.
class Executor::Tracker : public ProgressSink {
 public:
  Tracker(Executor& executor, std::shared_ptr<ActiveRun> run) : executor_(executor), run_(std::move(run)) {}

  void OnEvent(const ProgressEvent& event) noexcept override {
    std::optional<RunRecord> started;  // set when this event made the run `running`
    try {
      std::lock_guard lock(executor_.mutex_);
      RunRecord& r = run_->record;
      if (ApplyEvent(r, event)) started.emplace();
      if (started) *started = r;
    } catch (const std::exception& e) {
      Logger("exec")->error("run {}: cannot track event {}: {}", event.run_id, event.seq, e.what());
      return;
    }
    if (started) executor_.listener_.OnRunChanged(*started);
  }

  void OnResult(const std::string& run_id, const ResultRow& row) noexcept override {
    try {
      std::lock_guard lock(executor_.mutex_);
      run_->results.Count(row.ticker, row.passed);
      run_->record.result_count = run_->results.results();
    } catch (const std::exception& e) {
      Logger("exec")->error("run {}: cannot track result {}: {}", run_id, row.ticker, e.what());
    }
  }

 private:
  Executor& executor_;
  std::shared_ptr<ActiveRun> run_;
};

// ---- lifecycle --------------------------------------------------------------------------------

Executor::Executor(ExecutorOptions options, RunStore& store, BarSource& data, ProgressSink& live,
                   RunListener& listener)
    : options_([&] {
        options.max_concurrent = std::max(1u, options.max_concurrent);
        if (options.clock == nullptr) options.clock = &Clock::System();
        if (options.default_timeout <= std::chrono::seconds(0)) options.default_timeout = std::chrono::seconds(1800);
        options.default_timeout = std::min(options.default_timeout, kMaxTimeout);
        return options;
      }()),
      store_(store),
      in_process_(data, *options_.clock),
      runner_(options_.runner != nullptr ? *options_.runner : in_process_),
      live_(live),
      listener_(listener) {
  timer_ = std::thread([this] { TimerLoop(); });
  workers_.reserve(options_.max_concurrent);
  for (unsigned i = 0; i < options_.max_concurrent; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  Logger("exec")->info("executor started: {} workers, queue of {}, default timeout {} s", options_.max_concurrent,
                       options_.queue_capacity, options_.default_timeout.count());
}

Executor::~Executor() { Shutdown(std::chrono::milliseconds(0)); }

void Executor::Shutdown(std::chrono::milliseconds grace) {
  std::lock_guard shutdown_lock(shutdown_mutex_);
  if (shut_down_) return;
  auto log = Logger("exec");
  {
    std::unique_lock lock(mutex_);
    shutting_down_ = true;
    work_.notify_all();
    if (!running_.empty()) {
      log->info("shutting down: waiting up to {} ms for {} running runs", grace.count(), running_.size());
      run_finished_.wait_for(lock, grace, [&] { return running_.empty(); });
    }
    for (const auto& run : running_) {
      if (run->cancel.Cancel(CancelReason::kShutdown, CancelMessage(CancelReason::kShutdown, run->timeout))) {
        log->info("run {}: cancelled by the shutdown", run->record.run_id);
      }
    }
    while (!run_finished_.wait_for(lock, kShutdownWarnEvery, [&] { return running_.empty(); })) {
      std::string ids;
      for (const auto& run : running_) ids += (ids.empty() ? "" : ", ") + run->record.run_id;
      log->warn("shutting down: still waiting for runs that do not stop: {}", ids);
    }
    if (!queued_.empty()) log->info("shutting down: {} queued runs stay queued for the next start", queued_.size());
  }
  for (auto& worker : workers_) worker.join();
  {
    std::lock_guard lock(mutex_);
    stop_timer_ = true;
  }
  timer_wake_.notify_all();
  timer_.join();
  shut_down_ = true;
  log->info("executor stopped");
}

std::chrono::seconds Executor::TimeoutOf(const RunSubmission& submission) const {
  if (!submission.timeout || *submission.timeout <= std::chrono::seconds(0)) return options_.default_timeout;
  return std::min(*submission.timeout, kMaxTimeout);
}

// ---- submitting -------------------------------------------------------------------------------

size_t Executor::FreeSlots() const {
  std::lock_guard lock(mutex_);
  const size_t idle = IdleWorkersLocked();
  const size_t waiting = queued_.size() + reserved_;
  return idle > waiting ? idle - waiting : 0;
}

size_t Executor::IdleWorkersLocked() const {
  return shutting_down_ ? 0 : options_.max_concurrent - std::min(busy_workers_, options_.max_concurrent);
}

void Executor::InsertQueuedLocked(std::shared_ptr<ActiveRun> run) {
  auto at = std::upper_bound(queued_.begin(), queued_.end(), run,
                             [](const auto& a, const auto& b) { return a->StartsBefore(*b); });
  queued_.insert(at, std::move(run));
}

std::shared_ptr<Executor::ActiveRun> Executor::FindLocked(const std::string& run_id) const {
  for (const auto* runs : {&running_, &queued_}) {
    for (const auto& run : *runs) {
      if (run->record.run_id == run_id) return run;
    }
  }
  return nullptr;
}

void Executor::RefreshAverage(const std::string& strategy_code) {
  auto average = store_.AverageDurationSeconds(strategy_code);
  if (!average.ok()) {
    Logger("exec")->warn("cannot read the average duration of {}: {}", strategy_code, average.status().message());
    return;
  }
  std::lock_guard lock(mutex_);
  if (*average) {
    average_seconds_[strategy_code] = **average;
  } else {
    average_seconds_.erase(strategy_code);
  }
}

Result<SubmitResult> Executor::Submit(RunSubmission submission) {
  if (!submission.plugin) return InvalidArgument("run has no strategy", "strategy_code");
  if (submission.request.run_id.empty()) return InvalidArgument("run has no id", "run_id");
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return Status(StatusCode::kFailedPrecondition, "server is shutting down");
    // Would this run leave more than queue_capacity runs waiting for a worker?
    const size_t ahead = queued_.size() + reserved_;
    const size_t idle = IdleWorkersLocked();
    if (ahead + 1 > idle && ahead + 1 - idle > options_.queue_capacity) {
      return Status(StatusCode::kResourceExhausted,
                    "execution queue is full (" + std::to_string(options_.queue_capacity) + " runs)");
    }
    ++reserved_;  // holds a place while the run is stored, without holding the lock
  }

  const Plugin& plugin = *submission.plugin;
  RunRecord record = NewRunRecord(plugin, submission.request, RunState::kQueued, submission.source);
  record.created_at = options_.clock->Now();
  record.priority = std::string(PriorityName(submission.priority));
  if (submission.timeout) record.timeout_seconds = submission.timeout->count();
  if (Status created = store_.CreateRun(record); !created.ok()) {
    std::lock_guard lock(mutex_);
    --reserved_;
    return created;
  }
  RefreshAverage(record.strategy_code);
  // Told before a worker can see the run, so the listener hears "queued" before "running".
  listener_.OnRunChanged(record);

  const std::chrono::seconds timeout = TimeoutOf(submission);
  const std::string code = record.strategy_code;
  const Priority priority = submission.priority;
  const size_t ticker_count = submission.request.tickers.size();
  SubmitResult result{.run_id = record.run_id, .status = RunState::kQueued, .position_in_queue = 1};
  {
    std::lock_guard lock(mutex_);
    --reserved_;
    auto run = std::make_shared<ActiveRun>(std::move(submission), std::move(record), timeout, next_order_++);
    InsertQueuedLocked(run);
    // A Shutdown that began meanwhile leaves it queued, like every other queued run.
    const auto index = static_cast<size_t>(std::find(queued_.begin(), queued_.end(), run) - queued_.begin());
    if (index < IdleWorkersLocked()) {  // an idle worker is about to take it
      result.status = RunState::kRunning;
      result.position_in_queue = 0;
      result.estimated_start_time = options_.clock->Now();
    } else {
      result.position_in_queue = static_cast<int64_t>(index - IdleWorkersLocked() + 1);
      for (const QueueEntry& entry : QueueLocked()) {
        if (entry.run.run_id == result.run_id) result.estimated_start_time = entry.estimated_start_time;
      }
    }
  }
  work_.notify_one();
  Logger("exec")->info("run {} ({}, {} priority, {} tickers) queued at position {}", result.run_id, code,
                       PriorityName(priority), ticker_count, result.position_in_queue);
  return result;
}

Status Executor::Requeue(RunSubmission submission, const RunRecord& stored) {
  if (!submission.plugin) return InvalidArgument("run has no strategy", "strategy_code");
  if (submission.request.run_id != stored.run_id) {
    return InvalidArgument("run id " + submission.request.run_id + " does not match the stored run " + stored.run_id,
                           "run_id");
  }
  if (stored.status != RunState::kQueued) {
    return {StatusCode::kFailedPrecondition,
            "run " + stored.run_id + " is not queued (" + std::string(RunStateName(stored.status)) + ")"};
  }
  RunRecord record = stored;
  record.plugin_version = submission.plugin->version();
  record.plugin_sha256 = submission.plugin->sha256();
  {
    std::lock_guard lock(mutex_);
    if (shutting_down_) return {StatusCode::kFailedPrecondition, "server is shutting down"};
    if (FindLocked(stored.run_id)) {
      return {StatusCode::kAlreadyExists, "run " + stored.run_id + " is already queued", "run_id"};
    }
  }
  RefreshAverage(record.strategy_code);
  listener_.OnRunChanged(record);
  const std::chrono::seconds timeout = TimeoutOf(submission);
  {
    std::lock_guard lock(mutex_);
    if (FindLocked(stored.run_id)) {  // a concurrent Requeue of the same run won
      return {StatusCode::kAlreadyExists, "run " + stored.run_id + " is already queued", "run_id"};
    }
    InsertQueuedLocked(std::make_shared<ActiveRun>(std::move(submission), std::move(record), timeout, next_order_++));
  }
  work_.notify_one();
  Logger("exec")->info("run {} queued again after a restart", stored.run_id);
  return Status::Ok();
}

// ---- cancelling -------------------------------------------------------------------------------

Status Executor::Cancel(const std::string& run_id, CancelReason reason) {
  if (reason == CancelReason::kNone) return InvalidArgument("a cancellation needs a reason", "reason");
  std::shared_ptr<ActiveRun> queued;
  RunRecord record;
  {
    std::lock_guard lock(mutex_);
    if (auto it = std::find_if(queued_.begin(), queued_.end(), [&](const auto& r) { return r->record.run_id == run_id; });
        it != queued_.end()) {
      queued = *it;
      record = queued->record;
      queued_.erase(it);
    } else if (auto running = FindLocked(run_id)) {
      if (IsFinished(running->record.status)) {
        return {StatusCode::kFailedPrecondition,
                "run " + run_id + " already finished (" + std::string(RunStateName(running->record.status)) + ")"};
      }
      if (running->cancel.Cancel(reason, CancelMessage(reason, running->timeout))) {
        Logger("exec")->info("run {}: cancelling ({})", run_id, CancelReasonName(reason));
      }
      return Status::Ok();
    }
  }

  if (queued) {
    const std::string message =
        reason == CancelReason::kUser ? "cancelled by user request before it started" : CancelMessage(reason, queued->timeout);
    Status ended = EndStoredRun(store_, record, RunState::kCancelled, std::string(CancelReasonName(reason)), message, &live_);
    if (!ended.ok()) {
      {
        std::lock_guard lock(mutex_);
        InsertQueuedLocked(std::move(queued));
      }
      work_.notify_one();
      Logger("exec")->error("run {}: cannot record its cancellation, it stays queued: {}", run_id, ended.message());
      return {ended.code(), "cannot record the cancellation of run " + run_id + ": " + ended.message()};
    }
    Logger("exec")->info("run {}: cancelled while queued ({})", run_id, CancelReasonName(reason));
    listener_.OnRunChanged(record);
    return Status::Ok();
  }

  auto stored = store_.GetRun(run_id);
  if (!stored.ok()) return stored.status();
  if (!*stored) return NotFound("unknown run '" + run_id + "'", "run_id");
  const RunState state = (*stored)->status;
  if (IsFinished(state)) {
    return {StatusCode::kFailedPrecondition,
            "run " + run_id + " already finished (" + std::string(RunStateName(state)) + ")"};
  }
  return {StatusCode::kFailedPrecondition,
          "run " + run_id + " is not active in this server (" + std::string(RunStateName(state)) + ")"};
}

// ---- running ----------------------------------------------------------------------------------

void Executor::WorkerLoop() {
  for (;;) {
    std::shared_ptr<ActiveRun> run;
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [&] { return shutting_down_ || !queued_.empty(); });
      if (shutting_down_) return;
      run = queued_.front();
      queued_.erase(queued_.begin());
      run->record.status = RunState::kStarting;
      run->started = options_.clock->Steady();
      run->deadline = deadlines_.emplace(SteadyClock::now() + run->timeout, run);
      running_.push_back(run);
      ++busy_workers_;
    }
    timer_wake_.notify_one();
    Execute(run);
  }
}

void Executor::Execute(const std::shared_ptr<ActiveRun>& run) {
  auto log = Logger("exec");
  const std::string& run_id = run->submission.request.run_id;
  RunRecord initial;
  {
    std::lock_guard lock(mutex_);
    initial = run->record;
  }
  log->info("run {} ({}) starting, time limit {} s", run_id, initial.strategy_code, run->timeout.count());
  // Durable before any plugin code runs: a run whose plugin crashes the process is found
  // `starting` by recovery and ends `interrupted`; it is never queued (and crashed) again.
  if (Status marked = store_.UpdateRun(initial); !marked.ok()) {
    log->warn("run {}: cannot record that it starts: {}", run_id, marked.message());
  }
  try {
    // Durable first: the snapshot and the live streams see an event once the log keeps it.
    Tracker tracker(*this, run);
    FanOutSink committed{&tracker, &live_};
    RunLogSink run_log(store_, initial, {.flush_interval = kLiveCommitInterval}, &committed);
    const RunOutcome outcome =
        runner_.Run(*run->submission.plugin, run->submission.request, run_log, run->cancel);
    if (Status logged = run_log.Flush(); !logged.ok()) {
      log->error("run {}: its log is not yet durable (still retrying): {}", run_id, logged.message());
    }
    log->info("run {} {}{}{}: {} results, {} passed", run_id, RunStateName(outcome.state),
              outcome.error_code.empty() ? "" : " ", outcome.error_code, outcome.result_count, outcome.passed_count);
  } catch (const std::exception& e) {
    // Only the sink's thread creation can throw here; the run still ends once, below.
    log->error("run {}: cannot run: {}", run_id, e.what());
  }

  RunRecord final_record;
  {
    std::lock_guard lock(mutex_);
    final_record = run->record;
  }
  if (!IsFinished(final_record.status)) {
    // The terminal event never got through (see the catch above): end the run here.
    Status ended = EndStoredRun(store_, final_record, RunState::kError, "internal",
                                "the host could not run this run", &live_);
    if (!ended.ok()) log->error("run {}: cannot record its end: {}", run_id, ended.message());
    final_record.status = RunState::kError;
  }
  if (final_record.status == RunState::kCompleted) RefreshAverage(final_record.strategy_code);
  {
    std::lock_guard lock(mutex_);
    if (run->deadline) {
      deadlines_.erase(*run->deadline);
      run->deadline.reset();
    }
    running_.erase(std::find(running_.begin(), running_.end(), run));
    --busy_workers_;
  }
  run_finished_.notify_all();
  listener_.OnRunChanged(final_record);
}

void Executor::TimerLoop() {
  std::unique_lock lock(mutex_);
  while (!stop_timer_) {
    if (deadlines_.empty()) {
      timer_wake_.wait(lock);
      continue;
    }
    if (const SteadyClock::time_point next = deadlines_.begin()->first; SteadyClock::now() < next) {
      timer_wake_.wait_until(lock, next);  // a copy: the entry may go while we wait
      continue;
    }
    std::vector<std::shared_ptr<ActiveRun>> due;
    const auto now = SteadyClock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      due.push_back(deadlines_.begin()->second);
      due.back()->deadline.reset();
      deadlines_.erase(deadlines_.begin());
    }
    lock.unlock();
    for (const auto& run : due) {
      if (run->cancel.Cancel(CancelReason::kTimeout, TimeLimitMessage(run->timeout))) {
        Logger("exec")->warn("run {}: exceeded its time limit of {} s; cancelling", run->submission.request.run_id,
                             run->timeout.count());
      }
    }
    due.clear();  // drop the references before taking the lock again
    lock.lock();
  }
}

// ---- looking ----------------------------------------------------------------------------------

std::vector<QueueEntry> Executor::QueueLocked() const {
  using Duration = SystemClock::duration;
  const auto now = options_.clock->Now();
  const auto steady_now = options_.clock->Steady();
  auto expected = [&](const std::string& code) -> std::optional<Duration> {
    auto it = average_seconds_.find(code);
    if (it == average_seconds_.end()) return std::nullopt;
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(it->second));
  };

  std::vector<QueueEntry> entries;
  entries.reserve(running_.size() + queued_.size());
  // When each slot frees up; nullopt: unknown.
  std::vector<std::optional<SystemClock::time_point>> slots;
  for (const auto& run : running_) {
    entries.push_back({run->record, run->submission.priority, 0, std::nullopt});
    if (auto duration = expected(run->record.strategy_code)) {
      const auto elapsed = std::chrono::duration_cast<Duration>(steady_now - run->started);
      slots.emplace_back(now + std::max(Duration::zero(), *duration - elapsed));
    } else {
      slots.emplace_back(std::nullopt);
    }
  }
  while (slots.size() < options_.max_concurrent) slots.emplace_back(now);

  std::vector<std::optional<EstimateDuration>> durations;
  durations.reserve(queued_.size());
  for (const auto& run : queued_) durations.push_back(expected(run->record.strategy_code));
  const auto starts = EstimateStarts(std::move(slots), durations);
  int64_t position = 0;
  for (size_t i = 0; i < queued_.size(); ++i) {
    const auto& run = queued_[i];
    entries.push_back({run->record, run->submission.priority, ++position,
                       shutting_down_ ? std::nullopt : starts[i]});
  }
  return entries;
}

std::vector<QueueEntry> Executor::Queue() const {
  std::lock_guard lock(mutex_);
  return QueueLocked();
}

std::optional<QueueEntry> Executor::Active(const std::string& run_id) const {
  std::lock_guard lock(mutex_);
  if (!FindLocked(run_id)) return std::nullopt;
  for (QueueEntry& entry : QueueLocked()) {
    if (entry.run.run_id == run_id) return std::move(entry);
  }
  return std::nullopt;
}

}  // namespace stratrun
