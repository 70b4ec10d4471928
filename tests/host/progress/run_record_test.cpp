// ApplyEvent and ResultCounter: the one fold of a run's events and results.
#include "progress/run_record.h"

#include <gtest/gtest.h>

namespace stratrun {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

ProgressEvent Event(EventType type, TimePoint at) {
  ProgressEvent e;
  e.type = type;
  e.timestamp = at;
  return e;
}

TEST(RunRecordTest, EventsStartAProgressAndEndARunOnce) {
  RunRecord run;
  run.status = RunState::kStarting;
  const TimePoint t0 = TimePoint(1000s);
  EXPECT_TRUE(ApplyEvent(run, Event(EventType::kStarted, t0)));
  EXPECT_EQ(run.status, RunState::kRunning);
  EXPECT_EQ(run.started_at, t0);

  ProgressEvent tick = Event(EventType::kTickerCompleted, t0 + 2s);
  tick.total_items = 10;
  tick.completed_items = 4;
  tick.progress_percent = 40;
  tick.stage = "analysis";
  tick.passed_count = 3;
  tick.tickers_per_second = 2.0;
  tick.eta_seconds = 3.0;
  EXPECT_FALSE(ApplyEvent(run, tick));
  EXPECT_EQ(run.total_items, 10);
  EXPECT_EQ(run.completed_items, 4);
  EXPECT_DOUBLE_EQ(run.progress_percent, 40);
  EXPECT_EQ(run.current_stage, "analysis");
  EXPECT_EQ(run.passed_count, 3);
  EXPECT_EQ(run.tickers_per_second, 2.0);
  EXPECT_EQ(run.estimated_completion, t0 + 5s);
  EXPECT_EQ(run.started_at, t0) << "started_at is the first event's";

  ProgressEvent cancelled = Event(EventType::kCancelled, t0 + 3s);
  cancelled.error_code = "user";
  cancelled.message = "cancelled by user request";
  ApplyEvent(run, cancelled);
  EXPECT_EQ(run.status, RunState::kCancelled);
  EXPECT_EQ(run.finished_at, t0 + 3s);
  EXPECT_EQ(run.error_code, "user");
  EXPECT_EQ(run.error_message, "cancelled by user request");

  ApplyEvent(run, Event(EventType::kCompleted, t0 + 4s));
  EXPECT_EQ(run.status, RunState::kCancelled) << "a finished run's state never changes";
  EXPECT_EQ(run.finished_at, t0 + 3s);
}

TEST(RunRecordTest, ACompletedRunHasNoErrorMessage) {
  RunRecord run;
  ProgressEvent done = Event(EventType::kCompleted, TimePoint(5s));
  done.message = "all done";
  ApplyEvent(run, done);
  EXPECT_EQ(run.status, RunState::kCompleted);
  EXPECT_EQ(run.error_message, "");
}

TEST(RunRecordTest, TerminalEventsAndStatesMapBothWays) {
  EXPECT_EQ(FinalState(EventType::kCompleted), RunState::kCompleted);
  EXPECT_EQ(FinalState(EventType::kCancelled), RunState::kCancelled);
  EXPECT_EQ(FinalState(EventType::kError), RunState::kError);
  for (RunState state : {RunState::kCompleted, RunState::kCancelled, RunState::kError}) {
    EXPECT_EQ(FinalState(TerminalEventOf(state)), state);
  }
}

TEST(RunRecordTest, ResultCounterCountsEachTickerOnceWithItsLastVerdict) {
  ResultCounter counter;
  counter.Count("AAPL", true);
  counter.Count("MSFT", false);
  counter.Count("AAPL", false);
  counter.Count("MSFT", true);
  EXPECT_EQ(counter.results(), 2);
  EXPECT_EQ(counter.passed(), 1);
}

}  // namespace
}  // namespace stratrun
