// Executor with real plugins and a real SQLite run log: runs complete with their whole
// event stream stored and streamed, the queue keeps priority and FIFO order and its
// capacity, cancellation (queued, running, timeout, shutdown) ends every run exactly once
// with the right reason, and the listener follows each run's lifecycle.
#include "exec/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <thread>

#include "data/synthetic_bars.h"
#include "plugins/plugin_loader.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

using std::chrono::seconds;
using testing::kGoodPluginDir;
using testing::RecordingSink;
using testing::TempDir;

constexpr auto kGenerous = seconds(30);

/// Records every OnRunChanged; thread-safe.
class RecordingListener : public RunListener {
 public:
  void OnRunChanged(const RunRecord& run) noexcept override {
    std::lock_guard lock(mutex_);
    changes_.push_back(run);
  }
  std::vector<RunRecord> changes() const {
    std::lock_guard lock(mutex_);
    return changes_;
  }
  /// The states the listener was told about for one run, in order.
  std::vector<RunState> StatesOf(const std::string& run_id) const {
    std::vector<RunState> states;
    for (const RunRecord& run : changes()) {
      if (run.run_id == run_id) states.push_back(run.status);
    }
    return states;
  }
  /// Run ids in the order they were told to be running.
  std::vector<std::string> StartOrder() const {
    std::vector<std::string> ids;
    for (const RunRecord& run : changes()) {
      if (run.status == RunState::kRunning) ids.push_back(run.run_id);
    }
    return ids;
  }
  bool Finished(const std::string& run_id) const {
    const auto states = StatesOf(run_id);
    return !states.empty() && IsFinished(states.back());
  }

 private:
  mutable std::mutex mutex_;
  std::vector<RunRecord> changes_;
};

/// Polls `done` until it holds or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = kGenerous) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

class ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = RunStore::Open(dir_.path() / "runs.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }

  std::shared_ptr<const Plugin> Load(const std::string& name) {
    auto plugin = LoadPlugin(kGoodPluginDir / (name + ".so"), {.cache_dir = dir_.path() / "cache"});
    EXPECT_TRUE(plugin.ok()) << plugin.status().message();
    return plugin.ok() ? *plugin : nullptr;
  }

  Executor& Start(ExecutorOptions options = {}) {
    executor_ = std::make_unique<Executor>(options, *store_, data_, live_, listener_);
    return *executor_;
  }

  RunSubmission Submission(const std::string& plugin_name, const std::string& run_id,
                           std::vector<std::pair<std::string, std::string>> sets, std::vector<std::string> tickers,
                           Priority priority = Priority::kNormal) {
    auto plugin = Load(plugin_name);
    auto parameters = plugin->schema().ValidateText(sets);
    EXPECT_TRUE(parameters.ok()) << parameters.status().message();
    return {.plugin = plugin,
            .request = {.run_id = run_id, .parameters = *parameters, .tickers = std::move(tickers), .max_workers = 2},
            .priority = priority};
  }

  /// The paced plugin emitting `events` events at `rate` per second.
  RunSubmission Paced(const std::string& run_id, int events, double rate, Priority priority = Priority::kNormal) {
    return Submission("paced", run_id, {{"events", std::to_string(events)}, {"rate_per_second", std::to_string(rate)}},
                      {"PACE"}, priority);
  }
  /// A paced run that goes on until it is cancelled (a day at 10 events/s).
  RunSubmission Endless(const std::string& run_id) { return Paced(run_id, 1000000, 10); }

  SubmitResult MustSubmit(RunSubmission submission) {
    auto result = executor_->Submit(std::move(submission));
    EXPECT_TRUE(result.ok()) << result.status().message();
    return result.ok() ? *result : SubmitResult{};
  }

  bool WaitRunning(const std::string& run_id) {
    return WaitUntil([&] {
      const auto states = listener_.StatesOf(run_id);
      return std::find(states.begin(), states.end(), RunState::kRunning) != states.end();
    });
  }
  /// Waits until the listener heard that the run finished; returns the stored run.
  RunRecord WaitFinished(const std::string& run_id) {
    EXPECT_TRUE(WaitUntil([&] { return listener_.Finished(run_id); })) << run_id << " did not finish";
    auto run = store_->GetRun(run_id);
    EXPECT_TRUE(run.ok() && *run) << run_id;
    return run.ok() && *run ? **run : RunRecord{};
  }

  std::vector<StoredEvent> StoredEvents(const std::string& run_id) {
    auto events = store_->Events(run_id);
    EXPECT_TRUE(events.ok()) << events.status().message();
    return events.ok() ? *events : std::vector<StoredEvent>{};
  }
  std::vector<ProgressEvent> LiveEvents(const std::string& run_id) {
    std::vector<ProgressEvent> events;
    for (const ProgressEvent& e : live_.events()) {
      if (e.run_id == run_id) events.push_back(e);
    }
    return events;
  }

  /// The stored stream of a run that ran: `started` first, seq 1..n, one terminal event last.
  void ExpectStoredStreamEndsWith(const std::string& run_id, EventType terminal) {
    const auto events = StoredEvents(run_id);
    ASSERT_GE(events.size(), 2u) << run_id;
    EXPECT_EQ(events.front().type, EventType::kStarted);
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].seq, i + 1) << run_id << " event " << i;
      EXPECT_EQ(IsTerminal(events[i].type), i + 1 == events.size()) << run_id << " event " << i;
    }
    EXPECT_EQ(events.back().type, terminal) << events.back().json;
  }

  TempDir dir_;
  SyntheticBarSource data_{{.tickers = {"AAPL", "MSFT", "NVDA"}}};
  RecordingSink live_;
  RecordingListener listener_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<Executor> executor_;  // last: stopped before everything it uses
};

TEST_F(ExecutorTest, ASubmittedRunCompletesWithEveryEventStoredAndStreamedLive) {
  Start();
  const SubmitResult submitted = MustSubmit(Submission("c_minimal", "run-1", {{"min_close", "0"}}, {"AAPL", "MSFT"}));
  EXPECT_EQ(submitted.run_id, "run-1");
  EXPECT_EQ(submitted.position_in_queue, 0);  // an idle worker takes it at once
  EXPECT_EQ(submitted.status, RunState::kRunning);

  const RunRecord run = WaitFinished("run-1");
  EXPECT_EQ(run.status, RunState::kCompleted) << run.error_message;
  EXPECT_EQ(run.strategy_code, "c_minimal");
  EXPECT_EQ(run.source, "api");
  EXPECT_EQ(run.priority, "normal");
  EXPECT_EQ(run.total_items, 2);
  EXPECT_EQ(run.result_count, 2);
  EXPECT_FALSE(run.plugin_sha256.empty());
  EXPECT_NE(run.parameters_json.find("\"min_close\":0"), std::string::npos) << run.parameters_json;
  EXPECT_TRUE(run.started_at && run.finished_at);
  ExpectStoredStreamEndsWith("run-1", EventType::kCompleted);

  const auto live = LiveEvents("run-1");
  ASSERT_EQ(live.size(), StoredEvents("run-1").size());
  EXPECT_EQ(live.front().type, EventType::kStarted);
  EXPECT_EQ(live.back().type, EventType::kCompleted);
  EXPECT_EQ(std::count_if(live.begin(), live.end(), [](const auto& e) { return IsTerminal(e.type); }), 1);
  EXPECT_EQ(live_.results().size(), 2u);

  EXPECT_EQ(listener_.StatesOf("run-1"),
            (std::vector<RunState>{RunState::kQueued, RunState::kRunning, RunState::kCompleted}));
  EXPECT_EQ(listener_.changes().back().result_count, 2);
  EXPECT_TRUE(executor_->Queue().empty());
  EXPECT_FALSE(executor_->Active("run-1"));
}

TEST_F(ExecutorTest, QueuedRunsStartByPriorityThenInArrivalOrder) {
  Start({.max_concurrent = 1});
  MustSubmit(Endless("blocker"));
  ASSERT_TRUE(WaitRunning("blocker"));

  const SubmitResult n1 = MustSubmit(Paced("n1", 3, 1000));
  const SubmitResult n2 = MustSubmit(Paced("n2", 3, 1000));
  const SubmitResult l1 = MustSubmit(Paced("l1", 3, 1000, Priority::kLow));
  const SubmitResult h1 = MustSubmit(Paced("h1", 3, 1000, Priority::kHigh));
  EXPECT_EQ(n1.status, RunState::kQueued);
  EXPECT_EQ(n1.position_in_queue, 1);
  EXPECT_EQ(n2.position_in_queue, 2);
  EXPECT_EQ(l1.position_in_queue, 3);
  EXPECT_EQ(h1.position_in_queue, 1);  // ahead of the earlier normal runs
  EXPECT_FALSE(n1.estimated_start_time);  // no completed paced run yet: no estimate

  const auto queue = executor_->Queue();
  std::vector<std::string> ids;
  std::vector<int64_t> positions;
  for (const QueueEntry& entry : queue) {
    ids.push_back(entry.run.run_id);
    positions.push_back(entry.position);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"blocker", "h1", "n1", "n2", "l1"}));
  EXPECT_EQ(positions, (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(queue[0].run.status, RunState::kRunning);
  EXPECT_EQ(queue[1].priority, Priority::kHigh);
  EXPECT_EQ(queue[1].run.status, RunState::kQueued);
  ASSERT_TRUE(executor_->Active("n2"));
  EXPECT_EQ(executor_->Active("n2")->position, 3);

  ASSERT_TRUE(executor_->Cancel("blocker").ok());
  for (const char* id : {"h1", "n1", "n2", "l1"}) EXPECT_EQ(WaitFinished(id).status, RunState::kCompleted) << id;
  EXPECT_EQ(listener_.StartOrder(), (std::vector<std::string>{"blocker", "h1", "n1", "n2", "l1"}));
}

TEST_F(ExecutorTest, AFullQueueRefusesRunsWithoutStoringThem) {
  Start({.max_concurrent = 1, .queue_capacity = 2});
  MustSubmit(Endless("blocker"));
  ASSERT_TRUE(WaitRunning("blocker"));
  MustSubmit(Paced("q1", 1, 1000));
  MustSubmit(Paced("q2", 1, 1000));

  auto refused = executor_->Submit(Paced("q3", 1, 1000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(), "execution queue is full (2 runs)");
  auto stored = store_->GetRun("q3");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(*stored);
  EXPECT_EQ(listener_.StatesOf("q3").size(), 0u);

  // A place frees up once a queued run leaves.
  ASSERT_TRUE(executor_->Cancel("q1").ok());
  EXPECT_TRUE(executor_->Submit(Paced("q3", 1, 1000)).ok());
}

TEST_F(ExecutorTest, CancellingAQueuedRunRemovesItAndStoresOneCancelledEvent) {
  Start({.max_concurrent = 1});
  MustSubmit(Endless("blocker"));
  ASSERT_TRUE(WaitRunning("blocker"));
  MustSubmit(Paced("waiting", 3, 1000));

  ASSERT_TRUE(executor_->Cancel("waiting").ok());
  for (const QueueEntry& entry : executor_->Queue()) EXPECT_NE(entry.run.run_id, "waiting");
  EXPECT_FALSE(executor_->Active("waiting"));

  auto run = store_->GetRun("waiting");
  ASSERT_TRUE(run.ok() && *run);
  EXPECT_EQ((*run)->status, RunState::kCancelled);
  EXPECT_EQ((*run)->error_code, "user");
  EXPECT_TRUE((*run)->finished_at);
  EXPECT_FALSE((*run)->started_at);
  const auto events = StoredEvents("waiting");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].seq, 1u);
  EXPECT_EQ(events[0].type, EventType::kCancelled);
  EXPECT_NE(events[0].json.find("\"error_code\":\"user\""), std::string::npos) << events[0].json;

  const auto live = LiveEvents("waiting");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].type, EventType::kCancelled);
  EXPECT_EQ(listener_.StatesOf("waiting"), (std::vector<RunState>{RunState::kQueued, RunState::kCancelled}));

  const Status again = executor_->Cancel("waiting");
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.message(), "run waiting already finished (cancelled)");
}

TEST_F(ExecutorTest, CancellingARunningRunEndsItCancelledByTheUser) {
  Start();
  MustSubmit(Paced("slow", 100000, 5));
  ASSERT_TRUE(WaitRunning("slow"));
  ASSERT_TRUE(WaitUntil([&] { return LiveEvents("slow").size() >= 2; }));

  ASSERT_TRUE(executor_->Cancel("slow").ok());
  const RunRecord run = WaitFinished("slow");
  EXPECT_EQ(run.status, RunState::kCancelled);
  EXPECT_EQ(run.error_code, "user");
  EXPECT_EQ(run.error_message, "cancelled by user request");
  ExpectStoredStreamEndsWith("slow", EventType::kCancelled);
  EXPECT_NE(StoredEvents("slow").back().json.find("\"error_code\":\"user\""), std::string::npos);
  EXPECT_EQ(LiveEvents("slow").back().type, EventType::kCancelled);
  EXPECT_EQ(listener_.StatesOf("slow"),
            (std::vector<RunState>{RunState::kQueued, RunState::kRunning, RunState::kCancelled}));
}

TEST_F(ExecutorTest, ARunOverItsTimeLimitEndsWithATimeoutError) {
  Start();
  RunSubmission submission = Paced("late", 100000, 10);
  submission.timeout = seconds(1);
  MustSubmit(std::move(submission));

  const RunRecord run = WaitFinished("late");
  EXPECT_EQ(run.status, RunState::kError);
  EXPECT_EQ(run.error_code, "timeout");
  EXPECT_EQ(run.error_message, "run exceeded its time limit of 1 s");
  ExpectStoredStreamEndsWith("late", EventType::kError);
  const ProgressEvent last = LiveEvents("late").back();
  EXPECT_EQ(last.type, EventType::kError);
  EXPECT_EQ(last.error_code, "timeout");
}

TEST_F(ExecutorTest, CancellingAFinishedOrUnknownRunIsRefused) {
  Start();
  MustSubmit(Paced("done", 2, 1000));
  EXPECT_EQ(WaitFinished("done").status, RunState::kCompleted);

  const Status finished = executor_->Cancel("done");
  EXPECT_EQ(finished.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(finished.message(), "run done already finished (completed)");

  const Status unknown = executor_->Cancel("nope");
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_EQ(unknown.message(), "unknown run 'nope'");
}

TEST_F(ExecutorTest, ShutdownCancelsRunningRunsAfterTheGraceAndLeavesQueuedOnesQueued) {
  Executor& executor = Start({.max_concurrent = 1});
  MustSubmit(Paced("running", 100000, 5));
  ASSERT_TRUE(WaitRunning("running"));
  MustSubmit(Paced("queued", 3, 1000));

  executor.Shutdown(std::chrono::milliseconds(300));

  auto running = store_->GetRun("running");
  ASSERT_TRUE(running.ok() && *running);
  EXPECT_EQ((*running)->status, RunState::kCancelled);
  EXPECT_EQ((*running)->error_code, "shutdown");
  EXPECT_EQ((*running)->error_message, "server shutting down");
  ExpectStoredStreamEndsWith("running", EventType::kCancelled);
  EXPECT_EQ(listener_.StatesOf("running"),
            (std::vector<RunState>{RunState::kQueued, RunState::kRunning, RunState::kCancelled}));

  auto queued = store_->GetRun("queued");
  ASSERT_TRUE(queued.ok() && *queued);
  EXPECT_EQ((*queued)->status, RunState::kQueued);
  EXPECT_TRUE(StoredEvents("queued").empty());
  EXPECT_EQ(listener_.StatesOf("queued"), (std::vector<RunState>{RunState::kQueued}));

  auto refused = executor.Submit(Paced("late", 1, 1000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().message(), "server is shutting down");
  executor.Shutdown(std::chrono::milliseconds(0));  // a second call is harmless
}

TEST_F(ExecutorTest, RunsThatFinishWithinTheGraceAreNotCancelledByShutdown) {
  Executor& executor = Start();
  MustSubmit(Paced("quick", 5, 20));  // about a quarter of a second
  ASSERT_TRUE(WaitRunning("quick"));
  executor.Shutdown(kGenerous);
  auto run = store_->GetRun("quick");
  ASSERT_TRUE(run.ok() && *run);
  EXPECT_EQ((*run)->status, RunState::kCompleted);
}

TEST_F(ExecutorTest, EstimatedStartTimesFollowTheAverageDurationOfEarlierRuns) {
  Start({.max_concurrent = 1});
  MustSubmit(Paced("history", 5, 50));  // gives paced an average duration
  ASSERT_EQ(WaitFinished("history").status, RunState::kCompleted);

  const auto before = std::chrono::system_clock::now();
  MustSubmit(Endless("blocker"));
  ASSERT_TRUE(WaitRunning("blocker"));
  const SubmitResult first = MustSubmit(Paced("first", 1, 1000));
  const SubmitResult second = MustSubmit(Paced("second", 1, 1000));
  MustSubmit(Submission("c_minimal", "no-history", {}, {"AAPL"}));
  const SubmitResult after_unknown = MustSubmit(Paced("after-unknown", 1, 1000));

  ASSERT_TRUE(first.estimated_start_time);
  ASSERT_TRUE(second.estimated_start_time);
  EXPECT_GE(*first.estimated_start_time, before);
  EXPECT_GT(*second.estimated_start_time, *first.estimated_start_time);  // one average later
  EXPECT_FALSE(after_unknown.estimated_start_time);  // waits behind a run of unknown length

  const auto queue = executor_->Queue();
  ASSERT_EQ(queue.size(), 5u);
  EXPECT_FALSE(queue[0].estimated_start_time);  // running
  EXPECT_TRUE(queue[1].estimated_start_time);
  EXPECT_TRUE(queue[3].estimated_start_time);   // no-history: starts after a known run
  EXPECT_FALSE(queue[4].estimated_start_time);
}

TEST_F(ExecutorTest, ASecondCancelOfARunningRunKeepsTheFirstReason) {
  Start();
  MustSubmit(Paced("twice", 100000, 5));
  ASSERT_TRUE(WaitRunning("twice"));
  EXPECT_TRUE(executor_->Cancel("twice", CancelReason::kUser).ok());
  EXPECT_TRUE(executor_->Cancel("twice", CancelReason::kShutdown).ok());
  const RunRecord run = WaitFinished("twice");
  EXPECT_EQ(run.status, RunState::kCancelled);
  EXPECT_EQ(run.error_code, "user");
  const auto live = LiveEvents("twice");
  EXPECT_EQ(std::count_if(live.begin(), live.end(), [](const auto& e) { return IsTerminal(e.type); }), 1);
}

TEST(ExecutorPriorityTest, NamesRoundTrip) {
  for (Priority p : {Priority::kHigh, Priority::kNormal, Priority::kLow}) EXPECT_EQ(ParsePriority(PriorityName(p)), p);
  EXPECT_FALSE(ParsePriority("urgent"));
  EXPECT_EQ(PriorityName(Priority::kHigh), "high");
}

TEST(ExecutorCancellationTest, TheFirstCancelWinsAndFiresTheToken) {
  Cancellation cancel;
  EXPECT_FALSE(cancel.cancelled());
  EXPECT_FALSE(cancel.token().stop_requested());
  EXPECT_FALSE(cancel.Cancel(CancelReason::kNone, "no"));
  EXPECT_TRUE(cancel.Cancel(CancelReason::kTimeout, "too slow"));
  EXPECT_FALSE(cancel.Cancel(CancelReason::kUser, "stop"));
  EXPECT_TRUE(cancel.cancelled());
  EXPECT_TRUE(cancel.token().stop_requested());
  EXPECT_EQ(cancel.reason(), CancelReason::kTimeout);
  EXPECT_EQ(cancel.message(), "too slow");
  EXPECT_EQ(CancelReasonName(cancel.reason()), "timeout");
}

}  // namespace
}  // namespace stratrun
