// RecoverRuns on a run log left behind by a stopped server: runs it was running end
// error/interrupted after their last event, queued runs are queued again and run (with
// their own timeout), queued runs that cannot run any more end with the reason, and runs
// whose owner process still lives are left alone.
#include "exec/recovery.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "common/process_owner.h"
#include "data/synthetic_bars.h"
#include "plugins/plugin_registry.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

using testing::kGoodPluginDir;
using testing::RecordingSink;
using testing::TempDir;

class NullListener : public RunListener {
 public:
  void OnRunChanged(const RunRecord&) noexcept override {}
};

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = RunStore::Open(dir_.path() / "runs.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    catalog_ = registry_.Rescan();
    ASSERT_TRUE(catalog_->Find("paced"));
    executor_ = std::make_unique<Executor>(ExecutorOptions{.max_concurrent = 1}, *store_, data_, live_, listener_);
  }

  /// Stores a run as a crashed server would have left it. `owner` "" is a run logged before
  /// owners were stored.
  RunRecord StoreRun(const std::string& run_id, RunState status, std::string source = "api",
                     std::string strategy = "paced", std::string parameters_json = R"({"events":3,"rate_per_second":1000})",
                     std::string owner = DeadOwner()) {
    RunRecord run{.run_id = run_id,
                  .strategy_code = std::move(strategy),
                  .plugin_version = "1.0.0",
                  .parameters_json = std::move(parameters_json),
                  .status = status,
                  .source = std::move(source),
                  .owner = std::move(owner),
                  .created_at = std::chrono::system_clock::now() - std::chrono::minutes(5),
                  .total_items = 3};
    if (status != RunState::kQueued) run.started_at = run.created_at + std::chrono::seconds(1);
    EXPECT_TRUE(store_->CreateRun(run).ok());
    return run;
  }

  /// This process's owner id with another start time: the pid reused by a new process.
  static std::string DeadOwner() {
    const std::string alive = ThisProcessOwner();
    return alive.substr(0, alive.rfind('/') + 1) + "1";
  }

  void StoreEvents(const std::string& run_id, int count) {
    std::vector<ProgressEvent> events;
    for (int i = 1; i <= count; ++i) {
      ProgressEvent e;
      e.seq = static_cast<uint64_t>(i);
      e.type = i == 1 ? EventType::kStarted : EventType::kTickerCompleted;
      e.timestamp = std::chrono::system_clock::now();
      e.run_id = run_id;
      events.push_back(e);
    }
    ASSERT_TRUE(store_->AppendEvents(events).ok());
  }

  RunRecord Stored(const std::string& run_id) {
    auto run = store_->GetRun(run_id);
    EXPECT_TRUE(run.ok() && *run) << run_id;
    return run.ok() && *run ? **run : RunRecord{};
  }
  std::vector<StoredEvent> Events(const std::string& run_id) {
    auto events = store_->Events(run_id);
    EXPECT_TRUE(events.ok());
    return events.ok() ? *events : std::vector<StoredEvent>{};
  }
  RunRecord WaitFinished(const std::string& run_id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    RunRecord run = Stored(run_id);
    while (!IsFinished(run.status) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      run = Stored(run_id);
    }
    return run;
  }

  TempDir dir_;
  PluginRegistry registry_{{.plugin_dirs = {kGoodPluginDir}, .cache_dir = dir_.path() / "cache"}};
  std::shared_ptr<const PluginCatalog> catalog_;
  SyntheticBarSource data_{{.tickers = {"AAPL", "MSFT"}}};
  RecordingSink live_;
  NullListener listener_;
  std::unique_ptr<RunStore> store_;
  std::unique_ptr<Executor> executor_;  // last: stopped first
};

TEST_F(RecoveryTest, ARunLeftRunningEndsInterruptedWithATerminalEventAfterItsOwn) {
  StoreRun("crashed", RunState::kRunning);
  StoreEvents("crashed", 3);

  const RecoveryReport report = RecoverRuns(*store_, *catalog_, data_, *executor_);
  EXPECT_EQ(report.interrupted, (std::vector<std::string>{"crashed"}));
  EXPECT_TRUE(report.requeued.empty());
  EXPECT_TRUE(report.failed.empty());

  const RunRecord run = Stored("crashed");
  EXPECT_EQ(run.status, RunState::kError);
  EXPECT_EQ(run.error_code, "interrupted");
  EXPECT_EQ(run.error_message, "the process running this run stopped before it ended");
  EXPECT_TRUE(run.finished_at);
  const auto events = Events("crashed");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events.back().seq, 4u);
  EXPECT_EQ(events.back().type, EventType::kError);
  EXPECT_NE(events.back().json.find("\"error_code\":\"interrupted\""), std::string::npos) << events.back().json;
}

TEST_F(RecoveryTest, ARunLeftStartingWithoutEventsGetsTerminalEventOne) {
  StoreRun("starting", RunState::kStarting);
  const RecoveryReport report = RecoverRuns(*store_, *catalog_, data_, *executor_);
  EXPECT_EQ(report.interrupted, (std::vector<std::string>{"starting"}));
  const auto events = Events("starting");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].seq, 1u);
  EXPECT_EQ(Stored("starting").status, RunState::kError);
}

TEST_F(RecoveryTest, RunsOfALiveProcessAreLeftAlone) {
  const std::string alive = ThisProcessOwner();
  StoreRun("live-cli", RunState::kRunning, "cli", "paced", "{}", alive);
  StoreRun("live-api", RunState::kRunning, "api", "paced", "{}", alive);
  StoreRun("live-queued", RunState::kQueued, "api", "paced", "{}", alive);
  const RecoveryReport report = RecoverRuns(*store_, *catalog_, data_, *executor_);
  EXPECT_TRUE(report.interrupted.empty());
  EXPECT_TRUE(report.requeued.empty());
  EXPECT_EQ(Stored("live-cli").status, RunState::kRunning);
  EXPECT_EQ(Stored("live-api").status, RunState::kRunning);
  EXPECT_EQ(Stored("live-queued").status, RunState::kQueued);
  EXPECT_TRUE(Events("live-cli").empty());
}

TEST_F(RecoveryTest, ACliRunWhoseProcessDiedEndsInterrupted) {
  StoreRun("killed-cli", RunState::kRunning, "cli");
  std::string other_boot = ThisProcessOwner();
  other_boot[0] = other_boot[0] == '0' ? '1' : '0';
  StoreRun("before-reboot", RunState::kCompleting, "cli", "paced", "{}", other_boot);
  EXPECT_EQ(EndOrphanedRuns(*store_), (std::vector<std::string>{"killed-cli", "before-reboot"}));
  EXPECT_EQ(Stored("killed-cli").error_code, "interrupted");
  EXPECT_EQ(Stored("before-reboot").status, RunState::kError);
  ASSERT_EQ(Events("killed-cli").size(), 1u);
  EXPECT_TRUE(EndOrphanedRuns(*store_).empty()) << "ended once";
}

TEST_F(RecoveryTest, RunsLoggedWithoutAnOwnerFollowTheirSource) {
  StoreRun("old-api", RunState::kRunning, "api", "paced", "{}", "");
  StoreRun("old-cli", RunState::kRunning, "cli", "paced", "{}", "");
  EXPECT_EQ(EndOrphanedRuns(*store_), (std::vector<std::string>{"old-api"}));
  EXPECT_EQ(Stored("old-cli").status, RunState::kRunning);
}

TEST_F(RecoveryTest, ARunClaimedByAnotherProcessIsNotEndedTwice) {
  const RunRecord run = StoreRun("contested", RunState::kRunning);
  RunRecord theirs = run;
  auto claimed = store_->ClaimRun(theirs, "another-recovering-process");
  ASSERT_TRUE(claimed.ok() && *claimed);
  RunRecord stale = run;  // what this process read before the other one claimed it
  claimed = store_->ClaimRun(stale, ThisProcessOwner());
  ASSERT_TRUE(claimed.ok());
  EXPECT_FALSE(*claimed);
  EXPECT_EQ(Stored("contested").owner, "another-recovering-process");
}

TEST_F(RecoveryTest, AQueuedRunKeepsItsOwnTimeout) {
  RunRecord run = StoreRun("slow", RunState::kQueued, "api", "paced", R"({"events":1000000,"rate_per_second":10})");
  run.timeout_seconds = 1;
  ASSERT_TRUE(store_->UpdateRun(run).ok());
  const RecoveryReport report = RecoverRuns(*store_, *catalog_, data_, *executor_);
  EXPECT_EQ(report.requeued, (std::vector<std::string>{"slow"}));
  const RunRecord ended = WaitFinished("slow");
  EXPECT_EQ(ended.status, RunState::kError);
  EXPECT_EQ(ended.error_code, "timeout") << ended.error_message;
}

TEST_F(RecoveryTest, AQueuedRunIsQueuedAgainAndCompletes) {
  StoreRun("waiting", RunState::kQueued);
  const RecoveryReport report = RecoverRuns(*store_, *catalog_, data_, *executor_);
  EXPECT_EQ(report.requeued, (std::vector<std::string>{"waiting"}));

  const RunRecord run = WaitFinished("waiting");
  EXPECT_EQ(run.status, RunState::kCompleted) << run.error_message;
  EXPECT_EQ(run.result_count, 3);
  EXPECT_EQ(run.plugin_sha256, catalog_->Find("paced")->sha256());  // records what actually ran
  const auto events = Events("waiting");
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().type, EventType::kStarted);
  EXPECT_EQ(events.back().type, EventType::kCompleted);
}

TEST_F(RecoveryTest, ARequeuedRunKeepsItsPlaceAheadOfNewerRunsOfItsPriority) {
  auto paced = catalog_->Find("paced");
  auto submission = [&](const std::string& run_id, const std::string& events) {
    auto parameters = paced->schema().ValidateText({{"events", events}, {"rate_per_second", "10"}});
    EXPECT_TRUE(parameters.ok());
    return RunSubmission{.plugin = paced, .request = {.run_id = run_id, .parameters = *parameters, .tickers = {"PACE"}}};
  };
  ASSERT_TRUE(executor_->Submit(submission("blocker", "1000000")).ok());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (executor_->Active("blocker").value_or(QueueEntry{.position = 1}).position != 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(executor_->Submit(submission("new", "1")).ok());
  const RunRecord old = StoreRun("old", RunState::kQueued);  // created five minutes ago

  ASSERT_TRUE(executor_->Requeue(submission("old", "1"), old).ok());
  std::vector<std::string> ids;
  for (const QueueEntry& entry : executor_->Queue()) ids.push_back(entry.run.run_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"blocker", "old", "new"}));

  EXPECT_EQ(executor_->Requeue(submission("old", "1"), old).code(), StatusCode::kAlreadyExists);
  RunRecord finished = old;
  finished.status = RunState::kCompleted;
  EXPECT_EQ(executor_->Requeue(submission("old", "1"), finished).code(), StatusCode::kFailedPrecondition);
}

TEST_F(RecoveryTest, AQueuedRunWhoseStrategyIsGoneEndsWithTheReason) {
  StoreRun("orphan", RunState::kQueued, "api", "vanished", "{}");
  StoreRun("bad-params", RunState::kQueued, "api", "paced", R"({"events":"many"})");

  const RecoveryReport report = RecoverRuns(*store_, *catalog_, data_, *executor_);
  EXPECT_EQ(report.failed, (std::vector<std::string>{"orphan", "bad-params"}));
  EXPECT_TRUE(report.requeued.empty());
  EXPECT_TRUE(executor_->Queue().empty());

  const RunRecord orphan = Stored("orphan");
  EXPECT_EQ(orphan.status, RunState::kError);
  EXPECT_EQ(orphan.error_code, "interrupted");
  EXPECT_NE(orphan.error_message.find("strategy 'vanished' is no longer installed"), std::string::npos)
      << orphan.error_message;
  const auto events = Events("orphan");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kError);

  const RunRecord bad = Stored("bad-params");
  EXPECT_EQ(bad.status, RunState::kError);
  EXPECT_NE(bad.error_message.find("parameters"), std::string::npos) << bad.error_message;
}

}  // namespace
}  // namespace stratrun
