// RunStore::Events bounded by bytes, in every store: a page of large events stops early
// instead of growing, and a long run is paged through exactly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/run_store.h"
#include "support/store_backends.h"

namespace stratrun {
namespace {

using testing::StoreBackend;
using testing::StoreLocation;

class EventPageTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(where_.ok()) << where_.error();
    auto opened = RunStore::Open(where_.location());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
  }

  /// A run "big" with `count` events whose messages are `message_bytes` long.
  void AppendEvents(size_t count, size_t message_bytes) {
    RunRecord run;
    run.run_id = "big";
    run.strategy_code = "s";
    ASSERT_TRUE(store_->CreateRun(run).ok());
    std::vector<ProgressEvent> events(count);
    for (size_t i = 0; i < events.size(); ++i) {
      events[i].seq = i + 1;
      events[i].run_id = "big";
      events[i].message = std::string(message_bytes, 'x');
    }
    ASSERT_TRUE(store_->AppendEvents(events).ok());
  }

  StoreLocation where_{GetParam()};
  std::unique_ptr<RunStore> store_;
};

TEST_P(EventPageTest, AReadStopsOnceItHoldsMaxBytesButAlwaysReadsOneEvent) {
  ASSERT_NO_FATAL_FAILURE(AppendEvents(20, 100'000));
  auto page = store_->Events("big", 0, -1, 350'000);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->size(), 4u);  // 3 events hold 300 kB < 350 kB: a fourth is read, then it stops
  EXPECT_EQ(page->back().seq, 4u);
  auto next = store_->Events("big", page->back().seq, -1, 350'000);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->front().seq, 5u) << "the next page follows on";
  auto one = store_->Events("big", 0, -1, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u) << "a page always has an event when there is one";
  auto all = store_->Events("big", 0, -1);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 20u);
}

TEST_P(EventPageTest, ALongRunIsPagedExactlyByCountAndBytes) {
  ASSERT_NO_FATAL_FAILURE(AppendEvents(1500, 10));
  auto all = store_->Events("big");
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 1500u);
  for (size_t i = 0; i < all->size(); ++i) ASSERT_EQ((*all)[i].seq, i + 1);

  auto counted = store_->Events("big", 100, 700);
  ASSERT_TRUE(counted.ok());
  ASSERT_EQ(counted->size(), 700u);
  EXPECT_EQ(counted->front().seq, 101u);
  EXPECT_EQ(counted->back().seq, 800u);

  // The bound is the bytes of the first 600 events (their sizes differ: seq grows digits).
  size_t bound = 0;
  for (size_t i = 0; i < 600; ++i) bound += (*all)[i].json.size();
  auto sized = store_->Events("big", 0, -1, bound);
  ASSERT_TRUE(sized.ok());
  EXPECT_EQ(sized->size(), 600u) << "600 events hold exactly the bound";
  sized = store_->Events("big", 0, -1, bound + 1);
  ASSERT_TRUE(sized.ok());
  EXPECT_EQ(sized->size(), 601u) << "one more byte: the event that crosses it is read";
  sized = store_->Events("big", 0, 300, bound);
  ASSERT_TRUE(sized.ok());
  EXPECT_EQ(sized->size(), 300u) << "the count bound first";
}

INSTANTIATE_TEST_SUITE_P(Backends, EventPageTest, testing::kAllStoreBackends, testing::StoreBackendName);

}  // namespace
}  // namespace stratrun
