// SqliteRunStore over real SQLite files: runs, events and results round-trip; history filters,
// paging and sorting; migrations; two processes writing one file at once. Also the thin
// RAII layer underneath it (sqlite.h).
#include "store/sqlite_run_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>

#include "store/sqlite.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using TimePoint = std::chrono::system_clock::time_point;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A time the store keeps exactly (it stores milliseconds).
TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

constexpr int64_t kJan15 = 1768473000123;  // 2026-01-15T10:30:00.123Z

RunRecord MakeRun(const std::string& id, const std::string& code = "bullish_breakout", int64_t created_ms = kJan15) {
  RunRecord run;
  run.run_id = id;
  run.strategy_code = code;
  run.plugin_version = "1.2.0";
  run.plugin_sha256 = std::string(64, 'a');
  run.parameters_json = R"({"lookback":20})";
  run.created_at = At(created_ms);
  return run;
}

void ExpectSameRun(const RunRecord& got, const RunRecord& want) {
  EXPECT_EQ(got.run_id, want.run_id);
  EXPECT_EQ(got.strategy_code, want.strategy_code);
  EXPECT_EQ(got.plugin_version, want.plugin_version);
  EXPECT_EQ(got.plugin_sha256, want.plugin_sha256);
  EXPECT_EQ(got.parameters_json, want.parameters_json);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.priority, want.priority);
  EXPECT_EQ(got.source, want.source);
  EXPECT_EQ(got.error_code, want.error_code);
  EXPECT_EQ(got.error_message, want.error_message);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.started_at, want.started_at);
  EXPECT_EQ(got.finished_at, want.finished_at);
  EXPECT_EQ(got.total_items, want.total_items);
  EXPECT_EQ(got.completed_items, want.completed_items);
  EXPECT_EQ(got.result_count, want.result_count);
  EXPECT_EQ(got.passed_count, want.passed_count);
  EXPECT_DOUBLE_EQ(got.progress_percent, want.progress_percent);
  EXPECT_EQ(got.current_stage, want.current_stage);
  EXPECT_EQ(got.owner, want.owner);
  EXPECT_EQ(got.timeout_seconds, want.timeout_seconds);
}

ProgressEvent MakeEvent(const std::string& run_id, uint64_t seq, EventType type = EventType::kTickerCompleted) {
  ProgressEvent e;
  e.seq = seq;
  e.type = type;
  e.run_id = run_id;
  e.timestamp = At(kJan15 + static_cast<int64_t>(seq));
  e.stage = "analysis";
  e.current_item = "T" + std::to_string(seq);
  e.completed_items = static_cast<int64_t>(seq);
  e.total_items = 100;
  e.progress_percent = static_cast<double>(seq);
  e.message = "ticker " + std::to_string(seq);
  e.metrics = {{"rsi", 55.5}};
  return e;
}

ResultRow MakeRow(const std::string& ticker, double score, bool passed, Metrics metrics = {}) {
  ResultRow row;
  row.ticker = ticker;
  row.score = score;
  row.passed = passed;
  row.metrics = std::move(metrics);
  row.reasons = {"reason of " + ticker};
  return row;
}

std::vector<std::string> Tickers(const std::vector<ResultRow>& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.ticker);
  return out;
}

std::vector<std::string> Ids(const std::vector<RunRecord>& runs) {
  std::vector<std::string> out;
  for (const auto& run : runs) out.push_back(run.run_id);
  return out;
}

class RunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = RunStore::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
  }

  RunStore& store() { return *store_; }

  TempDir dir_;
  fs::path path_ = dir_.path() / "nested" / "folder" / "runs.db";  // Open creates the folders
  std::unique_ptr<RunStore> store_;
};

// ---- runs ---------------------------------------------------------------------------------

TEST_F(RunStoreTest, EveryFieldOfARunRoundTrips) {
  RunRecord run = MakeRun("run-1");
  run.status = RunState::kError;
  run.priority = "high";
  run.source = "api";
  run.error_code = "timeout";
  run.error_message = "run exceeded 1800 s";
  run.started_at = At(kJan15 + 1500);
  run.finished_at = At(kJan15 + 65432);
  run.total_items = 500;
  run.completed_items = 227;
  run.result_count = 226;
  run.passed_count = 3;
  run.progress_percent = 45.4;
  run.current_stage = "analysis";
  run.owner = "boot/123/456";
  run.timeout_seconds = 90;
  ASSERT_TRUE(store().CreateRun(run).ok());

  auto got = store().GetRun("run-1");
  ASSERT_TRUE(got.ok()) << got.status().message();
  ASSERT_TRUE(got->has_value());
  ExpectSameRun(**got, run);
}

TEST_F(RunStoreTest, DefaultsRoundTripAndUnsetTimesStayUnset) {
  RunRecord run;
  run.run_id = "bare";
  run.strategy_code = "x";
  ASSERT_TRUE(store().CreateRun(run).ok());
  auto got = store().GetRun("bare");
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectSameRun(**got, run);
  EXPECT_FALSE((*got)->started_at.has_value());
  EXPECT_FALSE((*got)->finished_at.has_value());
}

TEST_F(RunStoreTest, CreatingADuplicateIdIsAlreadyExists) {
  ASSERT_TRUE(store().CreateRun(MakeRun("dup")).ok());
  const Status again = store().CreateRun(MakeRun("dup"));
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "run dup already exists");
}

TEST_F(RunStoreTest, RejectsUnknownPriorityAndSource) {
  RunRecord run = MakeRun("r");
  run.priority = "urgent";
  EXPECT_EQ(store().CreateRun(run).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store().CreateRun(run).field(), "priority");
  run.priority = "low";
  run.source = "cron";
  EXPECT_EQ(store().CreateRun(run).field(), "source");
}

TEST_F(RunStoreTest, GettingAnUnknownRunIsEmptyNotAnError) {
  auto got = store().GetRun("nope");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(RunStoreTest, AUniquePrefixOfARunIdNamesThatRun) {
  for (const char* id : {"511d8056-aaaa", "511d8056-bbbb", "5120ffff-cccc", "511"}) {
    ASSERT_TRUE(store().CreateRun(MakeRun(id)).ok());
  }
  EXPECT_EQ(store().ResolveRunId("5120").value(), "5120ffff-cccc");
  EXPECT_EQ(store().ResolveRunId("511d8056-b").value(), "511d8056-bbbb");
  EXPECT_EQ(store().ResolveRunId("511d8056-aaaa").value(), "511d8056-aaaa");
  EXPECT_EQ(store().ResolveRunId("511").value(), "511") << "an exact id wins over the ids it prefixes";

  auto ambiguous = store().ResolveRunId("511d");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ambiguous.status().field(), "run_id");
  EXPECT_NE(ambiguous.status().message().find("511d8056-aaaa"), std::string::npos) << ambiguous.status().message();
  EXPECT_NE(ambiguous.status().message().find("511d8056-bbbb"), std::string::npos) << ambiguous.status().message();

  auto unknown = store().ResolveRunId("6");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().ResolveRunId("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store().ResolveRunId("%").status().code(), StatusCode::kNotFound) << "no pattern characters";
}

TEST_F(RunStoreTest, UpdateWritesEveryMutableColumnAndCanClearThem) {
  RunRecord run = MakeRun("u");
  ASSERT_TRUE(store().CreateRun(run).ok());

  run.status = RunState::kCancelled;
  run.priority = "low";
  run.error_code = "cancelled";
  run.error_message = "user request";
  run.started_at = At(kJan15 + 10);
  run.finished_at = At(kJan15 + 20);
  run.total_items = 9;
  run.completed_items = 4;
  run.result_count = 4;
  run.passed_count = 1;
  run.progress_percent = 44.4;
  run.current_stage = "scoring";
  run.plugin_version = "1.3.0";
  ASSERT_TRUE(store().UpdateRun(run).ok());
  ExpectSameRun(**store().GetRun("u"), run);

  run.error_code.clear();
  run.error_message.clear();
  run.started_at.reset();
  run.finished_at.reset();
  run.status = RunState::kQueued;
  ASSERT_TRUE(store().UpdateRun(run).ok());
  ExpectSameRun(**store().GetRun("u"), run);
}

TEST_F(RunStoreTest, UpdatingAnUnknownRunIsNotFound) {
  EXPECT_EQ(store().UpdateRun(MakeRun("ghost")).code(), StatusCode::kNotFound);
}

TEST_F(RunStoreTest, ListsNewestFirstWithFiltersAndPaging) {
  // r0 … r9, one second apart; even ones are leap_entry, every third completed.
  for (int i = 0; i < 10; ++i) {
    RunRecord run = MakeRun("r" + std::to_string(i), i % 2 == 0 ? "leap_entry" : "bullish_breakout",
                            kJan15 + i * 1000);
    run.status = i % 3 == 0 ? RunState::kCompleted : RunState::kRunning;
    ASSERT_TRUE(store().CreateRun(run).ok());
  }

  auto all = store().ListRuns({});
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(Ids(*all), (std::vector<std::string>{"r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2", "r1", "r0"}));

  auto page = store().ListRuns({.limit = 3, .offset = 2});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (std::vector<std::string>{"r7", "r6", "r5"}));

  auto completed = store().ListRuns({.status = RunState::kCompleted});
  ASSERT_TRUE(completed.ok());
  EXPECT_EQ(Ids(*completed), (std::vector<std::string>{"r9", "r6", "r3", "r0"}));

  auto leap_completed = store().ListRuns({.status = RunState::kCompleted, .strategy_code = "leap_entry"});
  ASSERT_TRUE(leap_completed.ok());
  EXPECT_EQ(Ids(*leap_completed), (std::vector<std::string>{"r6", "r0"}));

  auto unlimited = store().ListRuns({.strategy_code = "bullish_breakout", .limit = -1, .offset = 3});
  ASSERT_TRUE(unlimited.ok());
  EXPECT_EQ(Ids(*unlimited), (std::vector<std::string>{"r3", "r1"}));

  EXPECT_EQ(*store().CountRuns({}), 10);
  EXPECT_EQ(*store().CountRuns({.status = RunState::kRunning}), 6);
  EXPECT_EQ(*store().CountRuns({.strategy_code = "leap_entry", .limit = 1}), 5);  // limit does not apply
  EXPECT_EQ(*store().CountRuns({.strategy_code = "nothing"}), 0);
}

TEST_F(RunStoreTest, RunsCreatedInTheSameMillisecondListInCreationOrder) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store().CreateRun(MakeRun(id)).ok());
  EXPECT_EQ(Ids(*store().ListRuns({})), (std::vector<std::string>{"c", "b", "a"}));
  const std::array states = {RunState::kQueued};
  EXPECT_EQ(Ids(*store().RunsInStates(states)), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(RunStoreTest, RunsInStatesAreOldestFirst) {
  const RunState states[] = {RunState::kQueued, RunState::kRunning, RunState::kStarting, RunState::kCompleted};
  for (int i = 0; i < 8; ++i) {
    RunRecord run = MakeRun("s" + std::to_string(i), "x", kJan15 - i * 1000);  // s7 is the oldest
    run.status = states[i % 4];
    ASSERT_TRUE(store().CreateRun(run).ok());
  }
  const std::array crashed = {RunState::kRunning, RunState::kStarting};
  auto runs = store().RunsInStates(crashed);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  EXPECT_EQ(Ids(*runs), (std::vector<std::string>{"s6", "s5", "s2", "s1"}));
  EXPECT_TRUE(store().RunsInStates({})->empty());
}

TEST_F(RunStoreTest, AverageDurationOfTheLastCompletedRuns) {
  auto none = store().AverageDurationSeconds("x");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // Durations 10 s, 20 s, 30 s, 40 s finishing in that order, plus runs that must not count.
  for (int i = 1; i <= 4; ++i) {
    RunRecord run = MakeRun("d" + std::to_string(i), "x", kJan15 + i * 100000);
    run.status = RunState::kCompleted;
    run.started_at = run.created_at;
    run.finished_at = run.created_at + std::chrono::seconds(10 * i);
    ASSERT_TRUE(store().CreateRun(run).ok());
  }
  RunRecord failed = MakeRun("f", "x", kJan15);
  failed.status = RunState::kError;
  failed.started_at = At(kJan15);
  failed.finished_at = At(kJan15 + 999000);
  ASSERT_TRUE(store().CreateRun(failed).ok());
  RunRecord other = MakeRun("o", "y", kJan15);
  other.status = RunState::kCompleted;
  other.started_at = At(kJan15);
  other.finished_at = At(kJan15 + 5000);
  ASSERT_TRUE(store().CreateRun(other).ok());

  auto all = store().AverageDurationSeconds("x");
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_TRUE(all->has_value());
  EXPECT_DOUBLE_EQ(**all, 25.0);
  EXPECT_DOUBLE_EQ(**store().AverageDurationSeconds("x", 2), 35.0);  // the last two: 30 s and 40 s
  EXPECT_DOUBLE_EQ(**store().AverageDurationSeconds("y"), 5.0);
}

// ---- events -------------------------------------------------------------------------------

TEST_F(RunStoreTest, EventsAreStoredAsStreamedAndReadAfterASeq) {
  ASSERT_TRUE(store().CreateRun(MakeRun("e")).ok());
  std::vector<ProgressEvent> events;
  events.push_back(MakeEvent("e", 1, EventType::kStarted));
  for (uint64_t seq = 2; seq <= 9; ++seq) events.push_back(MakeEvent("e", seq));
  ProgressEvent done = MakeEvent("e", 10, EventType::kError);
  done.error_code = "plugin_error";
  events.push_back(done);
  ASSERT_TRUE(store().AppendEvents(events).ok());

  auto all = store().Events("e");
  ASSERT_TRUE(all.ok()) << all.status().message();
  ASSERT_EQ(all->size(), 10u);
  for (size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].seq, i + 1);
    EXPECT_EQ((*all)[i].type, events[i].type);
    EXPECT_EQ((*all)[i].json, ToJson(events[i]));
  }

  auto after = store().Events("e", 7);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 3u);
  EXPECT_EQ(after->front().seq, 8u);
  EXPECT_EQ(after->back().type, EventType::kError);

  auto limited = store().Events("e", 2, 3);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 3u);
  EXPECT_EQ(limited->front().seq, 3u);
  EXPECT_EQ(limited->back().seq, 5u);

  EXPECT_TRUE(store().Events("e", 10)->empty());
  EXPECT_EQ(*store().LastSeq("e"), 10u);
  EXPECT_EQ(*store().LastSeq("unknown"), 0u);
  EXPECT_TRUE(store().Events("unknown")->empty());
}

TEST_F(RunStoreTest, AResentSeqIsIgnoredNotDuplicatedAndAnotherEventAtItIsRefused) {
  ASSERT_TRUE(store().CreateRun(MakeRun("e")).ok());
  std::vector<ProgressEvent> first = {MakeEvent("e", 1), MakeEvent("e", 2)};
  ASSERT_TRUE(store().AppendEvents(first).ok());
  std::vector<ProgressEvent> resent = {MakeEvent("e", 2), MakeEvent("e", 3)};
  ASSERT_TRUE(store().AppendEvents(resent).ok());  // the same event again: a retried batch
  std::vector<ProgressEvent> again = {MakeEvent("e", 3), MakeEvent("e", 4)};
  again[0].message = "changed";
  EXPECT_EQ(store().AppendEvents(again).code(), StatusCode::kAlreadyExists);  // a seq is written once
  auto all = store().Events("e");
  ASSERT_EQ(all->size(), 3u) << "nothing of the refused batch is kept";
  EXPECT_EQ((*all)[2].json, ToJson(resent[1]));  // the first copy stays
}

TEST_F(RunStoreTest, EventsOfAnUnknownRunAreNotFoundAndNothingOfTheBatchIsKept) {
  ASSERT_TRUE(store().CreateRun(MakeRun("e")).ok());
  std::vector<ProgressEvent> events = {MakeEvent("e", 1), MakeEvent("ghost", 1)};
  const Status status = store().AppendEvents(events);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("ghost"), std::string::npos) << status.message();
  EXPECT_EQ(*store().LastSeq("e"), 0u);  // one transaction: rolled back as a whole
}

// ---- results ------------------------------------------------------------------------------

class RunStoreResultsTest : public RunStoreTest {
 protected:
  void SetUp() override {
    RunStoreTest::SetUp();
    ASSERT_TRUE(store().CreateRun(MakeRun("r")).ok());
    const std::vector<ResultRow> rows = {
        MakeRow("MSFT", 70, true, {{"rsi", 60}, {"volume_ratio", 1.5}}),
        MakeRow("AAPL", 85, true, {{"rsi", 72}, {"volume_ratio", kNaN}}),
        MakeRow("TSLA", kNaN, false, {}),
        MakeRow("NVDA", 40, false, {{"rsi", 30}, {"volume_ratio", 3.25}}),
        MakeRow("AMZN", 70, false, {{"volume_ratio", 0.5}}),
    };
    ASSERT_TRUE(store().AppendResults("r", rows).ok());
  }

  std::vector<std::string> Sorted(ResultQuery query) {
    auto rows = store().Results("r", query);
    EXPECT_TRUE(rows.ok()) << rows.status().message();
    return rows.ok() ? Tickers(*rows) : std::vector<std::string>{};
  }
};

TEST_F(RunStoreResultsTest, RowsRoundTripWithMetricsInOrderAndNaNKept) {
  auto rows = store().Results("r", {.sort_by = "ticker", .descending = false});
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 5u);
  const ResultRow& aapl = (*rows)[0];
  EXPECT_EQ(aapl.ticker, "AAPL");
  EXPECT_EQ(aapl.score, 85);
  EXPECT_TRUE(aapl.passed);
  ASSERT_EQ(aapl.metrics.size(), 2u);
  EXPECT_EQ(aapl.metrics[0].first, "rsi");
  EXPECT_EQ(aapl.metrics[0].second, 72);
  EXPECT_EQ(aapl.metrics[1].first, "volume_ratio");
  EXPECT_TRUE(std::isnan(aapl.metrics[1].second));
  EXPECT_EQ(aapl.reasons, std::vector<std::string>{"reason of AAPL"});
  const ResultRow& tsla = (*rows)[4];
  EXPECT_EQ(tsla.ticker, "TSLA");
  EXPECT_TRUE(std::isnan(tsla.score));
  EXPECT_TRUE(tsla.metrics.empty());
}

TEST_F(RunStoreResultsTest, MetricValuesRoundTripExactly) {
  const Metrics metrics = {{"z_last_alphabetically", 0.1}, {"a", 1.0 / 3.0}, {"tiny", 5e-324},
                           {"big", 1.7976931348623157e308}, {"neg", -2.5}, {"quoted \"name\"", 7}};
  ASSERT_TRUE(store().AppendResults("r", std::vector<ResultRow>{MakeRow("EXACT", 0.1 + 0.2, true, metrics)}).ok());
  auto rows = store().Results("r", {.sort_by = "ticker", .descending = false});
  ASSERT_TRUE(rows.ok());
  const auto it = std::find_if(rows->begin(), rows->end(), [](const ResultRow& r) { return r.ticker == "EXACT"; });
  ASSERT_NE(it, rows->end());
  EXPECT_EQ(it->score, 0.1 + 0.2);
  EXPECT_EQ(it->metrics, metrics);
}

TEST_F(RunStoreResultsTest, SortsByScoreWithNaNLastInBothDirections) {
  EXPECT_EQ(Sorted({}), (std::vector<std::string>{"AAPL", "AMZN", "MSFT", "NVDA", "TSLA"}));  // ties by ticker
  EXPECT_EQ(Sorted({.descending = false}), (std::vector<std::string>{"NVDA", "AMZN", "MSFT", "AAPL", "TSLA"}));
}

TEST_F(RunStoreResultsTest, SortsByTickerAndByPassed) {
  EXPECT_EQ(Sorted({.sort_by = "ticker", .descending = false}),
            (std::vector<std::string>{"AAPL", "AMZN", "MSFT", "NVDA", "TSLA"}));
  EXPECT_EQ(Sorted({.sort_by = "ticker"}), (std::vector<std::string>{"TSLA", "NVDA", "MSFT", "AMZN", "AAPL"}));
  EXPECT_EQ(Sorted({.sort_by = "passed"}), (std::vector<std::string>{"AAPL", "MSFT", "AMZN", "NVDA", "TSLA"}));
}

TEST_F(RunStoreResultsTest, SortsByAMetricWithRowsLackingItLast) {
  EXPECT_EQ(Sorted({.sort_by = "rsi"}), (std::vector<std::string>{"AAPL", "MSFT", "NVDA", "AMZN", "TSLA"}));
  EXPECT_EQ(Sorted({.sort_by = "rsi", .descending = false}),
            (std::vector<std::string>{"NVDA", "MSFT", "AAPL", "AMZN", "TSLA"}));
  // AAPL's volume_ratio is NaN: it sorts with the rows that have none.
  EXPECT_EQ(Sorted({.sort_by = "volume_ratio"}), (std::vector<std::string>{"NVDA", "MSFT", "AMZN", "AAPL", "TSLA"}));
  EXPECT_EQ(Sorted({.sort_by = "no_such_metric"}),
            (std::vector<std::string>{"AAPL", "AMZN", "MSFT", "NVDA", "TSLA"}));
  auto bad = store().Results("r", {.sort_by = "a\"b"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "sort_by");
}

TEST_F(RunStoreResultsTest, FiltersPassedAndPages) {
  EXPECT_EQ(Sorted({.passed_only = true}), (std::vector<std::string>{"AAPL", "MSFT"}));
  EXPECT_EQ(Sorted({.limit = 2}), (std::vector<std::string>{"AAPL", "AMZN"}));
  EXPECT_EQ(Sorted({.limit = 2, .offset = 2}), (std::vector<std::string>{"MSFT", "NVDA"}));
  EXPECT_EQ(Sorted({.offset = 4}), (std::vector<std::string>{"TSLA"}));
  EXPECT_EQ(Sorted({.passed_only = true, .limit = 1, .offset = 1}), (std::vector<std::string>{"MSFT"}));
  EXPECT_EQ(*store().CountResults("r", false), 5);
  EXPECT_EQ(*store().CountResults("r", true), 2);
  EXPECT_EQ(*store().CountResults("other", false), 0);
}

TEST_F(RunStoreResultsTest, AReportedTickerReplacesItsRow) {
  ASSERT_TRUE(store().AppendResults("r", std::vector<ResultRow>{MakeRow("NVDA", 99, true, {{"rsi", 1}})}).ok());
  EXPECT_EQ(*store().CountResults("r", false), 5);
  EXPECT_EQ(*store().CountResults("r", true), 3);
  auto rows = store().Results("r", {.limit = 1});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().ticker, "NVDA");
  EXPECT_EQ(rows->front().metrics, (Metrics{{"rsi", 1}}));
}

TEST_F(RunStoreResultsTest, ResultsOfAnUnknownRunAreNotFound) {
  EXPECT_EQ(store().AppendResults("ghost", std::vector<ResultRow>{MakeRow("X", 1, true)}).code(),
            StatusCode::kNotFound);
}

// ---- schema and migrations ----------------------------------------------------------------

TEST_F(RunStoreTest, ReopeningKeepsEverything) {
  ASSERT_TRUE(store().CreateRun(MakeRun("keep")).ok());
  ASSERT_TRUE(store().AppendEvents(std::vector<ProgressEvent>{MakeEvent("keep", 1)}).ok());
  ASSERT_TRUE(store().AppendResults("keep", std::vector<ResultRow>{MakeRow("A", 1, true)}).ok());
  store_.reset();

  auto reopened = RunStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  EXPECT_TRUE((*reopened)->GetRun("keep")->has_value());
  EXPECT_EQ(*(*reopened)->LastSeq("keep"), 1u);
  EXPECT_EQ(*(*reopened)->CountResults("keep", false), 1);

  auto db = sqlite::Database::Open(path_);
  ASSERT_TRUE(db.ok());
  auto version = (*db)->Prepare("PRAGMA user_version");
  ASSERT_TRUE(version.ok());
  ASSERT_TRUE(*version->Step());
  EXPECT_EQ(version->Int64(0), kRunStoreSchemaVersion);
  auto mode = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->Text(0), "wal");
}

TEST_F(RunStoreTest, ADatabaseFromANewerStratrunIsRefused) {
  store_.reset();
  {
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = 99").ok());
  }
  auto reopened = RunStore::Open(path_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(reopened.status().message().find("database schema version 99 is newer than this stratrun supports (" +
                                             std::to_string(kRunStoreSchemaVersion) + ")"),
            std::string::npos)
      << reopened.status().message();
}

TEST_F(RunStoreTest, ARunLogOfSchemaVersion1IsMigratedAndKeepsItsRuns) {
  store_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_.string() + suffix);
  {
    // The strategy_run table as schema version 1 created it, with one run in it.
    auto db = sqlite::Database::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec(R"sql(
CREATE TABLE strategy_run (
  run_id TEXT PRIMARY KEY NOT NULL, strategy_code TEXT NOT NULL, plugin_version TEXT NOT NULL DEFAULT '',
  plugin_sha256 TEXT NOT NULL DEFAULT '', parameters_json TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL,
  priority TEXT NOT NULL DEFAULT 'normal', source TEXT NOT NULL DEFAULT 'cli', error_code TEXT, error_message TEXT,
  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, total_items INTEGER NOT NULL DEFAULT 0,
  completed_items INTEGER NOT NULL DEFAULT 0, result_count INTEGER NOT NULL DEFAULT 0,
  passed_count INTEGER NOT NULL DEFAULT 0, progress_percent REAL NOT NULL DEFAULT 0,
  current_stage TEXT NOT NULL DEFAULT '');
INSERT INTO strategy_run (run_id, strategy_code, status, source, created_at)
  VALUES ('old', 'bullish_breakout', 'running', 'api', '2026-01-15T10:30:00.000Z');
PRAGMA user_version = 1;
)sql").ok());
  }
  auto reopened = RunStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  auto old = (*reopened)->GetRun("old");
  ASSERT_TRUE(old.ok() && old->has_value()) << old.status().message();
  EXPECT_EQ((*old)->status, RunState::kRunning);
  EXPECT_EQ((*old)->owner, "") << "unknown: logged before owners were stored";
  EXPECT_FALSE((*old)->timeout_seconds.has_value());
}

TEST_F(RunStoreTest, DeletingARunDeletesItsEventsAndResults) {
  ASSERT_TRUE(store().CreateRun(MakeRun("gone")).ok());
  ASSERT_TRUE(store().AppendEvents(std::vector<ProgressEvent>{MakeEvent("gone", 1)}).ok());
  ASSERT_TRUE(store().AppendResults("gone", std::vector<ResultRow>{MakeRow("A", 1, true)}).ok());
  auto db = sqlite::Database::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("DELETE FROM strategy_run WHERE run_id = 'gone'").ok());
  EXPECT_EQ(*store().LastSeq("gone"), 0u);
  EXPECT_EQ(*store().CountResults("gone", false), 0);
}

TEST(RunStoreOpenTest, AFileThatIsNotADatabaseIsAnErrorNotACrash) {
  TempDir dir;
  const fs::path path = dir.path() / "junk.db";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("this is certainly not an sqlite database, it is just some text that goes on for a while\n", f);
    std::fclose(f);
  }
  auto store = RunStore::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("not a database"), std::string::npos) << store.status().message();
}

// ---- several processes ---------------------------------------------------------------------

/// One writer process: 200 runs with 20 events and 20 results each, then exits 0; any
/// error is printed and exits 1.
int WriteFromChild(const fs::path& path, int child, int start_fd) {
  char go = 0;
  if (read(start_fd, &go, 1) < 0) return 2;  // returns 0 bytes once the parent closes it
  auto opened = RunStore::Open(path);
  if (!opened) {
    std::fprintf(stderr, "child %d: open: %s\n", child, opened.status().message().c_str());
    return 1;
  }
  RunStore& store = **opened;
  for (int i = 0; i < 200; ++i) {
    const std::string id = "c" + std::to_string(child) + "-" + std::to_string(i);
    Status status = store.CreateRun(MakeRun(id, "x", kJan15 + i));
    std::vector<ProgressEvent> events;
    std::vector<ResultRow> rows;
    for (int k = 1; k <= 20; ++k) {
      events.push_back(MakeEvent(id, static_cast<uint64_t>(k)));
      rows.push_back(MakeRow("T" + std::to_string(k), k, k % 2 == 0));
    }
    if (status.ok()) status = store.AppendEvents(events);
    if (status.ok()) status = store.AppendResults(id, rows);
    if (!status.ok()) {
      std::fprintf(stderr, "child %d run %d: %s\n", child, i, status.message().c_str());
      return 1;
    }
  }
  return 0;
}

TEST(RunStoreMultiProcessTest, TwoProcessesWritingOneFileAtOnceLoseNothing) {
  TempDir dir;
  const fs::path path = dir.path() / "shared.db";  // created and migrated by the racing children
  int start[2];
  ASSERT_EQ(pipe(start), 0);
  std::vector<pid_t> children;
  for (int child = 0; child < 2; ++child) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(start[1]);
      _exit(WriteFromChild(path, child, start[0]));
    }
    children.push_back(pid);
  }
  close(start[0]);
  close(start[1]);  // both start now
  for (pid_t pid : children) {
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFEXITED(wstatus)) << "child killed by signal " << WTERMSIG(wstatus);
    EXPECT_EQ(WEXITSTATUS(wstatus), 0);
  }

  auto opened = RunStore::Open(path);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  RunStore& store = **opened;
  EXPECT_EQ(*store.CountRuns({}), 400);
  int complete = 0;
  for (int child = 0; child < 2; ++child) {
    for (int i = 0; i < 200; ++i) {
      const std::string id = "c" + std::to_string(child) + "-" + std::to_string(i);
      const bool present = store.GetRun(id)->has_value();
      const auto events = store.Events(id);
      const bool all_events = events.ok() && events->size() == 20;
      const bool all_rows = *store.CountResults(id, false) == 20 && *store.CountResults(id, true) == 10;
      EXPECT_TRUE(present && all_events && all_rows) << id;
      complete += present && all_events && all_rows ? 1 : 0;
    }
  }
  EXPECT_EQ(complete, 400);
}

// ---- another process holding the write lock ---------------------------------------------

/// Another process's connection (as `sqlite3 runs.db` with `BEGIN IMMEDIATE`) holding the
/// write lock, with one uncommitted run, until Release().
class OutsideWriteLock {
 public:
  explicit OutsideWriteLock(const fs::path& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    EXPECT_EQ(sqlite3_exec(db_,
                           "INSERT INTO strategy_run (run_id, strategy_code, status, created_at) "
                           "VALUES ('outside', 'x', 'queued', '2026-01-15T10:30:00.123Z')",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db_);
  }
  ~OutsideWriteLock() {
    Release();
    sqlite3_close_v2(db_);
  }
  void Release() {
    if (!held_) return;
    held_ = false;
    EXPECT_EQ(sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
  }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = true;
};

/// Far below sqlite::kBusyRetryLimit and the connections' busy timeout: an answer this
/// fast did not wait for the lock.
constexpr auto kReadDeadline = std::chrono::seconds(2);

template <typename Read>
std::chrono::steady_clock::duration Timed(Read read) {
  const auto start = std::chrono::steady_clock::now();
  read();
  return std::chrono::steady_clock::now() - start;
}

TEST_F(RunStoreTest, ReadsAnswerAtOnceWhileAnotherProcessHoldsTheWriteLockAndWritesWaitForIt) {
  ASSERT_TRUE(store().CreateRun(MakeRun("r1")).ok());
  std::vector<ProgressEvent> first = {MakeEvent("r1", 1), MakeEvent("r1", 2)};
  ASSERT_TRUE(store().AppendEvents(first).ok());

  OutsideWriteLock lock(path_);
  // A writer waits for the lock while holding the store's write mutex.
  std::atomic<bool> writing{false};
  std::atomic<bool> written{false};
  Status write_status;
  std::thread writer([&] {
    writing = true;
    write_status = store().CreateRun(MakeRun("r2"));
    std::vector<ProgressEvent> events;
    for (uint64_t seq = 1; seq <= 50 && write_status.ok(); ++seq) events.push_back(MakeEvent("r2", seq));
    if (write_status.ok()) write_status = store().AppendEvents(events);
    std::vector<ProgressEvent> more = {MakeEvent("r1", 3)};
    if (write_status.ok()) write_status = store().AppendEvents(more);
    written = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!writing && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(writing);

  // Several rounds, so that most of them run while the writer is inside CreateRun.
  for (int round = 0; round < 20; ++round) {
    EXPECT_LT(Timed([&] {
                auto run = store().GetRun("r1");
                ASSERT_TRUE(run.ok()) << run.status().message();
                EXPECT_TRUE(run->has_value());
              }),
              kReadDeadline);
    EXPECT_LT(Timed([&] {
                auto events = store().Events("r1");
                ASSERT_TRUE(events.ok()) << events.status().message();
                EXPECT_EQ(events->size(), 2u);  // r1's third event waits behind the lock
              }),
              kReadDeadline);
    EXPECT_LT(Timed([&] {
                auto last = store().LastSeq("r1");
                ASSERT_TRUE(last.ok());
                EXPECT_EQ(*last, 2u);
                EXPECT_EQ(*store().ResolveRunId("r1"), "r1");
                EXPECT_EQ(*store().CountRuns({}), 1);  // neither r2 nor the uncommitted outside run
                EXPECT_EQ(store().ListRuns({})->size(), 1u);
                EXPECT_TRUE(store().Results("r1", {}).ok());
                EXPECT_EQ(*store().CountResults("r1", false), 0);
              }),
              kReadDeadline);
  }
  EXPECT_FALSE(written);  // the write is still waiting for the lock

  lock.Release();
  writer.join();
  ASSERT_TRUE(write_status.ok()) << write_status.message();
  // Nothing written meanwhile was lost, and every committed write is seen at once.
  EXPECT_TRUE(store().GetRun("r2")->has_value());
  EXPECT_TRUE(store().GetRun("outside")->has_value());
  EXPECT_EQ(store().Events("r2")->size(), 50u);
  EXPECT_EQ(*store().LastSeq("r2"), 50u);
  EXPECT_EQ(store().Events("r1")->size(), 3u);
  EXPECT_EQ(*store().CountRuns({}), 3);
}

TEST_F(RunStoreTest, ManyThreadsReadingAndWritingAtOnceSeeEveryCommittedWrite) {
  // More readers than the pool holds, and each write read back at once by its writer.
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < static_cast<int>(SqliteRunStore::kMaxReaders) + 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::string id = "t";
        id.append(std::to_string(t)).append("-").append(std::to_string(i));
        if (!store().CreateRun(MakeRun(id)).ok()) ++failures;
        std::vector<ProgressEvent> events = {MakeEvent(id, 1)};
        if (!store().AppendEvents(events).ok()) ++failures;
        auto run = store().GetRun(id);
        if (!run.ok() || !run->has_value()) ++failures;
        auto stored = store().Events(id);
        if (!stored.ok() || stored->size() != 1) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(*store().CountRuns({}), static_cast<int64_t>((SqliteRunStore::kMaxReaders + 3) * 20));
}

// ---- the SQLite layer ------------------------------------------------------------------------

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sqlite::Database::Open(dir_.path() / "t.db");
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_ = std::move(*db);
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, value REAL)").ok());
  }
  int64_t Count() {
    auto count = db_->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(count.ok() && *count->Step());
    return count->Int64(0);
  }
  TempDir dir_;
  std::unique_ptr<sqlite::Database> db_;
};

TEST_F(SqliteTest, BindsByIndexAndNameAndReadsColumns) {
  auto insert = db_->PrepareCached("INSERT INTO t (id, name, value) VALUES (?1, :name, ?3)");
  ASSERT_TRUE(insert.ok());
  (*insert)->Bind(1, 7).Bind(":name", "seven").Bind(3, 7.5);
  ASSERT_TRUE((*insert)->Run().ok());
  auto select = db_->Prepare("SELECT id, name, value, NULL FROM t");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->Int64(0), 7);
  EXPECT_EQ(select->Text(1), "seven");
  EXPECT_EQ(select->Double(2), 7.5);
  EXPECT_TRUE(select->IsNull(3));
  EXPECT_FALSE(select->OptionalText(3).has_value());
  EXPECT_FALSE(*select->Step());
}

TEST_F(SqliteTest, ErrorsCarrySqlitesMessage) {
  auto bad = db_->Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos) << bad.status().message();

  auto insert = db_->Prepare("INSERT INTO t (id) VALUES (?1)");
  ASSERT_TRUE(insert.ok());
  insert->Bind(1, 1);
  ASSERT_TRUE(insert->Run().ok());
  insert->Reset();
  insert->Bind(1, 1);
  const Status duplicate = insert->Run();
  EXPECT_EQ(duplicate.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(duplicate.message().find("UNIQUE constraint failed"), std::string::npos) << duplicate.message();

  insert->Reset();
  insert->Bind(":nope", 1);
  const Status unknown = insert->Run();
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find(":nope"), std::string::npos);
}

TEST_F(SqliteTest, ATransactionRollsBackUnlessCommitted) {
  {
    auto tx = sqlite::Transaction::Begin(*db_);
    ASSERT_TRUE(tx.ok()) << tx.status().message();
    ASSERT_TRUE(db_->Exec("INSERT INTO t (id) VALUES (1)").ok());
  }
  EXPECT_EQ(Count(), 0);
  {
    auto tx = sqlite::Transaction::Begin(*db_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db_->Exec("INSERT INTO t (id) VALUES (2)").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(Count(), 1);
}

TEST_F(SqliteTest, ALockedDatabaseIsWaitedForNotReported) {
  // Another connection holds the write lock for a while; a short busy timeout makes the
  // explicit retry loop do the waiting.
  auto other = sqlite::Database::Open(dir_.path() / "t.db");
  ASSERT_TRUE(other.ok());
  auto held = sqlite::Transaction::Begin(**other);
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE((*other)->Exec("INSERT INTO t (id) VALUES (1)").ok());

  auto impatient = sqlite::Database::Open(dir_.path() / "t.db", {.busy_timeout = std::chrono::milliseconds(1)});
  ASSERT_TRUE(impatient.ok());
  std::atomic<bool> began{false};
  Status writer_status;
  std::thread writer([&] {
    auto tx = sqlite::Transaction::Begin(**impatient);
    if (!tx) {
      writer_status = tx.status();
      return;
    }
    began = true;
    writer_status = (*impatient)->Exec("INSERT INTO t (id) VALUES (2)");
    if (writer_status.ok()) writer_status = tx->Commit();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(began);  // still waiting for the lock
  ASSERT_TRUE(held->Commit().ok());
  writer.join();
  EXPECT_TRUE(writer_status.ok()) << writer_status.message();
  EXPECT_EQ(Count(), 2);

  // An autocommit statement waits the same way.
  auto held_again = sqlite::Transaction::Begin(**other);
  ASSERT_TRUE(held_again.ok());
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    (void)held_again->Commit();
  });
  EXPECT_TRUE((*impatient)->Exec("INSERT INTO t (id) VALUES (3)").ok());
  releaser.join();
  EXPECT_EQ(Count(), 3);
}

}  // namespace
}  // namespace stratrun
