// RunMemory and SlowClientPolicy: the hub's per-run window and its judgement of a slow client.
#include "live/run_memory.h"

#include <gtest/gtest.h>

#include "http/sse_frame.h"
#include "live/slow_client_policy.h"

namespace stratrun {
namespace {

using namespace std::chrono_literals;
using SteadyTime = std::chrono::steady_clock::time_point;

ProgressEvent Event(uint64_t seq, EventType type = EventType::kProgress, std::string message = "") {
  ProgressEvent e;
  e.seq = seq;
  e.type = type;
  e.run_id = "r1";
  e.message = std::move(message);
  return e;
}

TEST(RunMemoryTest, KeepsAtMostItsBytesDroppingTheOldestFirst) {
  RunMemory memory;
  const SteadyTime now{};
  const RunMemory::Limits limits{.max_events = 1000, .max_bytes = 10'000};
  for (uint64_t seq = 1; seq <= 100; ++seq) {
    memory.Take(Event(seq, EventType::kProgress, std::string(500, 'x')), http::SseFrames(), now, limits);
  }
  EXPECT_LE(memory.bytes(), 10'000u);
  EXPECT_GT(memory.size(), 10u);
  EXPECT_EQ(memory.last_seq(), 100u);
  EXPECT_FALSE(memory.Serves(1));       // the oldest left for the store
  EXPECT_TRUE(memory.Serves(100));
  const MemoryBatch batch = memory.Batch(100, false, 1 << 20);
  EXPECT_EQ(batch.last_seq, 100u);
  EXPECT_EQ(batch.text.rfind("id: 100\nevent: progress\ndata: ", 0), 0u) << batch.text.substr(0, 40);
}

TEST(RunMemoryTest, KeepsTheNewestEventWhateverItsSize) {
  RunMemory memory;
  memory.Take(Event(1, EventType::kProgress, std::string(5000, 'x')), http::SseFrames(), SteadyTime{},
              {.max_events = 10, .max_bytes = 100});
  EXPECT_EQ(memory.size(), 1u);
  EXPECT_TRUE(memory.Serves(1));
}

TEST(RunMemoryTest, ADuplicateIsIgnoredAndAGapStartsAfresh) {
  RunMemory memory;
  const RunMemory::Limits limits;
  EXPECT_TRUE(memory.Take(Event(1), http::SseFrames(), SteadyTime{}, limits));
  EXPECT_FALSE(memory.Take(Event(1), http::SseFrames(), SteadyTime{}, limits));
  EXPECT_TRUE(memory.Take(Event(5), http::SseFrames(), SteadyTime{}, limits));
  EXPECT_EQ(memory.size(), 1u);
  EXPECT_FALSE(memory.Serves(2));  // 2..4 come from the store
}

TEST(RunMemoryTest, AConflatedBatchKeepsWhatMustBeSeenAndTheLatestProgress) {
  RunMemory memory;
  const RunMemory::Limits limits;
  memory.Take(Event(1, EventType::kStarted), http::SseFrames(), SteadyTime{}, limits);
  for (uint64_t seq = 2; seq <= 9; ++seq) memory.Take(Event(seq), http::SseFrames(), SteadyTime{}, limits);
  memory.Take(Event(10, EventType::kCompleted), http::SseFrames(), SteadyTime{}, limits);
  const MemoryBatch batch = memory.Batch(1, true, 1 << 20);
  EXPECT_TRUE(batch.terminal);
  EXPECT_EQ(batch.last_seq, 10u);
  EXPECT_NE(batch.text.find("id: 1\n"), std::string::npos);
  EXPECT_EQ(batch.text.find("id: 8\n"), std::string::npos);  // an older progress event, conflated away
  EXPECT_NE(batch.text.find("id: 9\n"), std::string::npos);  // the latest progress
  EXPECT_NE(batch.text.find("id: 10\n"), std::string::npos);
}

TEST(SlowClientPolicyTest, LiveThenConflatedThenDroppedWhenStuckOrTooFarBehind) {
  SlowClientPolicy pace({.conflate_above_bytes = 100, .max_pending_bytes = 1000, .stuck_after = 30s});
  const SteadyTime t0{};
  EXPECT_EQ(pace.Judge(100, t0), ClientPace::kLive);
  EXPECT_FALSE(pace.drop_at());
  EXPECT_EQ(pace.Judge(101, t0), ClientPace::kConflated);
  EXPECT_EQ(pace.drop_at(), t0 + 30s);
  EXPECT_EQ(pace.Judge(500, t0 + 29s), ClientPace::kConflated);
  EXPECT_EQ(pace.Judge(500, t0 + 30s), ClientPace::kDropped);
  EXPECT_STREQ(pace.DropReason(500), " for too long");

  SlowClientPolicy drains({.conflate_above_bytes = 100, .max_pending_bytes = 1000, .stuck_after = 30s});
  EXPECT_EQ(drains.Judge(500, t0), ClientPace::kConflated);
  EXPECT_EQ(drains.Judge(50, t0 + 20s), ClientPace::kLive);  // drained: the clock starts again
  EXPECT_EQ(drains.Judge(500, t0 + 40s), ClientPace::kConflated);
  EXPECT_EQ(drains.Judge(1001, t0 + 41s), ClientPace::kDropped);
  EXPECT_STREQ(drains.DropReason(1001), "");
}

}  // namespace
}  // namespace stratrun
