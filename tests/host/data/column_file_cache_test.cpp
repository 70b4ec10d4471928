// The on-disk bar cache shared by processes: a second instance (another process) reads the
// cache file instead of parsing; a changed CSV, a damaged cache file or an unwritable
// folder never yields stale data or a failed load; concurrent writers leave a valid file.
// Deterministic: modification times are set explicitly, never waited for.
#include "data/column_file_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <latch>
#include <thread>

#include "data/bar_cache.h"
#include "data/csv_bar_source.h"
#include "data/synthetic_bars.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

bool SameBars(const BarSeries& a, const BarSeries& b) {
  return a.day == b.day && a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close &&
         a.adj_close == b.adj_close && a.volume == b.volume;
}

std::string ReadBytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// Replaces the content of `file` without replacing the file (same inode).
void RewriteInPlace(const fs::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::in | std::ios::out | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void SetMtime(const fs::path& file, int64_t mtime_ns) {
  const timespec times[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
                             {.tv_sec = mtime_ns / 1'000'000'000, .tv_nsec = mtime_ns % 1'000'000'000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, file.c_str(), times, 0), 0);
}

class ColumnFileCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directory(data_dir_); }

  /// Writes <ticker>.csv (atomically: a new inode) with a fixed, distinct mtime.
  BarSeries WriteCsv(const std::string& ticker, int days, uint64_t seed = 1) {
    BarSeries series = SyntheticBarSource::Generate(ticker, seed, days);
    EXPECT_TRUE(WriteYahooCsv(Csv(ticker), series).ok());
    SetMtime(Csv(ticker), 1'600'000'000'000'000'000 + seed);
    return series;
  }
  fs::path Csv(const std::string& ticker) const { return data_dir_ / (ticker + ".csv"); }
  /// Another process's view of the same folders: nothing shared but the files.
  std::unique_ptr<ColumnFileCache> Fresh() const { return std::make_unique<ColumnFileCache>(csv_, cache_dir_); }

  TempDir root_;
  fs::path data_dir_ = root_.path() / "data";
  fs::path cache_dir_ = root_.path() / "cache" / "bars" / "0123456789abcdef";  // created by the first write
  std::shared_ptr<CsvBarSource> csv_ = std::make_shared<CsvBarSource>(data_dir_);
};

TEST_F(ColumnFileCacheTest, AFreshInstanceReadsTheCacheFileWithoutParsingTheCsv) {
  const BarSeries written = WriteCsv("AAPL", 2520);
  auto first = Fresh();
  ASSERT_TRUE(first->Load("AAPL").ok());
  EXPECT_EQ(first->stats().misses, 1u);
  EXPECT_EQ(first->stats().writes, 1u);
  EXPECT_TRUE(fs::is_regular_file(cache_dir_ / "AAPL.bars"));

  // Make the CSV unparseable while keeping its size, mtime and inode: only a reader that
  // does not parse it can still return the bars.
  const FileStamp before = *StatFile(Csv("AAPL"));
  RewriteInPlace(Csv("AAPL"), std::string(before.size, 'x'));
  SetMtime(Csv("AAPL"), before.mtime_ns);
  ASSERT_EQ(StatFile(Csv("AAPL")), before);
  ASSERT_EQ(csv_->Load("AAPL").status().code(), StatusCode::kDataError);

  auto second = Fresh();
  auto loaded = second->Load("AAPL");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_TRUE(SameBars(**loaded, written));
  EXPECT_EQ(second->stats().hits, 1u);
  EXPECT_EQ(second->stats().misses, 0u);
}

TEST_F(ColumnFileCacheTest, AChangedCsvIsReloadedAndItsCacheFileRewritten) {
  struct Change {
    const char* what;
    void (*apply)(const fs::path& csv, const FileStamp& before);
    bool same_bars;
  };
  const Change changes[] = {
      {"mtime only", [](const fs::path& csv, const FileStamp& before) { SetMtime(csv, before.mtime_ns + 1); }, true},
      {"size only (rewritten in place, mtime restored)",
       [](const fs::path& csv, const FileStamp& before) {
         const fs::path other = csv.parent_path() / "other.tmp";
         ASSERT_TRUE(WriteYahooCsv(other, SyntheticBarSource::Generate("AAPL", 2, 290)).ok());
         RewriteInPlace(csv, ReadBytes(other));
         fs::remove(other);
         SetMtime(csv, before.mtime_ns);
       },
       false},
      {"inode only (a copy renamed over it, size and mtime kept)",
       [](const fs::path& csv, const FileStamp& before) {
         const fs::path copy = csv.parent_path() / "copy.tmp";
         fs::copy_file(csv, copy);
         SetMtime(copy, before.mtime_ns);
         fs::rename(copy, csv);
       },
       true},
  };
  for (const Change& change : changes) {
    SCOPED_TRACE(change.what);
    const BarSeries original = WriteCsv("AAPL", 300);
    ASSERT_TRUE(Fresh()->Load("AAPL").ok());  // cache file written for this version
    const FileStamp before = *StatFile(Csv("AAPL"));
    change.apply(Csv("AAPL"), before);
    const FileStamp after = *StatFile(Csv("AAPL"));
    ASSERT_NE(after, before);

    auto reader = Fresh();
    auto loaded = reader->Load("AAPL");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_EQ(reader->stats().misses, 1u);
    EXPECT_EQ(reader->stats().writes, 1u);
    EXPECT_TRUE(SameBars(**loaded, *csv_->Load("AAPL").value()));
    EXPECT_EQ(SameBars(**loaded, original), change.same_bars);

    auto next = Fresh();  // the rewritten file serves the new version
    ASSERT_TRUE(next->Load("AAPL").ok());
    EXPECT_EQ(next->stats().hits, 1u);
  }
}

TEST_F(ColumnFileCacheTest, ATruncatedOrGarbageCacheFileIsAMissAndIsRewritten) {
  const BarSeries written = WriteCsv("AAPL", 500);
  ASSERT_TRUE(Fresh()->Load("AAPL").ok());
  const fs::path cache_file = cache_dir_ / "AAPL.bars";
  const std::string whole = ReadBytes(cache_file);
  const std::string damages[] = {whole.substr(0, whole.size() / 2), whole.substr(0, 7), std::string(),
                                 std::string(whole.size(), '\x5a'), whole.substr(0, 120) + std::string(whole.size() - 120, '\0')};
  for (const std::string& damaged : damages) {
    SCOPED_TRACE(damaged.size());
    RewriteInPlace(cache_file, damaged);
    auto reader = Fresh();
    auto loaded = reader->Load("AAPL");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_TRUE(SameBars(**loaded, written));
    EXPECT_EQ(reader->stats().misses, 1u);
    EXPECT_EQ(reader->stats().writes, 1u);
    EXPECT_EQ(ReadBytes(cache_file), whole);
  }
}

TEST_F(ColumnFileCacheTest, AReadOnlyCacheFolderStillLoads) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into read-only folders; see the next test";
  WriteCsv("AAPL", 300);
  fs::create_directories(cache_dir_);
  fs::permissions(cache_dir_, fs::perms::owner_read | fs::perms::owner_exec);
  auto cache = Fresh();
  auto loaded = cache->Load("AAPL");
  fs::permissions(cache_dir_, fs::perms::owner_all);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(cache->stats().write_failures, 1u);
  EXPECT_TRUE(fs::is_empty(cache_dir_));
}

TEST_F(ColumnFileCacheTest, ACacheFolderThatCannotBeCreatedStillLoads) {
  const BarSeries written = WriteCsv("AAPL", 300);
  std::ofstream(root_.path() / "not-a-folder") << "a file where the cache folder's parent should be";
  ColumnFileCache cache(csv_, root_.path() / "not-a-folder" / "bars");
  for (int i = 0; i < 2; ++i) {
    auto loaded = cache.Load("AAPL");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    EXPECT_TRUE(SameBars(**loaded, written));
  }
  EXPECT_EQ(cache.stats().misses, 2u);
  EXPECT_EQ(cache.stats().write_failures, 2u);
}

TEST_F(ColumnFileCacheTest, ConcurrentWritersLeaveValidFilesAndNoTemporaryOnes) {
  const std::vector<std::string> tickers = {"AAPL", "MSFT", "NVDA"};
  for (const auto& t : tickers) WriteCsv(t, 1000);
  constexpr int kThreads = 8;
  std::latch start(kThreads);
  std::vector<int> ok(kThreads, 0);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        ColumnFileCache own(csv_, cache_dir_);  // one "process" each
        start.arrive_and_wait();
        for (int round = 0; round < 3; ++round) {
          for (const auto& t : tickers) ok[static_cast<size_t>(i)] += own.Load(t).ok();
        }
      });
    }
  }
  for (int n : ok) EXPECT_EQ(n, 9);
  auto reader = Fresh();
  for (const auto& t : tickers) {
    auto loaded = reader->Load(t);
    ASSERT_TRUE(loaded.ok());
    EXPECT_TRUE(SameBars(**loaded, *csv_->Load(t).value()));
  }
  EXPECT_EQ(reader->stats().hits, tickers.size());
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(cache_dir_)) {
    EXPECT_EQ(entry.path().extension(), ".bars") << entry.path();
    ++files;
  }
  EXPECT_EQ(files, tickers.size());
}

TEST_F(ColumnFileCacheTest, ARemovedCsvIsNotFoundAndItsCacheFileGoes) {
  WriteCsv("AAPL", 300);
  ASSERT_TRUE(Fresh()->Load("AAPL").ok());
  fs::remove(Csv("AAPL"));
  auto gone = Fresh()->Load("AAPL");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(gone.status().message(), "no data file for 'AAPL'");  // the source's own message
  EXPECT_FALSE(fs::exists(cache_dir_ / "AAPL.bars"));
  EXPECT_EQ(Fresh()->Load("not a ticker").status().code(), StatusCode::kNotFound);
}

TEST_F(ColumnFileCacheTest, ABrokenCsvIsReportedAndNothingIsCached) {
  std::ofstream(Csv("BAD")) << "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,2,x,1,1,5\n";
  auto cache = Fresh();
  auto bad = cache->Load("BAD");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataError);
  EXPECT_FALSE(fs::exists(cache_dir_ / "BAD.bars"));
  EXPECT_EQ(cache->stats().writes, 0u);
  WriteCsv("BAD", 50);  // fixed
  EXPECT_TRUE(cache->Load("BAD").ok());
  EXPECT_TRUE(fs::exists(cache_dir_ / "BAD.bars"));
}

TEST_F(ColumnFileCacheTest, ABarCacheAboveItReadsTheDiskCacheOnItsFirstLoad) {
  WriteCsv("AAPL", 300);
  {
    BarCache first_process(std::make_shared<ColumnFileCache>(csv_, cache_dir_));
    ASSERT_TRUE(first_process.Load("AAPL").ok());
  }
  auto disk = std::make_shared<ColumnFileCache>(csv_, cache_dir_);
  BarCache memory(disk);
  ASSERT_TRUE(memory.Load("AAPL").ok());
  ASSERT_TRUE(memory.Load("AAPL").ok());
  EXPECT_EQ(disk->stats().hits, 1u);  // the first load, from disk
  EXPECT_EQ(memory.stats().hits, 1u);  // the second, from memory
  EXPECT_EQ(memory.files().FileFor("AAPL"), Csv("AAPL"));  // freshness is the CSV's stamp

  WriteCsv("AAPL", 320, 2);  // a new download: both layers reload it
  auto after = memory.Load("AAPL");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->size(), 320u);
  EXPECT_EQ(disk->stats().misses, 1u);
}

TEST_F(ColumnFileCacheTest, EachDataFolderHasItsOwnCacheFolder) {
  const fs::path root = "/cache/bars";
  const fs::path dir = ColumnCacheDirFor(root, data_dir_);
  EXPECT_EQ(dir.parent_path(), root);
  EXPECT_EQ(dir.filename().string().size(), 16u);
  EXPECT_EQ(dir.filename().string().find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(ColumnCacheDirFor(root, data_dir_ / ""), dir);  // trailing slash
  EXPECT_EQ(ColumnCacheDirFor(root, data_dir_ / "sub" / ".."), dir);
  EXPECT_NE(ColumnCacheDirFor(root, root_.path()), dir);
}

}  // namespace
}  // namespace stratrun
