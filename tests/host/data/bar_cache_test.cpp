// BarCache over real CSV files: parsed once, reparsed when the file changes, bounded,
// shared by concurrent loads.
#include "data/bar_cache.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "data/synthetic_bars.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class BarCacheTest : public ::testing::Test {
 protected:
  void Write(const std::string& ticker, int days, uint64_t seed = 1) {
    ASSERT_TRUE(WriteYahooCsv(dir_.path() / (ticker + ".csv"), SyntheticBarSource::Generate(ticker, seed, days)).ok());
  }
  TempDir dir_;
  std::shared_ptr<CsvBarSource> files_ = std::make_shared<CsvBarSource>(dir_.path());
};

TEST_F(BarCacheTest, ParsesOnceAndServesTheSameSeriesAfterwards) {
  Write("AAPL", 300);
  BarCache cache(files_);
  auto first = cache.Load("AAPL");
  auto second = cache.Load("AAPL");
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get());  // the very same parsed series
  EXPECT_EQ((*first)->size(), 300u);
  EXPECT_EQ(cache.stats().misses, 1u);
  EXPECT_EQ(cache.stats().hits, 1u);
}

TEST_F(BarCacheTest, AChangedFileIsReparsedAndADeletedOneForgotten) {
  Write("AAPL", 300);
  BarCache cache(files_);
  auto before = cache.Load("AAPL");
  ASSERT_TRUE(before.ok());
  Write("AAPL", 320, 2);  // a new download replaces the file
  auto after = cache.Load("AAPL");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->size(), 320u);
  EXPECT_EQ((*before)->size(), 300u);  // a run still holding the old series keeps it intact

  fs::remove(dir_.path() / "AAPL.csv");
  auto gone = cache.Load("AAPL");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST_F(BarCacheTest, BrokenFilesAreReportedAndNotCached) {
  std::ofstream(dir_.path() / "BAD.csv") << "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,x,1,1,5\n";
  BarCache cache(files_);
  auto bad = cache.Load("BAD");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataError);
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos) << bad.status().message();
  Write("BAD", 50);  // fixed
  EXPECT_TRUE(cache.Load("BAD").ok());
}

TEST_F(BarCacheTest, MemoryIsBoundedByEvictingTheLeastRecentlyUsed) {
  for (const char* t : {"A", "B", "C", "D"}) Write(t, 500);
  const size_t one = BarCache::BytesOf(SyntheticBarSource::Generate("A", 1, 500));
  BarCache cache(files_, {.max_bytes = one * 5 / 2});  // room for two series
  ASSERT_TRUE(cache.Load("A").ok());
  ASSERT_TRUE(cache.Load("B").ok());
  ASSERT_TRUE(cache.Load("A").ok());  // A is now the most recent
  ASSERT_TRUE(cache.Load("C").ok());  // evicts B
  EXPECT_LE(cache.stats().bytes, one * 5 / 2);
  EXPECT_EQ(cache.stats().entries, 2u);
  const uint64_t misses = cache.stats().misses;
  ASSERT_TRUE(cache.Load("A").ok());
  EXPECT_EQ(cache.stats().misses, misses);  // still cached
  ASSERT_TRUE(cache.Load("B").ok());
  EXPECT_EQ(cache.stats().misses, misses + 1);  // was evicted
}

TEST_F(BarCacheTest, ConcurrentLoadsShareOneParse) {
  Write("AAPL", 2520);
  BarCache cache(files_);
  std::vector<const BarSeries*> seen(8);
  {
    std::vector<std::jthread> threads;
    for (size_t i = 0; i < seen.size(); ++i) {
      threads.emplace_back([&, i] { seen[i] = cache.Load("AAPL")->get(); });
    }
  }
  for (const BarSeries* s : seen) EXPECT_EQ(s, seen[0]);
  EXPECT_EQ(cache.stats().misses, 1u);
}

}  // namespace
}  // namespace stratrun
