// The stratrun binary as a user runs it: list, describe and run, exit codes, and Ctrl-C.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "support/test_support.h"

namespace stratrun {
namespace {

using testing::kBrokenPluginDir;
using testing::kGoodPluginDir;
using testing::RunStratrun;
using testing::StratrunProcess;

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(CliTest, ListShowsBundledPluginsWithCodeNameVersionAbiAndFile) {
  auto r = RunStratrun({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "CODE")) << r.out;
  EXPECT_TRUE(Contains(r.out, "sma_trend")) << r.out;
  EXPECT_TRUE(Contains(r.out, "1.0")) << r.out;
  EXPECT_TRUE(Contains(r.out, "sma_trend.so")) << r.out;
  EXPECT_FALSE(Contains(r.out, "rejected")) << r.out;
}

TEST(CliTest, ListShowsEveryBrokenPluginAsRejectedWithItsReasonAndSucceeds) {
  auto r = RunStratrun({"--plugins", kBrokenPluginDir.string(), "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "rejected:")) << r.out;
  for (const char* line : {"not_elf.so: not an ELF shared library",
                           "missing_entry.so: no entry point",
                           "entry_fails.so: entry point failed",
                           "entry_throws.so: entry point threw",
                           "null_descriptor.so: entry point returned no descriptor",
                           "truncated_descriptor.so: descriptor is 16 bytes",
                           "bad_code.so: strategy code must match",
                           "bad_schema.so: invalid parameter schema",
                           "sdk_describe_throws.so: entry point failed",
                           "abi_major_mismatch.so: plugin ABI 2.0 is not supported by host ABI 1.0",
                           "duplicate_code.so: duplicate strategy code 'sma_trend'"}) {
    EXPECT_TRUE(Contains(r.out, line)) << "missing: " << line << "\n" << r.out;
  }
  EXPECT_TRUE(Contains(r.out, "sma_trend")) << "the bundled plugin must still load";
}

TEST(CliTest, APluginWhoseLoadCrashesIsRejectedByTheNextCommand) {
  testing::TempDir cache;
  const std::vector<std::string> list = {"--plugins", testing::kCrashingPluginDir.string(), "--plugin-cache",
                                         cache.path().string(), "list"};
  auto first = RunStratrun(list);
  EXPECT_NE(first.exit_code, 0) << "crash_on_load kills the process that loads it first";
  auto second = RunStratrun(list);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.out, "crash_on_run")) << second.out;
  EXPECT_TRUE(Contains(second.out, "crash_on_load.so")) << second.out;
  EXPECT_TRUE(Contains(second.out, "loading it killed the process")) << second.out;
}

TEST(CliTest, ListJsonIsMachineReadable) {
  auto r = RunStratrun({"--plugins", kGoodPluginDir.string(), "--plugins", kBrokenPluginDir.string(), "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  std::vector<std::string> codes;
  for (const auto& s : doc["strategies"].GetArray()) codes.emplace_back(s["code"].GetString());
  for (const char* code : {"abi_newer_minor", "c_minimal", "paced", "sma_trend"}) {
    EXPECT_NE(std::find(codes.begin(), codes.end(), code), codes.end()) << code;
  }
  EXPECT_EQ(doc["rejected"].Size(), 11u);
}

TEST(CliTest, PluginPathEnvironmentVariableAddsFolders) {
  auto r = RunStratrun({"list"}, {"STRATRUN_PLUGIN_PATH=" + kGoodPluginDir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "c_minimal")) << r.out;
}

TEST(CliTest, DescribeShowsTheParameterSchemaReadably) {
  auto r = RunStratrun({"describe", "sma_trend"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "parameters:")) << r.out;
  EXPECT_TRUE(Contains(r.out, "window")) << r.out;
  EXPECT_TRUE(Contains(r.out, "integer [2..500]")) << r.out;
  EXPECT_TRUE(Contains(r.out, "default 50")) << r.out;
  EXPECT_TRUE(Contains(r.out, "enum {sp500|all}")) << r.out;
}

TEST(CliTest, DescribeJsonCarriesTheSchema) {
  auto r = RunStratrun({"describe", "sma_trend", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  EXPECT_STREQ(doc["code"].GetString(), "sma_trend");
  ASSERT_TRUE(doc["parameters"].IsArray());
  EXPECT_STREQ(doc["parameters"][0]["name"].GetString(), "window");
  EXPECT_EQ(doc["parameters"][0]["default"].GetInt(), 50);
}

TEST(CliTest, AnUnknownStrategyIsExitCode2WithTheAvailableCodes) {
  for (const char* command : {"describe", "run"}) {
    auto r = RunStratrun({command, "no_such_strategy"});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_TRUE(Contains(r.err, "unknown strategy 'no_such_strategy'")) << r.err;
    EXPECT_TRUE(Contains(r.err, "sma_trend")) << r.err;
  }
}

TEST(CliTest, RunPrintsResultsSortedByScore) {
  auto r = RunStratrun({"run", "sma_trend", "--tickers", "AAPL,MSFT,NVDA,ZZZZ", "--set", "min_score=0", "--output", "csv",
                        "--progress", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "completed")) << r.err;
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < r.out.size();) {
    size_t end = r.out.find('\n', pos);
    lines.push_back(r.out.substr(pos, end - pos));
    pos = end == std::string::npos ? r.out.size() : end + 1;
  }
  ASSERT_EQ(lines.size(), 5u) << r.out;  // header + 4 tickers
  EXPECT_TRUE(lines[0].starts_with("ticker,score,passed")) << lines[0];
  EXPECT_TRUE(lines[4].starts_with("ZZZZ,")) << "a ticker without data sorts last: " << r.out;
  double previous = 1e9;
  for (size_t i = 1; i < 4; ++i) {
    const double score = std::stod(lines[i].substr(lines[i].find(',') + 1));
    EXPECT_LE(score, previous) << r.out;
    previous = score;
  }
}

TEST(CliTest, BadParametersAreExitCode2NamingTheField) {
  auto r = RunStratrun({"run", "sma_trend", "--set", "window=1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "window")) << r.err;
  r = RunStratrun({"run", "sma_trend", "--set", "colour=blue"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "unknown parameter 'colour'")) << r.err;
  r = RunStratrun({"run", "sma_trend", "--set", "require_rising=maybe"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "require_rising")) << r.err;
  r = RunStratrun({"run", "sma_trend", "--set", "window"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "name=value")) << r.err;
}

TEST(CliTest, ProgressJsonPrintsTheSeedsProgressLines) {
  auto r = RunStratrun({"--plugins", kGoodPluginDir.string(), "run", "c_minimal", "--tickers", "AAPL,MSFT",
                        "--progress", "json", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> types;
  for (size_t pos = r.out.find("PROGRESS:"); pos != std::string::npos; pos = r.out.find("PROGRESS:", pos + 1)) {
    const size_t end = r.out.find('\n', pos);
    rapidjson::Document doc;
    doc.Parse(r.out.substr(pos + 9, end - pos - 9).c_str());
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_EQ(doc["seq"].GetUint64(), types.size() + 1);
    types.emplace_back(doc["event_type"].GetString());
  }
  EXPECT_EQ(types, (std::vector<std::string>{"started", "ticker_completed", "ticker_completed", "stage_completed",
                                             "completed"}));
}

/// The run id a `run` printed on stderr ("run <id>: …").
std::string RunIdOf(const std::string& err) {
  size_t at = err.starts_with("run ") ? 0 : err.find("\nrun ");
  if (at == std::string::npos) return "";
  at += err[at] == '\n' ? 5 : 4;
  return err.substr(at, err.find(':', at) - at);
}

TEST(CliTest, CtrlCCancelsARunningRunWithExitCode130AndLogsItCancelledWithItsResults) {
  StratrunProcess process({"--plugins", kGoodPluginDir.string(), "run", "paced", "--set", "events=100000", "--set",
                           "rate_per_second=200", "--progress", "json"});
  ASSERT_TRUE(process.WaitForOutput("\"completed_items\":3,")) << process.Wait().err;
  process.Signal(SIGINT);
  auto r = process.Wait();
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_TRUE(Contains(r.out, "\"event_type\":\"cancelled\"")) << "the run must end through cancellation, not a kill";
  EXPECT_TRUE(Contains(r.err, "cancelled")) << r.err;

  // The run log (the default one, private to this process's XDG_DATA_HOME) has the run,
  // cancelled, with the results it had so far.
  const std::string db = (process.scratch() / "xdg-data" / "stratrun" / "stratrun.db").string();
  const std::string run_id = RunIdOf(r.err);
  auto runs = RunStratrun({"runs", "--db", db, "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  rapidjson::Document doc;
  doc.Parse(runs.out.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 1) << runs.out;
  EXPECT_STREQ(doc[0]["run_id"].GetString(), run_id.c_str());
  EXPECT_STREQ(doc[0]["status"].GetString(), "cancelled");
  const int64_t logged = doc[0]["result_count"].GetInt64();
  EXPECT_GE(logged, 3);
  auto results = RunStratrun({"results", run_id, "--db", db, "--output", "csv"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(std::count(results.out.begin(), results.out.end(), '\n'), logged + 1) << results.out;
}

TEST(CliTest, ARunWhoseProcessIsKilledIsListedInterrupted) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "runs.db").string();
  StratrunProcess process({"--plugins", kGoodPluginDir.string(), "run", "paced", "--db", db, "--set", "events=100000",
                           "--set", "rate_per_second=200", "--progress", "json"});
  ASSERT_TRUE(process.WaitForOutput("\"completed_items\":3,")) << process.Wait().err;

  // While its process lives, another process reading the log leaves the run running (and
  // sees its results arrive).
  testing::CommandResult listed;
  rapidjson::Document doc;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    listed = RunStratrun({"runs", "--db", db, "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    doc.Parse(listed.out.c_str());
    ASSERT_TRUE(doc.IsArray() && doc.Size() == 1) << listed.out;
    ASSERT_STREQ(doc[0]["status"].GetString(), "running");
  } while (doc[0]["result_count"].GetInt64() < 3 && std::chrono::steady_clock::now() < deadline);
  const int64_t logged = doc[0]["result_count"].GetInt64();
  ASSERT_GE(logged, 3) << listed.out;

  process.Signal(SIGKILL);
  EXPECT_EQ(process.Wait().exit_code, 128 + SIGKILL);
  listed = RunStratrun({"runs", "--db", db, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  doc.Parse(listed.out.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 1) << listed.out;
  EXPECT_STREQ(doc[0]["status"].GetString(), "error");
  EXPECT_STREQ(doc[0]["error"]["code"].GetString(), "interrupted") << listed.out;
  EXPECT_GE(doc[0]["result_count"].GetInt64(), logged) << "the results logged before the kill are kept";
}

TEST(CliTest, EveryRunIsLoggedAndItsResultsCanBeReadBack) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "runs.db").string();
  auto run = RunStratrun({"run", "sma_trend", "--tickers", "AAPL,MSFT,NVDA", "--db", db, "--output", "csv",
                          "--progress", "none", "--set", "min_score=0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string run_id = RunIdOf(run.err);
  ASSERT_EQ(run_id.size(), 36u) << run.err;
  EXPECT_TRUE(Contains(run.err, "SYNTHETIC")) << "a run on the sample data says so: " << run.err;

  auto listed = RunStratrun({"runs", "--db", db});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(Contains(listed.out, run_id)) << listed.out;
  EXPECT_TRUE(Contains(listed.out, "completed")) << listed.out;

  auto results = RunStratrun({"results", run_id, "--db", db, "--output", "csv"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(results.out, run.out) << "the logged results are the ones the run printed";

  auto passed = RunStratrun({"results", run_id, "--db", db, "--passed", "--output", "json"});
  ASSERT_EQ(passed.exit_code, 0);
  rapidjson::Document doc;
  doc.Parse(passed.out.c_str());
  ASSERT_TRUE(doc.IsArray()) << passed.out;
  for (const auto& row : doc.GetArray()) EXPECT_TRUE(row["passed"].GetBool());

  auto unknown = RunStratrun({"results", "no-such-run", "--db", db});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(Contains(unknown.err, "unknown run 'no-such-run'")) << unknown.err;
  auto bad_status = RunStratrun({"runs", "--db", db, "--status", "finished"});
  EXPECT_EQ(bad_status.exit_code, 2);
  EXPECT_TRUE(Contains(bad_status.err, "unknown status 'finished'")) << bad_status.err;
}

TEST(CliTest, AMissingDataFolderIsExitCode2) {
  auto r = RunStratrun({"run", "sma_trend", "--data", "/nonexistent/market-data"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "data folder /nonexistent/market-data does not exist")) << r.err;
}

TEST(CliTest, UnknownTickersAreReportedPerTickerNotFatal) {
  auto r = RunStratrun({"run", "sma_trend", "--tickers", "AAPL,ZZZZ", "--output", "json", "--progress", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 2) << r.out;
  EXPECT_STREQ(doc[1]["ticker"].GetString(), "ZZZZ");
  EXPECT_TRUE(Contains(doc[1]["reasons"][0].GetString(), "no data")) << r.out;
}

TEST(CliTest, WithNoDataConfiguredTheFirstRunGeneratesTheSyntheticSampleAndSaysSo) {
  StratrunProcess first({"run", "sma_trend", "--tickers", "AAPL", "--progress", "none"}, {"STRATRUN_DATA_DIR="});
  auto r = first.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "generated a SYNTHETIC sample universe")) << r.err;
  const auto dir = first.scratch() / "xdg-data" / "stratrun" / "data";
  EXPECT_TRUE(std::filesystem::exists(dir / "AAPL.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "MSFT.csv"));
  EXPECT_TRUE(Contains(r.out, "AAPL")) << r.out;
}

TEST(CliTest, DataSynthWritesADeterministicUniverse) {
  testing::TempDir dir;
  auto a = RunStratrun({"data", "synth", "--out", (dir.path() / "a").string(), "--tickers", "5", "--days", "100"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto b = RunStratrun({"data", "synth", "--out", (dir.path() / "b").string(), "--tickers", "3", "--days", "100"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "a")) files += entry.path().extension() == ".csv";
  EXPECT_EQ(files, 5u);
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string aapl_a = slurp(dir.path() / "a" / "AAPL.csv");
  EXPECT_TRUE(aapl_a.starts_with("Date,Open,High,Low,Close,Adj Close,Volume")) << aapl_a.substr(0, 80);
  EXPECT_EQ(std::count(aapl_a.begin(), aapl_a.end(), '\n'), 101);
  EXPECT_EQ(aapl_a, slurp(dir.path() / "b" / "AAPL.csv")) << "a ticker's series does not depend on the others";

  auto both = RunStratrun({"data", "synth", "--out", (dir.path() / "c").string(), "--tickers", "3", "--universe", "sp500"});
  EXPECT_EQ(both.exit_code, 2);
  auto no_out = RunStratrun({"data", "synth"});
  EXPECT_EQ(no_out.exit_code, 2);
}

}  // namespace
}  // namespace stratrun
