// EventStamper: the host's fields of every event.
#include "progress/event_stamper.h"

#include <gtest/gtest.h>

#include "support/manual_clock.h"

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
  testing::ManualClock clock;
  EventStamper stamper("r1", 1, clock);
  for (int i = 1; i <= 10; ++i) {
    clock.Advance(std::chrono::milliseconds(100));
    ProgressEvent e = Ticker(i, 110);
    stamper.Stamp(e);
    EXPECT_EQ(e.timestamp, clock.Now());
    {
      // One ticker every 100 ms: 10 tickers/s, 110 − i left.
      ASSERT_TRUE(e.tickers_per_second.has_value());
      EXPECT_NEAR(*e.tickers_per_second, 10.0, 1e-9);
      ASSERT_TRUE(e.eta_seconds.has_value());
      EXPECT_NEAR(*e.eta_seconds, (110.0 - i) / 10.0, 1e-9);
    }
  }
}

TEST(EventStamperTest, TheRateForgetsWhatIsOlderThanTenSeconds) {
  testing::ManualClock clock;
  EventStamper stamper("r1", 1, clock);
  for (int i = 1; i <= 5; ++i) {  // 1 ticker/s for 5 s…
    clock.Advance(std::chrono::seconds(1));
    ProgressEvent e = Ticker(i, 1000);
    stamper.Stamp(e);
  }
  ProgressEvent e;
  for (int i = 6; i <= 85; ++i) {  // …then 4 tickers/s for 20 s
    clock.Advance(std::chrono::milliseconds(250));
    e = Ticker(i, 1000);
    stamper.Stamp(e);
  }
  ASSERT_TRUE(e.tickers_per_second.has_value());
  EXPECT_NEAR(*e.tickers_per_second, 4.0, 1e-9);  // the last 10 s only
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
