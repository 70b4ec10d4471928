// A run's results as a CSV file a trader opens in a spreadsheet: every number reads back
// as the run log has it, and nothing in it runs as a formula.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include "support/test_support.h"

namespace stratrun {
namespace {

using testing::RunStratrun;

/// One CSV line split at commas outside quotes; quotes are kept off the cells.
std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> cells(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') cells.back() += line[++i];
      else quoted = !quoted;
    } else if (c == ',' && !quoted) {
      cells.emplace_back();
    } else {
      cells.back() += c;
    }
  }
  return cells;
}

TEST(CsvExportTest, ResultsAsCsvCarryEveryDigitAndNoFormula) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "runs.db").string();
  auto run = RunStratrun({"run", "bullish_breakout", "--tickers", "AAPL,MSFT,NVDA,=A1,=1-2", "--db", db,
                          "--output", "json", "--progress", "none"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  rapidjson::Document json;
  json.Parse<rapidjson::kParseFullPrecisionFlag>(run.out.c_str());
  ASSERT_TRUE(json.IsArray() && json.Size() == 5) << run.out;

  size_t id_at = run.err.starts_with("run ") ? 0 : run.err.find("\nrun ");  // a line "run <id>: …"
  ASSERT_NE(id_at, std::string::npos) << run.err;
  const std::string run_id = run.err.substr(id_at + (id_at ? 5 : 4), 36);
  auto csv = RunStratrun({"results", run_id, "--db", db, "--output", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;

  std::istringstream lines(csv.out);
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const std::vector<std::string> header = SplitCsvLine(line);
  std::map<std::string, std::vector<std::string>> by_ticker;
  while (std::getline(lines, line)) {
    auto cells = SplitCsvLine(line);
    ASSERT_EQ(cells.size(), header.size()) << line;
    by_ticker[cells[0]] = cells;
  }
  EXPECT_TRUE(by_ticker.count("'=A1")) << "a formula-like ticker is quoted behind a ': " << csv.out;
  EXPECT_TRUE(by_ticker.count("'=1-2")) << csv.out;

  size_t compared = 0;
  for (const auto& row : json.GetArray()) {
    const std::string ticker = row["ticker"].GetString();
    if (ticker.front() == '=') continue;
    ASSERT_TRUE(by_ticker.count(ticker)) << ticker << " missing from\n" << csv.out;
    const auto& cells = by_ticker[ticker];
    for (size_t c = 3; c + 1 < header.size(); ++c) {
      const auto& metric = row["metrics"][header[c].c_str()];
      if (metric.IsNull()) {
        EXPECT_EQ(cells[c], "") << ticker << " " << header[c];
        continue;
      }
      EXPECT_EQ(std::strtod(cells[c].c_str(), nullptr), metric.GetDouble())
          << ticker << " " << header[c] << ": csv '" << cells[c] << "'";
      ++compared;
    }
  }
  EXPECT_GT(compared, 30u) << "bullish_breakout reports a dozen metrics per ticker";
  EXPECT_EQ(csv.out.find("e+0"), std::string::npos) << "volumes are whole numbers, written in full: " << csv.out;
}

}  // namespace
}  // namespace stratrun
