// ResultsToCsv: what a spreadsheet or a CSV reader gets from a results download.
#include "progress/result_csv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

namespace stratrun {
namespace {

ResultRow Row(std::string ticker, double score, Metrics metrics = {}, std::vector<std::string> reasons = {}) {
  return {.ticker = std::move(ticker), .score = score, .passed = score > 50, .metrics = std::move(metrics),
          .reasons = std::move(reasons)};
}

TEST(ResultCsvTest, NumbersReadBackExactly) {
  const std::vector<double> values = {95563176, 171.165, 0.1, 1.0 / 3, -2.5e-7, 1e300, 123456789012345678.0, 0};
  Metrics metrics;
  for (size_t i = 0; i < values.size(); ++i) metrics.emplace_back("m" + std::to_string(i), values[i]);
  const std::string csv = ResultsToCsv({Row("AAPL", 171.165, metrics)});
  EXPECT_NE(csv.find(",95563176,"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",171.165,"), std::string::npos) << csv;

  const std::string line = csv.substr(csv.find('\n') + 1);
  std::vector<std::string> cells;
  for (size_t start = 0, comma;; start = comma + 1) {
    comma = line.find_first_of(",\n", start);
    cells.push_back(line.substr(start, comma - start));
    if (line[comma] == '\n') break;
  }
  ASSERT_EQ(cells.size(), 3 + values.size() + 1) << csv;
  EXPECT_EQ(std::strtod(cells[1].c_str(), nullptr), 171.165);
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(std::strtod(cells[3 + i].c_str(), nullptr), values[i]) << "cell '" << cells[3 + i] << "'";
  }
}

TEST(ResultCsvTest, NotANumberIsAnEmptyCell) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ResultsToCsv({Row("ZZZZ", nan, {{"rsi", inf}})}), "ticker,score,passed,rsi,reasons\nZZZZ,,false,,\n");
}

TEST(ResultCsvTest, CellsASpreadsheetWouldRunAsAFormulaAreText) {
  const std::string csv = ResultsToCsv({Row("=A1", 60, {{"=1-2", -3.5}, {"@SUM(A1)", 1}},
                                            {"=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0"}),
                                        Row("-1", 10, {}, {"\tTAB", "plain"}), Row("\rCR", 10)});
  EXPECT_EQ(csv,
            "ticker,score,passed,\"'=1-2\",\"'@SUM(A1)\",reasons\n"
            "\"'=A1\",60,true,-3.5,1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\"); +cmd|' /C calc'!A0\"\n"
            "\"'-1\",10,false,,,\"'\tTAB; plain\"\n"
            "\"'\rCR\",10,false,,,\n")
      << "numbers the host writes (-3.5) stay numbers; text starting = + - @ tab CR is quoted behind a '";
}

TEST(ResultCsvTest, QuotesFieldsWithCommasQuotesAndNewlines) {
  EXPECT_EQ(ResultsToCsv({Row("BRK.B", 1, {}, {"a, b", "say \"hi\"\nthere"})}),
            "ticker,score,passed,reasons\nBRK.B,1,false,\"a, b; say \"\"hi\"\"\nthere\"\n");
}

TEST(ResultCsvTest, TablesShowSixSignificantDigits) {
  EXPECT_EQ(FormatNumber(95563176), "95563176");
  EXPECT_EQ(FormatNumber(-3), "-3");
  EXPECT_EQ(FormatNumber(1234.56789), "1234.57");
  EXPECT_EQ(FormatNumber(1e20), "1e+20");
  EXPECT_EQ(FormatNumber(171.165), "171.165");
  EXPECT_EQ(FormatNumber(std::nan("")), "");
}

}  // namespace
}  // namespace stratrun
