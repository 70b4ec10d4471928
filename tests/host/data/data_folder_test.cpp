// The data folder: the default location, and the sample universe generated on first use.
#include "data/data_folder.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "data/column_file_cache.h"
#include "data/csv_bar_source.h"
#include "data/synthetic_bars.h"
#include "data/universe.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

TEST(DataFolderTest, GeneratesTheSampleIntoAMissingFolderOnceAndMarksItSynthetic) {
  TempDir root;
  const fs::path dir = root.path() / "data";
  SynthOptions options{.tickers = {"AAPL", "MSFT", "NVDA"}, .seed = 42, .days = 300};
  auto generated = EnsureSampleData(dir, options);
  ASSERT_TRUE(generated.ok()) << generated.status().message();
  EXPECT_TRUE(*generated);
  EXPECT_TRUE(IsSyntheticDataDir(dir));

  CsvBarSource files(dir);
  EXPECT_EQ(files.ListTickers(), (std::vector<std::string>{"AAPL", "MSFT", "NVDA"}));
  auto aapl = files.Load("AAPL");
  ASSERT_TRUE(aapl.ok()) << aapl.status().message();
  const BarSeries expected = SyntheticBarSource::Generate("AAPL", 42, 300);
  EXPECT_EQ((*aapl)->day, expected.day);
  EXPECT_EQ((*aapl)->close, expected.close);  // cents survive the CSV round trip exactly

  auto again = EnsureSampleData(dir, options);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);  // already there
}

TEST(DataFolderTest, AnEmptyFolderIsFilledButAFolderWithDataIsLeftAlone) {
  TempDir empty, real;
  SynthOptions options{.tickers = {"AAPL"}, .days = 50};
  EXPECT_TRUE(*EnsureSampleData(empty.path(), options));
  EXPECT_TRUE(fs::exists(empty.path() / "AAPL.csv"));

  std::ofstream(real.path() / "XYZ.csv") << "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,1,1,1,1,1\n";
  EXPECT_FALSE(*EnsureSampleData(real.path(), options));
  EXPECT_FALSE(fs::exists(real.path() / "AAPL.csv"));
  EXPECT_FALSE(IsSyntheticDataDir(real.path()));
}

TEST(DataFolderTest, SampleFilesCopiedAmongRealOnesStillSayTheyAreSynthetic) {
  TempDir sample, real;
  ASSERT_TRUE(WriteSyntheticUniverse(sample.path(), {.tickers = {"AAPL", "MSFT"}, .days = 30}).ok());
  EXPECT_TRUE(IsSyntheticCsv(sample.path() / "AAPL.csv"));
  std::ifstream in(sample.path() / "AAPL.csv");
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_EQ(header, "Date,Open,High,Low,Close,Adj Close,Volume,Source");
  EXPECT_TRUE(row.ends_with(",synthetic")) << row;

  std::ofstream(real.path() / "XYZ.csv") << "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,1,1,1,1,1,1\n";
  EXPECT_FALSE(IsSyntheticCsv(real.path() / "XYZ.csv"));
  EXPECT_FALSE(IsSyntheticDataDir(real.path()));
  fs::copy_file(sample.path() / "AAPL.csv", real.path() / "AAPL.csv");  // the marker file stays behind
  EXPECT_TRUE(IsSyntheticDataDir(real.path())) << "the mark travels with the file";

  CsvBarSource files(real.path());
  auto aapl = files.Load("AAPL");
  ASSERT_TRUE(aapl.ok()) << aapl.status().message();
  EXPECT_EQ((*aapl)->close, SyntheticBarSource::Generate("AAPL", 42, 30).close) << "the Source column is skipped";
}

TEST(DataFolderTest, SyntheticTickerNamesExtendTheSp500List) {
  auto five = SyntheticTickerNames(5);
  EXPECT_EQ(five.size(), 5u);
  EXPECT_EQ(five[0], "A");
  auto many = SyntheticTickerNames(600);
  EXPECT_EQ(many.size(), 600u);
  EXPECT_EQ(many[Sp500Tickers().size()], "SYN0001");
}

TEST(DataFolderTest, DefaultFolderFollowsTheEnvironment) {
  const char* saved = std::getenv("STRATRUN_DATA_DIR");
  const std::string restore = saved ? saved : "";
  setenv("STRATRUN_DATA_DIR", "/srv/market", 1);
  EXPECT_EQ(DefaultDataDir(), "/srv/market");
  unsetenv("STRATRUN_DATA_DIR");
  setenv("XDG_DATA_HOME", "/tmp/xdg", 1);
  EXPECT_EQ(DefaultDataDir(), "/tmp/xdg/stratrun/data");
  unsetenv("XDG_DATA_HOME");
  if (!restore.empty()) setenv("STRATRUN_DATA_DIR", restore.c_str(), 1);
}

TEST(DataFolderTest, TheDiskBarCacheFollowsTheEnvironmentAndCanBeTurnedOff) {
  struct Saved {
    std::string name, value;
    bool set;
  };
  std::vector<Saved> saved;
  for (const char* name : {"STRATRUN_BAR_CACHE", "STRATRUN_CACHE_DIR", "XDG_CACHE_HOME"}) {
    const char* value = std::getenv(name);
    saved.push_back({name, value ? value : "", value != nullptr});
    unsetenv(name);
  }
  setenv("XDG_CACHE_HOME", "/tmp/xdg-cache", 1);
  EXPECT_EQ(DefaultBarCacheRoot(), "/tmp/xdg-cache/stratrun/bars");
  auto files = OpenBarFiles("/srv/market");
  const auto* disk = dynamic_cast<const ColumnFileCache*>(files.get());
  ASSERT_NE(disk, nullptr);
  EXPECT_EQ(disk->cache_dir(), ColumnCacheDirFor("/tmp/xdg-cache/stratrun/bars", "/srv/market"));
  EXPECT_EQ(files->FileFor("AAPL"), "/srv/market/AAPL.csv");

  setenv("STRATRUN_CACHE_DIR", "/var/cache/stratrun", 1);  // as for the plugin cache
  EXPECT_EQ(DefaultBarCacheRoot(), "/var/cache/stratrun/bars");

  setenv("STRATRUN_BAR_CACHE", "off", 1);
  EXPECT_EQ(DefaultBarCacheRoot(), fs::path());
  EXPECT_NE(dynamic_cast<const CsvBarSource*>(OpenBarFiles("/srv/market").get()), nullptr);

  for (const Saved& s : saved) {
    if (s.set) setenv(s.name.c_str(), s.value.c_str(), 1);
    else unsetenv(s.name.c_str());
  }
}

}  // namespace
}  // namespace stratrun
