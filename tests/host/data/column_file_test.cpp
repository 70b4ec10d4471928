// The binary column file: bit-exact round trip, aligned columns, and every damaged or
// stale file read as a miss (never a crash, never wrong numbers).
#include "data/column_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "data/synthetic_bars.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr FileStamp kSource{.size = 12345, .mtime_ns = 1'700'000'000'123'456'789, .inode = 42};

bool SameBars(const BarSeries& a, const BarSeries& b) {
  return a.day == b.day && a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close &&
         a.adj_close == b.adj_close && a.volume == b.volume;
}

std::string ReadBytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void WriteBytes(const fs::path& file, std::string_view bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class ColumnFileTest : public ::testing::Test {
 protected:
  TempDir dir_;
  fs::path file_ = dir_.path() / "AAPL.bars";
};

TEST_F(ColumnFileTest, ReadsBackExactlyWhatWasWritten) {
  for (int days : {1, 2, 301, 2520}) {  // odd counts need padding after the day column
    const BarSeries series = SyntheticBarSource::Generate("AAPL", 7, days);
    ASSERT_TRUE(WriteColumnFile(file_, series, kSource).ok());
    EXPECT_EQ(fs::file_size(file_), 120 + (days * 4 + 7) / 8 * 8 + days * 48u);
    Result<BarSeries> read = ReadColumnFile(file_, kSource);
    ASSERT_TRUE(read.ok()) << read.status().message();
    EXPECT_TRUE(SameBars(*read, series)) << days << " days";
  }
  // Nothing but the file itself is left in the folder (the temporary file was renamed).
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_.path()), fs::directory_iterator()), 1);
}

TEST_F(ColumnFileTest, AMissingFileIsNotFound) {
  EXPECT_EQ(ReadColumnFile(file_, kSource).status().code(), StatusCode::kNotFound);
}

TEST_F(ColumnFileTest, AnotherVersionOfTheSourceIsAMiss) {
  ASSERT_TRUE(WriteColumnFile(file_, SyntheticBarSource::Generate("AAPL", 7, 50), kSource).ok());
  for (FileStamp other : {FileStamp{kSource.size + 1, kSource.mtime_ns, kSource.inode},
                          FileStamp{kSource.size, kSource.mtime_ns + 1, kSource.inode},
                          FileStamp{kSource.size, kSource.mtime_ns, kSource.inode + 1}}) {
    Result<BarSeries> read = ReadColumnFile(file_, other);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.status().code(), StatusCode::kDataError);
    EXPECT_NE(read.status().message().find("another version of the source"), std::string::npos)
        << read.status().message();
  }
}

TEST_F(ColumnFileTest, EveryTruncationIsAMiss) {
  ASSERT_TRUE(WriteColumnFile(file_, SyntheticBarSource::Generate("AAPL", 7, 21), kSource).ok());
  const std::string whole = ReadBytes(file_);
  for (size_t size = 0; size < whole.size(); ++size) {
    WriteBytes(file_, std::string_view(whole).substr(0, size));
    EXPECT_EQ(ReadColumnFile(file_, kSource).status().code(), StatusCode::kDataError) << size << " bytes";
  }
  WriteBytes(file_, whole + "x");  // longer than its header says
  EXPECT_EQ(ReadColumnFile(file_, kSource).status().code(), StatusCode::kDataError);
}

TEST_F(ColumnFileTest, DamagedHeadersAndZeroedColumnsAreMisses) {
  ASSERT_TRUE(WriteColumnFile(file_, SyntheticBarSource::Generate("AAPL", 7, 40), kSource).ok());
  const std::string whole = ReadBytes(file_);
  const auto read_with = [&](size_t offset, std::string_view bytes) {
    std::string damaged = whole;
    damaged.replace(offset, bytes.size(), bytes);
    WriteBytes(file_, damaged);
    return ReadColumnFile(file_, kSource).status();
  };
  const auto expect_miss = [](const Status& s, std::string_view why) {
    EXPECT_EQ(s.code(), StatusCode::kDataError) << why;
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
  };
  expect_miss(read_with(0, "NOTBARS!"), "not a column file");
  expect_miss(read_with(8, std::string("\x02\0\0\0", 4)), "format version 2, not 1");
  expect_miss(read_with(16, std::string("\x01\x02\x03\x04", 4)), "another byte order");
  expect_miss(read_with(48, std::string("\xff\xff\xff\xff\xff\xff\xff\x0f", 8)), "do not fit");  // bar count
  expect_miss(read_with(48, std::string("\x27\0\0\0\0\0\0\0", 8)), "column offsets");           // 39 bars
  expect_miss(read_with(120, std::string(160, '\0')), "days not strictly increasing");

  std::mt19937_64 random(3);
  std::string garbage(whole.size(), '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  WriteBytes(file_, garbage);
  EXPECT_EQ(ReadColumnFile(file_, kSource).status().code(), StatusCode::kDataError);
}

TEST_F(ColumnFileTest, ColumnsOfDifferentLengthsAreRefusedAndNothingIsWritten) {
  BarSeries series = SyntheticBarSource::Generate("AAPL", 7, 10);
  series.volume.pop_back();
  EXPECT_EQ(WriteColumnFile(file_, series, kSource).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(ColumnFileTest, AFolderThatCannotBeWrittenIsAnInternalErrorAndLeavesNoTemporaryFile) {
  const Status s = WriteColumnFile(dir_.path() / "missing" / "AAPL.bars", SyntheticBarSource::Generate("AAPL", 7, 10),
                                   kSource);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("missing/AAPL.bars"), std::string::npos) << s.message();
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_.path()), fs::directory_iterator()), 0);
}

}  // namespace
}  // namespace stratrun
