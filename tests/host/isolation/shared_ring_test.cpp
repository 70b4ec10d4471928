#include "isolation/shared_ring.h"

#include <gtest/gtest.h>

#include <poll.h>
#include <string>
#include <thread>
#include <vector>

#include "isolation/worker_wire.h"

namespace stratrun {
namespace {

/// Drains until `count` messages arrived, sleeping on the data eventfd as the host does.
std::vector<std::string> Receive(SharedRing& ring, size_t count) {
  std::vector<std::string> got;
  while (got.size() < count) {
    auto drained = ring.Drain([&](std::string_view m) { got.emplace_back(m); });
    EXPECT_TRUE(drained.ok()) << drained.status().message();
    if (!drained.ok()) break;
    if (got.size() >= count || ring.PrepareToSleep()) {
      ring.Awake();
      continue;
    }
    pollfd wait{ring.data_fd(), POLLIN, 0};
    ::poll(&wait, 1, 1000);
    ring.Awake();
  }
  return got;
}

TEST(SharedRingTest, MessagesOfEverySizeArriveWholeAndInOrderAcrossTheWrap) {
  auto ring = SharedRing::Create(4096);
  ASSERT_TRUE(ring.ok());
  std::vector<std::string> sent;
  for (size_t i = 0; i < 2000; ++i) sent.push_back(std::string(i % 7 == 0 ? 5000 + i : i % 300, char('a' + i % 26)));
  std::thread producer([&] {
    for (const auto& m : sent) (*ring)->Write(m);  // larger than the ring: sent in chunks
  });
  auto got = Receive(**ring, sent.size());
  producer.join();
  ASSERT_EQ(got.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) ASSERT_EQ(got[i], sent[i]) << i;
}

TEST(SharedRingTest, ImpossiblePositionsAreAnErrorNotARead) {
  auto ring = SharedRing::Create(4096);
  ASSERT_TRUE(ring.ok());
  (*ring)->Write("hello");
  (*ring)->header().write_pos.store(uint64_t{1} << 40);  // what a plugin scribbling over the mapping could do
  auto drained = (*ring)->Drain([](std::string_view) { ADD_FAILURE() << "nothing must be delivered"; });
  EXPECT_FALSE(drained.ok());
}

TEST(WorkerWireTest, MessagesRoundTripAndTruncationsAreRefused) {
  ProgressEvent event;
  event.type = EventType::kTickerCompleted;
  event.stage = "analysis";
  event.current_item = "AAPL";
  event.message = "m";
  event.total_items = 10;
  event.completed_items = 3;
  event.metrics = {{"rsi", 55.5}};
  ResultRow row{"MSFT", 80, true, {{"sma", 1.5}}, {"+ above", "- below"}};
  std::string bytes;
  EncodeMessage(WorkerMessage(event), bytes);
  auto decoded = DecodeMessage(bytes);
  ASSERT_TRUE(decoded.ok());
  const auto& e = std::get<ProgressEvent>(*decoded);
  EXPECT_EQ(e.type, EventType::kTickerCompleted);
  EXPECT_EQ(e.current_item, "AAPL");
  EXPECT_EQ(e.completed_items, 3);
  EXPECT_FALSE(e.progress_percent.has_value());
  EXPECT_EQ(e.metrics, event.metrics);
  for (size_t cut = 0; cut < bytes.size(); ++cut) EXPECT_FALSE(DecodeMessage(bytes.substr(0, cut)).ok()) << cut;

  EncodeMessage(WorkerMessage(row), bytes);
  auto row_back = DecodeMessage(bytes);
  ASSERT_TRUE(row_back.ok());
  EXPECT_EQ(std::get<ResultRow>(*row_back).reasons, row.reasons);

  // A worker may not forge the host's own events.
  event.type = EventType::kCompleted;
  EncodeMessage(WorkerMessage(event), bytes);
  EXPECT_FALSE(DecodeMessage(bytes).ok());
}

}  // namespace
}  // namespace stratrun
