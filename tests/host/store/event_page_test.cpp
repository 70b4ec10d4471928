// RunStore::Events bounded by bytes: a page of large events stops early instead of growing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/run_store.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

TEST(EventPageTest, AReadStopsOnceItHoldsMaxBytesButAlwaysReadsOneEvent) {
  testing::TempDir dir;
  auto store = RunStore::Open(dir.path() / "runs.db");
  ASSERT_TRUE(store.ok()) << store.status().message();
  RunRecord run;
  run.run_id = "big";
  run.strategy_code = "s";
  ASSERT_TRUE((*store)->CreateRun(run).ok());
  std::vector<ProgressEvent> events(20);
  for (size_t i = 0; i < events.size(); ++i) {
    events[i].seq = i + 1;
    events[i].run_id = "big";
    events[i].message = std::string(100'000, 'x');
  }
  ASSERT_TRUE((*store)->AppendEvents(events).ok());

  auto page = (*store)->Events("big", 0, -1, 350'000);
  ASSERT_TRUE(page.ok()) << page.status().message();
  ASSERT_EQ(page->size(), 4u);  // 3 events hold 300 kB < 350 kB: a fourth is read, then it stops
  EXPECT_EQ(page->back().seq, 4u);
  auto next = (*store)->Events("big", page->back().seq, -1, 350'000);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->front().seq, 5u) << "the next page follows on";
  auto one = (*store)->Events("big", 0, -1, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u) << "a page always has an event when there is one";
  auto all = (*store)->Events("big", 0, -1);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 20u);
}

}  // namespace
}  // namespace stratrun
