// The Yahoo Finance CSV provider: one test per messy-input case with its defined
// outcome, the Write→Parse round trip, and CsvBarSource over a real folder.
#include "data/csv_bar_source.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;

constexpr int32_t k20240102 = 19724;  // days since 1970-01-01
constexpr std::string_view kHeader = "Date,Open,High,Low,Close,Adj Close,Volume\n";

BarSeries MustParse(std::string_view text) {
  Result<BarSeries> parsed = ParseYahooCsv(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  return parsed.ok() ? std::move(parsed).value() : BarSeries{};
}

// The message of the DataError that parsing `text` must produce.
std::string ParseError(std::string_view text) {
  Result<BarSeries> parsed = ParseYahooCsv(text);
  if (parsed.ok()) return "parsed " + std::to_string(parsed->size()) + " bars";
  EXPECT_EQ(parsed.status().code(), StatusCode::kDataError) << parsed.status().message();
  return parsed.status().message();
}

void ExpectBar(const BarSeries& s, size_t i, int32_t day, double open, double high, double low, double close,
               double adj_close, double volume) {
  ASSERT_LT(i, s.size());
  EXPECT_EQ(s.day[i], day) << "bar " << i;
  EXPECT_EQ(s.open[i], open) << "bar " << i;
  EXPECT_EQ(s.high[i], high) << "bar " << i;
  EXPECT_EQ(s.low[i], low) << "bar " << i;
  EXPECT_EQ(s.close[i], close) << "bar " << i;
  EXPECT_EQ(s.adj_close[i], adj_close) << "bar " << i;
  EXPECT_EQ(s.volume[i], volume) << "bar " << i;
}

void ExpectSameSeries(const BarSeries& a, const BarSeries& b) {
  EXPECT_EQ(a.day, b.day);
  EXPECT_EQ(a.open, b.open);
  EXPECT_EQ(a.high, b.high);
  EXPECT_EQ(a.low, b.low);
  EXPECT_EQ(a.close, b.close);
  EXPECT_EQ(a.adj_close, b.adj_close);
  EXPECT_EQ(a.volume, b.volume);
}

std::string ReadFile(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const fs::path& file, std::string_view text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
}

// ---- well-formed input --------------------------------------------------------------------

TEST(CsvParseTest, ReadsAYahooDownloadExactly) {
  const BarSeries s = MustParse(std::string(kHeader) +
                                "2024-01-02,187.149994,188.440002,183.889999,185.639999,184.938217,82488700\n"
                                "2024-01-03,184.220001,185.880005,183.429993,184.250000,183.553467,58414500\n");
  ASSERT_EQ(s.size(), 2u);
  ExpectBar(s, 0, k20240102, 187.149994, 188.440002, 183.889999, 185.639999, 184.938217, 82488700);
  ExpectBar(s, 1, k20240102 + 1, 184.220001, 185.880005, 183.429993, 184.25, 183.553467, 58414500);
}

TEST(CsvParseTest, DatesAreDaysSinceTheEpochInTheProlepticGregorianCalendar) {
  const auto day_of = [](std::string_view date) {
    const BarSeries s = MustParse(std::string(kHeader) + std::string(date) + ",1,1,1,1,1,0\n");
    return s.size() == 1 ? s.day[0] : INT32_MIN;
  };
  EXPECT_EQ(day_of("1970-01-01"), 0);
  EXPECT_EQ(day_of("1969-12-31"), -1);
  EXPECT_EQ(day_of("2000-02-29"), 11016);
  EXPECT_EQ(day_of("2000-03-01"), 11017);
  EXPECT_EQ(day_of("2024-01-02"), k20240102);
  EXPECT_EQ(day_of("2024-02-29"), 19782);
  EXPECT_EQ(day_of("1900-01-01"), -25567);
  EXPECT_EQ(day_of("9999-12-31"), 2932896);
}

TEST(CsvParseTest, VolumeMayBeWrittenAsAnIntegerOrADecimal) {
  const BarSeries s = MustParse(std::string(kHeader) +
                                "2024-01-02,10,11,9,10.5,10.5,1234567\n"
                                "2024-01-03,10,11,9,10.5,10.5,1234567.0\n"
                                "2024-01-04,10,11,9,10.5,10.5,1.5e6\n"
                                "2024-01-05,10,11,9,10.5,10.5,0\n"
                                "2024-01-08,10,11,9,10.5,10.5,12.25\n");
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s.volume, (std::vector<double>{1234567, 1234567, 1500000, 0, 12.25}));
}

// ---- line endings, BOM, blank lines ------------------------------------------------------

TEST(CsvParseTest, AcceptsBomCrlfAndNoFinalNewline) {
  const BarSeries s = MustParse(
      "\xEF\xBB\xBF"
      "Date,Open,High,Low,Close,Adj Close,Volume\r\n"
      "2024-01-02,10,11,9,10.5,10.25,100\r\n"
      "2024-01-03,10.5,12,10,11.5,11.25,200");
  ASSERT_EQ(s.size(), 2u);
  ExpectBar(s, 0, k20240102, 10, 11, 9, 10.5, 10.25, 100);
  ExpectBar(s, 1, k20240102 + 1, 10.5, 12, 10, 11.5, 11.25, 200);
}

TEST(CsvParseTest, AcceptsLoneCarriageReturnLineEndings) {
  const BarSeries s = MustParse(
      "Date,Open,High,Low,Close,Adj Close,Volume\r2024-01-02,10,11,9,10.5,10.25,100\r"
      "2024-01-03,10.5,12,10,11.5,11.25,200\r");
  ASSERT_EQ(s.size(), 2u);
  ExpectBar(s, 1, k20240102 + 1, 10.5, 12, 10, 11.5, 11.25, 200);
}

TEST(CsvParseTest, SkipsBlankLinesAnywhereButCountsThemForLineNumbers) {
  const std::string text =
      "\n"
      "Date,Open,High,Low,Close,Adj Close,Volume\n"  // line 2
      "\n"
      "2024-01-02,10,11,9,10.5,10.25,100\n"  // line 4
      "   \t\n"
      ",,,,,,\r\n"                            // spreadsheet residue
      "2024-01-03,10.5,12,10,11.5,11.25,200\n"  // line 7
      "\n\n";
  const BarSeries s = MustParse(text);
  ASSERT_EQ(s.size(), 2u);
  ExpectBar(s, 0, k20240102, 10, 11, 9, 10.5, 10.25, 100);
  ExpectBar(s, 1, k20240102 + 1, 10.5, 12, 10, 11.5, 11.25, 200);

  EXPECT_EQ(ParseError(text + "2024-01-04,abc,12,10,11.5,11.25,200\n"),
            "bad data at line 10: 'abc' is not a number (column Open)");
}

TEST(CsvParseTest, TrimsSpacesAndQuotesAroundFields) {
  const BarSeries s = MustParse(
      " \"Date\" , Open ,High,Low,Close,\"Adj Close\",Volume\n"
      "\"2024-01-02\", 10 ,\t11,\"9\",\" 10.5 \",10.25 , 100\n");
  ASSERT_EQ(s.size(), 1u);
  ExpectBar(s, 0, k20240102, 10, 11, 9, 10.5, 10.25, 100);
}

TEST(CsvParseTest, SkipsARepeatedHeaderLineFromConcatenatedFiles) {
  const BarSeries s = MustParse(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\n" + std::string(kHeader) +
                                "2024-01-03,10.5,12,10,11.5,11.25,200\n");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.day, (std::vector<int32_t>{k20240102, k20240102 + 1}));
}

// ---- null rows ------------------------------------------------------------------------------

TEST(CsvParseTest, SkipsRowsWhoseValuesAreAllNull) {
  const BarSeries s = MustParse(std::string(kHeader) +
                                "2020-04-09,10,11,9,10.5,10.25,100\n"
                                "2020-04-10,null,null,null,null,null,null\n"
                                "2020-04-11,,,,,,\n"
                                "2020-04-12,NaN,NaN,NaN,NaN,NaN,NaN\n"
                                "2020-04-13,10.5,12,10,11.5,11.25,200\n");
  ASSERT_EQ(s.size(), 2u);
  ExpectBar(s, 0, 18361, 10, 11, 9, 10.5, 10.25, 100);
  ExpectBar(s, 1, 18365, 10.5, 12, 10, 11.5, 11.25, 200);
}

TEST(CsvParseTest, FailsARowWithSomeValuesNull) {
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\n2024-01-03,10,11,9,10.5,10.25,null\n"),
            "bad data at line 3: missing value 'null' (column Volume)");
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,,9,10.5,10.25,100\n"),
            "bad data at line 2: missing value '' (column High)");
}

TEST(CsvParseTest, ANullRowStillNeedsAValidDate) {
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\nnull,null,null,null,null,null,null\n"),
            "bad data at line 3: 'null' is not a date");
}

// ---- order and duplicates ---------------------------------------------------------------

TEST(CsvParseTest, SortsRowsOutOfDateOrder) {
  const BarSeries s = MustParse(std::string(kHeader) +
                                "2024-01-04,12,13,11,12.5,12.25,300\n"
                                "2024-01-02,10,11,9,10.5,10.25,100\n"
                                "2024-01-05,13,14,12,13.5,13.25,400\n"
                                "2024-01-03,11,12,10,11.5,11.25,200\n");
  ASSERT_EQ(s.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const double base = 10 + static_cast<double>(i);
    ExpectBar(s, i, k20240102 + static_cast<int32_t>(i), base, base + 1, base - 1, base + 0.5, base + 0.25,
              100 * static_cast<double>(i + 1));
  }
}

TEST(CsvParseTest, KeepsAnExactDuplicateRowOnce) {
  const BarSeries s = MustParse(std::string(kHeader) +
                                "2024-01-02,10,11,9,10.5,10.25,100\n"
                                "2024-01-03,11,12,10,11.5,11.25,200\n"
                                "2024-01-02,10,11,9,10.5,10.25,100\n"
                                "2024-01-02,10.0,11.00,9,10.50,10.25,100.0\n");  // same numbers, other spelling
  ASSERT_EQ(s.size(), 2u);
  ExpectBar(s, 0, k20240102, 10, 11, 9, 10.5, 10.25, 100);
  ExpectBar(s, 1, k20240102 + 1, 11, 12, 10, 11.5, 11.25, 200);
}

TEST(CsvParseTest, FailsTheSameDateWithDifferentValues) {
  EXPECT_EQ(ParseError(std::string(kHeader) +
                       "2024-01-02,10,11,9,10.5,10.25,100\n"
                       "2024-01-03,11,12,10,11.5,11.25,200\n"
                       "2024-01-02,10,11,9,10.5,10.25,100\n"
                       "2024-01-02,10,11,9,10.5,10.25,101\n"),
            "bad data at line 5: duplicate date 2024-01-02 with different values");
  // Adjacent duplicates go through the same check.
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\n2024-01-02,10,11,9,10.5,10.5,100\n"),
            "bad data at line 3: duplicate date 2024-01-02 with different values");
}

// ---- columns -----------------------------------------------------------------------------

TEST(CsvParseTest, MatchesColumnsByNameInAnyOrderAndCase) {
  const BarSeries s = MustParse(
      "volume, CLOSE ,adj close,Date,low,HIGH,Open\n"
      "100,10.5,10.25,2024-01-02,9,11,10\n");
  ASSERT_EQ(s.size(), 1u);
  ExpectBar(s, 0, k20240102, 10, 11, 9, 10.5, 10.25, 100);
}

TEST(CsvParseTest, UsesCloseWhenAdjCloseIsMissing) {
  const BarSeries s = MustParse("Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n");
  ASSERT_EQ(s.size(), 1u);
  ExpectBar(s, 0, k20240102, 10, 11, 9, 10.5, 10.5, 100);
}

TEST(CsvParseTest, IgnoresUnknownColumnsButCountsTheirFields) {
  const std::string header = "Date,Open,High,Low,Close,Adj Close,Volume,Dividends,Stock Splits\n";
  const BarSeries s = MustParse(header + "2024-01-02,10,11,9,10.5,10.25,100,0.24,whatever\n");
  ASSERT_EQ(s.size(), 1u);
  ExpectBar(s, 0, k20240102, 10, 11, 9, 10.5, 10.25, 100);
  EXPECT_EQ(ParseError(header + "2024-01-02,10,11,9,10.5,10.25,100\n"), "bad data at line 2: expected 9 fields, got 7");
}

TEST(CsvParseTest, FailsAMissingColumn) {
  EXPECT_EQ(ParseError("Date,Open,High,Low,Close,Adj Close\n2024-01-02,10,11,9,10.5,10.25\n"),
            "missing column 'Volume'");
  EXPECT_EQ(ParseError("Date,Open,High,Low,Adj Close,Volume\n2024-01-02,10,11,9,10.25,100\n"),
            "missing column 'Close'");
  EXPECT_EQ(ParseError("2024-01-02,10,11,9,10.5,10.25,100\n"), "missing column 'Date'");  // no header at all
}

TEST(CsvParseTest, FailsADuplicateColumn) {
  EXPECT_EQ(ParseError("Date,Open,High,Low,Close,close,Volume\n2024-01-02,10,11,9,10.5,10.5,100\n"),
            "duplicate column 'Close'");
}

// ---- malformed rows ----------------------------------------------------------------------

TEST(CsvParseTest, FailsARowWithTooFewOrTooManyFields) {
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5\n"), "bad data at line 2: expected 7 fields, got 5");
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\n2024-01-03,10,11,9,10.5,10.25,100,7\n"),
            "bad data at line 3: expected 7 fields, got 8");
  // A thousands separator splits a number into two fields.
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,\"1,234\"\n"),
            "bad data at line 2: expected 7 fields, got 8");
}

TEST(CsvParseTest, FailsAValueThatIsNotANumber) {
  const auto error_for = [](std::string_view close) {
    return ParseError(std::string(kHeader) + "2024-01-02,10,11,9," + std::string(close) + ",10.25,100\n");
  };
  EXPECT_EQ(error_for("abc"), "bad data at line 2: 'abc' is not a number (column Close)");
  EXPECT_EQ(error_for("10.5abc"), "bad data at line 2: '10.5abc' is not a number (column Close)");
  EXPECT_EQ(error_for("10 5"), "bad data at line 2: '10 5' is not a number (column Close)");
  EXPECT_EQ(error_for("inf"), "bad data at line 2: 'inf' is not a number (column Close)");
  EXPECT_EQ(error_for("0x1A"), "bad data at line 2: '0x1A' is not a number (column Close)");
  EXPECT_EQ(error_for("$10.5"), "bad data at line 2: '$10.5' is not a number (column Close)");
  EXPECT_EQ(error_for("1e999"), "bad data at line 2: '1e999' is out of range (column Close)");
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,12abc\n"),
            "bad data at line 2: '12abc' is not a number (column Volume)");
}

TEST(CsvParseTest, FailsABadDate) {
  const auto error_for = [](std::string_view date) {
    return ParseError(std::string(kHeader) + std::string(date) + ",10,11,9,10.5,10.25,100\n");
  };
  EXPECT_EQ(error_for("2024-13-45"), "bad data at line 2: '2024-13-45' is not a date");
  EXPECT_EQ(error_for("2023-02-29"), "bad data at line 2: '2023-02-29' is not a date");  // not a leap year
  EXPECT_EQ(error_for("2024-04-31"), "bad data at line 2: '2024-04-31' is not a date");
  EXPECT_EQ(error_for("2024-00-10"), "bad data at line 2: '2024-00-10' is not a date");
  EXPECT_EQ(error_for("2024/01/02"), "bad data at line 2: '2024/01/02' is not a date");
  EXPECT_EQ(error_for("01/02/2024"), "bad data at line 2: '01/02/2024' is not a date");
  EXPECT_EQ(error_for("2024-1-2"), "bad data at line 2: '2024-1-2' is not a date");
  EXPECT_EQ(error_for("2024-01-02 25:00:00"), "bad data at line 2: '2024-01-02 25:00:00' is not a date");
  EXPECT_EQ(error_for("2024-01-02 00:00:00-5"), "bad data at line 2: '2024-01-02 00:00:00-5' is not a date");
  EXPECT_EQ(error_for("2024-01-02 noon"), "bad data at line 2: '2024-01-02 noon' is not a date");
  EXPECT_EQ(error_for(""), "bad data at line 2: '' is not a date");
}

TEST(CsvParseTest, ReadsTheTimestampsPandasAndYfinanceWrite) {
  // yfinance's history().to_csv() writes midnight in the exchange's zone; the bar's day is
  // the date as written, whatever the offset.
  for (const char* date : {"2024-01-02 00:00:00-05:00", "2024-01-02 00:00:00+0100", "2024-01-02T00:00:00Z",
                           "2024-01-02 00:00", "2024-01-02 16:00:00.000"}) {
    const BarSeries s = MustParse(std::string(kHeader) + date + ",10,11,9,10.5,10.25,100\n");
    ASSERT_EQ(s.size(), 1u) << date;
    EXPECT_EQ(s.day[0], k20240102) << date;
  }
}

// ---- impossible bars ---------------------------------------------------------------------

TEST(CsvParseTest, FailsNonPositivePrices) {
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,0,11,9,10.5,10.25,100\n"),
            "bad data at line 2: non-positive price 0 (column Open)");
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,-9,10.5,10.25,100\n"),
            "bad data at line 2: non-positive price -9 (column Low)");
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,-0.5,100\n"),
            "bad data at line 2: non-positive price -0.5 (column Adj Close)");
}

TEST(CsvParseTest, FailsNegativeVolume) {
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,-5\n"),
            "bad data at line 2: negative volume -5 (column Volume)");
}

TEST(CsvParseTest, FailsHighBelowLowOrTheBodyOutsideTheRange) {
  const auto error_for = [](std::string_view row) {
    return ParseError(std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\n" + std::string(row) + "\n");
  };
  EXPECT_EQ(error_for("2024-01-03,9.5,9,10,9.5,9.5,100"), "bad data at line 3: high 9 is below low 10");
  EXPECT_EQ(error_for("2024-01-03,10,11,9,11.5,11.5,100"), "bad data at line 3: high 11 is below close 11.5");
  EXPECT_EQ(error_for("2024-01-03,12,11,9,10,10,100"), "bad data at line 3: high 11 is below open 12");
  EXPECT_EQ(error_for("2024-01-03,8.5,11,9,10,10,100"), "bad data at line 3: low 9 is above open 8.5");
  EXPECT_EQ(error_for("2024-01-03,10,11,9,8.75,8.75,100"), "bad data at line 3: low 9 is above close 8.75");
}

TEST(CsvParseTest, AcceptsPriceNoiseWithinARelativeToleranceOf1e9AsWritten) {
  // High a hair below Close, Low a hair above Open: float noise from the data vendor.
  const BarSeries s = MustParse(std::string(kHeader) + "2024-01-02,100.00000005,100.5,100.0000001,100.50000004,100.5,7\n");
  ASSERT_EQ(s.size(), 1u);
  ExpectBar(s, 0, k20240102, 100.00000005, 100.5, 100.0000001, 100.50000004, 100.5, 7);
  // Ten times the tolerance is an error.
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,100,100.5,99,100.500001,100.5,7\n"),
            "bad data at line 2: high 100.5 is below close 100.500001");
}

// ---- texts that cannot be used at all ----------------------------------------------------

TEST(CsvParseTest, FailsAnEmptyTextOrAHeaderWithoutBars) {
  EXPECT_EQ(ParseError(""), "no bars");
  EXPECT_EQ(ParseError("\xEF\xBB\xBF"), "no bars");
  EXPECT_EQ(ParseError("\n\r\n  \n"), "no bars");
  EXPECT_EQ(ParseError("Date,Open,High,Low,Close,Adj Close,Volume"), "no bars");
  EXPECT_EQ(ParseError(std::string(kHeader) + "\n\n"), "no bars");
  EXPECT_EQ(ParseError(std::string(kHeader) + "2020-04-10,null,null,null,null,null,null\n"), "no bars");
}

TEST(CsvParseTest, FailsBinaryDataCleanly) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0", 20);
  EXPECT_EQ(ParseError(png), "not a csv text file (NUL byte at offset 8)");
  // UTF-16 text is full of NUL bytes.
  EXPECT_EQ(ParseError(std::string("\xFF\xFE" "D\0a\0t\0e\0", 10)), "not a csv text file (NUL byte at offset 3)");

  // Random bytes without a NUL fail on their header; whatever the bytes, the message is
  // printable ASCII.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string junk(static_cast<size_t>(rng() % 400), ' ');
    for (char& c : junk) c = static_cast<char>(1 + rng() % 255);
    if (round % 2 == 0) junk = std::string(kHeader) + "2024-01-02," + junk;  // junk as a row
    const std::string message = ParseError(junk);
    EXPECT_FALSE(message.empty());
    for (char c : message) ASSERT_TRUE(c >= 0x20 && c < 0x7f) << "unprintable byte in: " << message;
  }
}

TEST(CsvParseTest, QuotesAtMost40BytesOfAFieldWithUnprintableBytesReplaced) {
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9,1\x01\xff,10.25,100\n"),
            "bad data at line 2: '1?" "?' is not a number (column Close)");
  EXPECT_EQ(ParseError(std::string(kHeader) + "2024-01-02,10,11,9," + std::string(100, 'x') + ",10.25,100\n"),
            "bad data at line 2: '" + std::string(40, 'x') + "...' is not a number (column Close)");
}

TEST(CsvParseTest, ReportsTheFirstBadRowInFileOrder) {
  EXPECT_EQ(ParseError(std::string(kHeader) +
                       "2024-01-03,10,11,9,10.5,10.25,100\n"
                       "2024-01-02,10,11,9,10.5,10.25,100\n"
                       "2024-01-03,10,11,9,10.5,10.25,999\n"  // duplicate date: found after all rows
                       "2024-01-04,10,11,9,10.5,10.25,abc\n"),
            "bad data at line 5: 'abc' is not a number (column Volume)");
}

// ---- writing -------------------------------------------------------------------------------

// Full-precision doubles that obey the bar rules, on consecutive days.
BarSeries RandomSeries(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  BarSeries s;
  double price = 50;
  for (size_t i = 0; i < n; ++i) {
    const double open = price * (0.98 + 0.04 * unit(rng));
    const double close = price * (0.97 + 0.06 * unit(rng));
    s.day.push_back(k20240102 + static_cast<int32_t>(i));
    s.open.push_back(open);
    s.close.push_back(close);
    s.high.push_back(std::max(open, close) * (1 + 0.01 * unit(rng)));
    s.low.push_back(std::min(open, close) * (1 - 0.01 * unit(rng)));
    s.adj_close.push_back(close * 0.987654321);
    s.volume.push_back(i % 3 == 0 ? std::round(1e7 * unit(rng)) : 1e7 * unit(rng));
    price = close;
  }
  // Awkward magnitudes: tiny and huge, and the classic 0.1 + 0.2.
  s.open[0] = s.low[0] = 1e-7;
  s.close[0] = s.adj_close[0] = 0.1 + 0.2;
  s.high[0] = 1e15 + 0.125;
  s.volume[0] = 1.5e18;
  return s;
}

TEST(CsvWriteTest, RoundTripsEveryValueBitForBit) {
  testing::TempDir dir;
  const BarSeries series = RandomSeries(500, 1);
  const fs::path file = dir.path() / "RND.csv";
  ASSERT_TRUE(WriteYahooCsv(file, series).ok());
  const BarSeries back = MustParse(ReadFile(file));
  ExpectSameSeries(back, series);
}

TEST(CsvWriteTest, WritesTheYahooFormatWithTheShortestDecimals) {
  testing::TempDir dir;
  const std::string text = std::string(kHeader) +
                           "1999-12-31,0.0001,123456789.125,0.00005,0.30000000000000004,0.3,15000000000\n"
                           "2024-01-02,187.149994,188.440002,183.889999,185.639999,184.938217,82488700\n";
  const BarSeries series = MustParse(std::string(kHeader) +
                                     "2024-01-02,187.149994,188.440002,183.889999,185.639999,184.938217,82488700.0\n"
                                     "1999-12-31,0.000100,123456789.1250,5e-5,0.30000000000000004,0.30,1.5e10\n");
  const fs::path file = dir.path() / "X.csv";
  ASSERT_TRUE(WriteYahooCsv(file, series).ok());
  EXPECT_EQ(ReadFile(file), text);
}

TEST(CsvWriteTest, RefusesSeriesThatCouldNotBeReadBack) {
  testing::TempDir dir;
  const fs::path file = dir.path() / "BAD.csv";
  const BarSeries good = RandomSeries(5, 2);
  const auto refused = [&](const BarSeries& s) {
    const Status status = WriteYahooCsv(file, s);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.message();
    EXPECT_FALSE(fs::exists(file));
    return status.message();
  };
  EXPECT_EQ(refused(BarSeries{}), "no bars");
  BarSeries s = good;
  s.volume.pop_back();
  EXPECT_EQ(refused(s), "columns have different lengths");
  s = good;
  s.day[3] = s.day[2];
  EXPECT_EQ(refused(s), "bar 3 (2024-01-04): date is not after the previous bar's");
  s = good;
  s.close[1] = std::nan("");
  EXPECT_EQ(refused(s), "bar 1 (2024-01-03): value nan is not finite");
  s = good;
  s.high[2] = s.low[2] / 2;
  EXPECT_EQ(refused(s).rfind("bar 2 (2024-01-04): high ", 0), 0u);
  s = good;
  s.volume[4] = -1;
  EXPECT_EQ(refused(s), "bar 4 (2024-01-06): negative volume -1 (column Volume)");
  s = good;
  s.day[0] = -800000;  // before year 0
  EXPECT_EQ(refused(s), "bar 0 (day -800000): date outside years 0000-9999");
}

TEST(CsvWriteTest, ReplacesAFileAtomicallyAndLeavesNoTemporaryFiles) {
  testing::TempDir dir;
  const fs::path file = dir.path() / "AAPL.csv";
  WriteFile(file, "old content");
  const BarSeries series = RandomSeries(20, 3);
  ASSERT_TRUE(WriteYahooCsv(file, series).ok());
  ExpectSameSeries(MustParse(ReadFile(file)), series);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(CsvWriteTest, FailsWithoutTheFolderAndNamesThePath) {
  testing::TempDir dir;
  const fs::path file = dir.path() / "missing" / "AAPL.csv";
  const Status status = WriteYahooCsv(file, RandomSeries(3, 4));
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.message(), "cannot write '" + file.string() + "': no such file or directory");
}

// ---- CsvBarSource --------------------------------------------------------------------------

TEST(CsvBarSourceTest, LoadsAFileFromTheFolder) {
  testing::TempDir dir;
  WriteFile(dir.path() / "AAPL.csv", std::string(kHeader) + "2024-01-03,11,12,10,11.5,11.25,200\n"
                                                             "2024-01-02,10,11,9,10.5,10.25,100\n");
  CsvBarSource source(dir.path());
  EXPECT_EQ(source.FileFor("AAPL"), dir.path() / "AAPL.csv");
  auto bars = source.Load("AAPL");
  ASSERT_TRUE(bars.ok()) << bars.status().message();
  ASSERT_EQ((*bars)->size(), 2u);
  ExpectBar(**bars, 0, k20240102, 10, 11, 9, 10.5, 10.25, 100);
  ExpectBar(**bars, 1, k20240102 + 1, 11, 12, 10, 11.5, 11.25, 200);
}

TEST(CsvBarSourceTest, AMissingFileIsNotFound) {
  testing::TempDir dir;
  CsvBarSource source(dir.path());
  auto bars = source.Load("AAPL");
  EXPECT_EQ(bars.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bars.status().message(), "no data file for 'AAPL'");

  CsvBarSource nowhere(dir.path() / "does-not-exist");
  EXPECT_EQ(nowhere.Load("AAPL").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(nowhere.ListTickers().empty());
}

TEST(CsvBarSourceTest, ATickerThatIsNotASymbolNamesNoFile) {
  testing::TempDir dir;
  fs::create_directory(dir.path() / "data");
  WriteFile(dir.path() / "SECRET.csv", std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\n");
  WriteFile(dir.path() / "data" / "aapl.csv", std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\n");
  CsvBarSource source(dir.path() / "data");
  for (std::string_view ticker : {"../SECRET", "aapl", "", "A/B"}) {
    EXPECT_TRUE(source.FileFor(ticker).empty()) << ticker;
    auto bars = source.Load(ticker);
    EXPECT_EQ(bars.status().code(), StatusCode::kNotFound) << ticker;
    EXPECT_EQ(bars.status().message(), "no data file for '" + std::string(ticker) + "'");
  }
}

TEST(CsvBarSourceTest, AnUnusableFileIsADataErrorNamingTheFileAndTheProblem) {
  testing::TempDir dir;
  WriteFile(dir.path() / "BAD.csv", std::string(kHeader) + "2024-01-02,10,11,9,abc,10.25,100\n");
  WriteFile(dir.path() / "EMPTY.csv", "");
  fs::create_directory(dir.path() / "DIR.csv");
  CsvBarSource source(dir.path());

  auto bad = source.Load("BAD");
  EXPECT_EQ(bad.status().code(), StatusCode::kDataError);
  EXPECT_EQ(bad.status().message(),
            (dir.path() / "BAD.csv").string() + ": bad data at line 2: 'abc' is not a number (column Close)");
  auto empty = source.Load("EMPTY");
  EXPECT_EQ(empty.status().code(), StatusCode::kDataError);
  EXPECT_EQ(empty.status().message(), (dir.path() / "EMPTY.csv").string() + ": no bars");
  auto folder = source.Load("DIR");
  EXPECT_EQ(folder.status().code(), StatusCode::kDataError);
  EXPECT_EQ(folder.status().message(), (dir.path() / "DIR.csv").string() + ": not a regular file");
}

TEST(CsvBarSourceTest, ListsValidTickersSortedAndIgnoresOtherFiles) {
  testing::TempDir dir;
  const std::string row = std::string(kHeader) + "2024-01-02,10,11,9,10.5,10.25,100\n";
  for (const char* name : {"MSFT.csv", "AAPL.csv", "BRK-B.csv", "^GSPC.csv", "EURUSD=X.csv", "notes.txt",
                           "bad name.csv", "aapl.csv", "TSLA.CSV", "NVDA.csv.tmp", ".csv", "TOOLONGTICKERNAME123.csv"}) {
    WriteFile(dir.path() / name, row);
  }
  fs::create_directory(dir.path() / "DIR.csv");
  fs::create_symlink(dir.path() / "AAPL.csv", dir.path() / "LINK.csv");
  fs::create_symlink(dir.path() / "nowhere.csv", dir.path() / "DANGLING.csv");

  CsvBarSource source(dir.path());
  EXPECT_EQ(source.ListTickers(),
            (std::vector<std::string>{"AAPL", "BRK-B", "EURUSD=X", "LINK", "MSFT", "^GSPC"}));
  // Every listed ticker loads.
  for (const std::string& ticker : source.ListTickers()) EXPECT_TRUE(source.Load(ticker).ok()) << ticker;
}

TEST(CsvBarSourceTest, LoadsFromManyThreadsAtOnce) {
  testing::TempDir dir;
  const BarSeries series = RandomSeries(300, 5);
  for (const char* ticker : {"A", "B", "C", "D"}) ASSERT_TRUE(WriteYahooCsv(dir.path() / (std::string(ticker) + ".csv"), series).ok());
  CsvBarSource source(dir.path());
  std::vector<std::thread> threads;
  std::vector<int> loaded(4, 0);
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        for (const std::string& ticker : source.ListTickers()) {
          auto bars = source.Load(ticker);
          if (bars.ok() && (*bars)->close == series.close) ++loaded[t];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(loaded, (std::vector<int>(4, 40)));
}

}  // namespace
}  // namespace stratrun
