// RunPlugin with real plugins: the event stream's guarantees (started first, seq from 1
// strictly increasing, exactly one terminal event), results, plugin failures and
// cancellation with its reasons.
#include "exec/plugin_run.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "data/synthetic_bars.h"
#include "plugins/plugin_loader.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

using testing::kGoodPluginDir;
using testing::RecordingSink;
using testing::TempDir;

class PluginRunTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Plugin> Load(const std::string& name) {
    auto plugin = LoadPlugin(kGoodPluginDir / (name + ".so"), {.cache_dir = cache_.path()});
    EXPECT_TRUE(plugin.ok()) << plugin.status().message();
    return plugin.ok() ? *plugin : nullptr;
  }
  RunOutcome Run(const Plugin& plugin, std::vector<std::pair<std::string, std::string>> sets,
                 std::vector<std::string> tickers, const Cancellation& cancel = {}, unsigned workers = 2) {
    auto parameters = plugin.schema().ValidateText(sets);
    EXPECT_TRUE(parameters.ok()) << parameters.status().message();
    RunRequest request{.run_id = "run-1", .parameters = *parameters, .tickers = std::move(tickers), .max_workers = workers};
    return RunPlugin(plugin, request, data_, sink_, cancel);
  }

  /// Runs the paced plugin (1000 events/s for 100 s) and cancels it after a few events.
  RunOutcome RunPacedCancelledWith(CancelReason reason, const std::string& message, bool ignore_cancel = false) {
    auto plugin = Load("paced");
    if (!plugin) return {};
    Cancellation cancel;
    std::jthread canceller([&] {
      while (sink_.events().size() < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      cancel.Cancel(reason, message);
    });
    const std::string events = ignore_cancel ? "20" : "100000";
    return Run(*plugin, {{"events", events}, {"rate_per_second", "1000"}, {"ignore_cancel", ignore_cancel ? "true" : "false"}},
               {"PACE"}, cancel);
  }

  /// The guarantees every run's event stream keeps, whatever the plugin does.
  void ExpectWellFormedStream() {
    const auto events = sink_.events();
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events.front().type, EventType::kStarted);
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].seq, i + 1) << "event " << i;
      EXPECT_EQ(events[i].run_id, "run-1");
      EXPECT_EQ(IsTerminal(events[i].type), i + 1 == events.size()) << "event " << i;
    }
  }

  TempDir cache_;
  SyntheticBarSource data_{{.tickers = {"AAPL", "BOOM", "MSFT", "NVDA"}}};
  RecordingSink sink_;
};

TEST_F(PluginRunTest, ACPluginRunsToCompletionWithResultsAndStampedEvents) {
  auto plugin = Load("c_minimal");
  ASSERT_TRUE(plugin);
  RunOutcome outcome = Run(*plugin, {{"min_close", "0"}}, {"AAPL", "MSFT", "ZZZZ"});
  EXPECT_EQ(outcome.state, RunState::kCompleted) << outcome.message;
  ExpectWellFormedStream();

  const auto results = sink_.results();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].ticker, "AAPL");
  EXPECT_TRUE(results[0].passed);
  const BarSeries aapl = SyntheticBarSource::Generate("AAPL", 42, 1260);
  EXPECT_DOUBLE_EQ(results[0].score, aapl.close.back());  // the plugin read the host's bars
  EXPECT_TRUE(std::isnan(results[2].score));             // ZZZZ: no data, reported per ticker
  ASSERT_EQ(results[2].reasons.size(), 1u);
  EXPECT_NE(results[2].reasons[0].find("ZZZZ"), std::string::npos) << results[2].reasons[0];
  EXPECT_EQ(outcome.result_count, 3);
  EXPECT_EQ(outcome.passed_count, 2);

  const auto events = sink_.events();
  const ProgressEvent& last_ticker = events[events.size() - 3];
  EXPECT_EQ(last_ticker.type, EventType::kTickerCompleted);
  EXPECT_EQ(last_ticker.current_item, "ZZZZ");
  EXPECT_EQ(last_ticker.completed_items, 3);
  // Every ticker is done, but the run is not yet completed: below 100 % until it is.
  EXPECT_DOUBLE_EQ(last_ticker.progress_percent.value_or(-1), 99.9);
  EXPECT_DOUBLE_EQ(events.back().progress_percent.value_or(-1), 100.0);
  EXPECT_EQ(last_ticker.passed_count, 2);
  EXPECT_EQ(events.back().type, EventType::kCompleted);
}

TEST_F(PluginRunTest, AnExceptionInExecuteEndsTheRunWithAnErrorEventCarryingItsMessage) {
  auto plugin = Load("run_throws");
  ASSERT_TRUE(plugin);
  RunOutcome outcome = Run(*plugin, {}, {"AAPL"});
  EXPECT_EQ(outcome.state, RunState::kError);
  EXPECT_EQ(outcome.error_code, "plugin_error");
  ExpectWellFormedStream();
  const ProgressEvent last = sink_.events().back();
  EXPECT_EQ(last.type, EventType::kError);
  EXPECT_EQ(last.error_code, "plugin_error");
  EXPECT_EQ(last.message, "division by zero in scoring");
}

TEST_F(PluginRunTest, AnExceptionInEvaluateFailsOnlyThatTicker) {
  auto plugin = Load("evaluate_throws");
  ASSERT_TRUE(plugin);
  RunOutcome outcome = Run(*plugin, {}, {"AAPL", "BOOM", "MSFT"});
  EXPECT_EQ(outcome.state, RunState::kCompleted) << outcome.message;
  ExpectWellFormedStream();
  const auto results = sink_.results();
  ASSERT_EQ(results.size(), 3u);
  int passed = 0;
  for (const auto& row : results) {
    if (row.ticker == "BOOM") {
      EXPECT_FALSE(row.passed);
      ASSERT_EQ(row.reasons.size(), 1u);
      EXPECT_EQ(row.reasons[0], "evaluation failed: bad bar at index 3");
    } else {
      passed += row.passed ? 1 : 0;
    }
  }
  EXPECT_EQ(passed, 2);
}

TEST_F(PluginRunTest, CancellingStopsTheRunWhichEndsCancelledWithTheReasonAndMessage) {
  RunOutcome outcome = RunPacedCancelledWith(CancelReason::kUser, "cancelled by someone");
  EXPECT_EQ(outcome.state, RunState::kCancelled);
  EXPECT_EQ(outcome.error_code, "user");
  EXPECT_EQ(outcome.message, "cancelled by someone");
  ExpectWellFormedStream();
  const ProgressEvent last = sink_.events().back();
  EXPECT_EQ(last.type, EventType::kCancelled);
  EXPECT_EQ(last.error_code, "user");
  EXPECT_EQ(last.message, "cancelled by someone");
  EXPECT_LT(sink_.results().size(), 1000u);  // stopped within about a second, not after 100 s
}

TEST_F(PluginRunTest, AShutdownCancellationEndsCancelledWithCodeShutdown) {
  RunOutcome outcome = RunPacedCancelledWith(CancelReason::kShutdown, "server shutting down");
  EXPECT_EQ(outcome.state, RunState::kCancelled);
  EXPECT_EQ(outcome.error_code, "shutdown");
  ExpectWellFormedStream();
  EXPECT_EQ(sink_.events().back().error_code, "shutdown");
  EXPECT_EQ(sink_.events().back().message, "server shutting down");
}

TEST_F(PluginRunTest, ATimeoutEndsTheRunWithAnErrorCodedTimeout) {
  RunOutcome outcome = RunPacedCancelledWith(CancelReason::kTimeout, "run exceeded its time limit of 1 s");
  EXPECT_EQ(outcome.state, RunState::kError);
  EXPECT_EQ(outcome.error_code, "timeout");
  ExpectWellFormedStream();
  const ProgressEvent last = sink_.events().back();
  EXPECT_EQ(last.type, EventType::kError);
  EXPECT_EQ(last.error_code, "timeout");
  EXPECT_EQ(last.message, "run exceeded its time limit of 1 s");
}

TEST_F(PluginRunTest, APluginThatIgnoresTheCancellationStillEndsOnceWithTheReason) {
  // The SDK reports CANCELLED whenever the token fired, so this one ends cancelled, not
  // completed: what counts is that it ends exactly once, with the reason.
  RunOutcome outcome = RunPacedCancelledWith(CancelReason::kUser, "stop", /*ignore_cancel=*/true);
  ExpectWellFormedStream();
  EXPECT_EQ(sink_.results().size(), 20u);
  EXPECT_EQ(outcome.state, RunState::kCancelled);
  EXPECT_EQ(outcome.error_code, "user");
}

TEST_F(PluginRunTest, ResultsFromSeveralWorkersKeepSeqOrderEqualToDeliveryOrder) {
  auto plugin = Load("evaluate_throws");
  ASSERT_TRUE(plugin);
  std::vector<std::string> tickers;
  for (const auto& t : data_.ListTickers()) tickers.push_back(t);
  RunOutcome outcome = Run(*plugin, {}, tickers, {}, 4);
  EXPECT_EQ(outcome.state, RunState::kCompleted);
  ExpectWellFormedStream();
  EXPECT_EQ(outcome.result_count, 4);
}

}  // namespace
}  // namespace stratrun
