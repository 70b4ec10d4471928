// EventStamper: the host's fields of every event.
#include "progress/event_stamper.h"

#include <gtest/gtest.h>

#include <thread>

namespace stratrun {
namespace {

ProgressEvent Ticker(int64_t completed, int64_t total) {
  ProgressEvent e;
  e.type = EventType::kTickerCompleted;
  e.stage = "analysis";
  e.completed_items = completed;
  e.total_items = total;
  return e;
}

TEST(EventStamperTest, NumbersEventsFromOneAndStampsRunIdAndTime) {
  EventStamper stamper("r1");
  const auto before = std::chrono::system_clock::now();
  for (uint64_t i = 1; i <= 3; ++i) {
    ProgressEvent e;
    stamper.Stamp(e);
    EXPECT_EQ(e.seq, i);
    EXPECT_EQ(e.run_id, "r1");
    EXPECT_GE(e.timestamp, before);
  }
}

TEST(EventStamperTest, ContinuesFromAGivenSeq) {
  EventStamper stamper("r1", 42);
  ProgressEvent e;
  stamper.Stamp(e);
  EXPECT_EQ(e.seq, 42u);
}

TEST(EventStamperTest, ComputesPercentAndCarriesTotalsAndStageForward) {
  EventStamper stamper("r1");
  ProgressEvent first = Ticker(1, 4);
  stamper.Stamp(first);
  EXPECT_DOUBLE_EQ(*first.progress_percent, 25.0);

  ProgressEvent bare;  // a stage_completed without counts inherits the last known ones
  bare.type = EventType::kStageCompleted;
  stamper.Stamp(bare);
  EXPECT_EQ(bare.stage, "analysis");
  EXPECT_EQ(bare.total_items, 4);
  EXPECT_EQ(bare.completed_items, 1);
  EXPECT_DOUBLE_EQ(*bare.progress_percent, 25.0);

  ProgressEvent done;
  done.type = EventType::kCompleted;
  stamper.Stamp(done);
  EXPECT_DOUBLE_EQ(*done.progress_percent, 100.0);
  EXPECT_DOUBLE_EQ(*done.eta_seconds, 0.0);
}

TEST(EventStamperTest, CompletedNeverGoesBackwardsWhenWorkersReportOutOfOrder) {
  EventStamper stamper("r1");
  ProgressEvent a = Ticker(3, 10), b = Ticker(2, 10);
  stamper.Stamp(a);
  stamper.Stamp(b);
  EXPECT_EQ(b.completed_items, 3);  // the stream shows the running count, not the late worker's
  ProgressEvent c;
  stamper.Stamp(c);
  EXPECT_EQ(c.completed_items, 3);
}

TEST(EventStamperTest, RateAndEtaFollowTheObservedPace) {
  EventStamper stamper("r1");
  for (int i = 1; i <= 10; ++i) {
    ProgressEvent e = Ticker(i, 110);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stamper.Stamp(e);
    if (i == 10) {
      // 10 tickers in ≈100 ms: ≈100/s (generous bounds: this is a behaviour check, not a timing).
      ASSERT_TRUE(e.tickers_per_second.has_value());
      EXPECT_GT(*e.tickers_per_second, 5.0);
      EXPECT_LT(*e.tickers_per_second, 150.0);
      ASSERT_TRUE(e.eta_seconds.has_value());
      EXPECT_NEAR(*e.eta_seconds, 100.0 / *e.tickers_per_second, 1e-9);
    }
  }
}

TEST(EventStamperTest, PassedCountCountsEachTickerOnceWithItsLastVerdict) {
  EventStamper stamper("r1");
  stamper.CountResult("AAPL", true);
  stamper.CountResult("MSFT", true);
  stamper.CountResult("AAPL", false);
  EXPECT_EQ(stamper.passed_count(), 1);
  EXPECT_EQ(stamper.result_count(), 2);
  ProgressEvent e;
  stamper.Stamp(e);
  EXPECT_EQ(e.passed_count, 1);
}

}  // namespace
}  // namespace stratrun
