// The RunStore contract, checked against every implementation (SQLite and PostgreSQL): runs,
// events and results round-trip; history filters, paging and sorting; prefix resolution;
// seq written once; all-or-nothing batches; reopening; two processes and many threads
// writing one store at once. What only one store does is in sqlite_run_store_test.cpp and
// postgres_run_store_test.cpp.
#include "store/run_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>

#include "support/store_backends.h"
#include "support/store_samples.h"

namespace stratrun {
namespace {

using namespace stratrun::testing;  // NOLINT(google-build-using-namespace): samples and backends

class RunStoreContractTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(where_.ok()) << where_.error();
    auto opened = RunStore::Open(where_.location());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
  }

  RunStore& store() { return *store_; }

  StoreLocation where_{GetParam(), "nested/folder/runs.db"};  // SQLite: Open creates the folders
  std::unique_ptr<RunStore> store_;
};

// ---- runs ---------------------------------------------------------------------------------

TEST_P(RunStoreContractTest, EveryFieldOfARunRoundTrips) {
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

TEST_P(RunStoreContractTest, DefaultsRoundTripAndUnsetTimesStayUnset) {
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

TEST_P(RunStoreContractTest, CreatingADuplicateIdIsAlreadyExists) {
  ASSERT_TRUE(store().CreateRun(MakeRun("dup")).ok());
  const Status again = store().CreateRun(MakeRun("dup"));
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.message(), "run dup already exists");
}

TEST_P(RunStoreContractTest, RejectsUnknownPriorityAndSource) {
  RunRecord run = MakeRun("r");
  run.priority = "urgent";
  EXPECT_EQ(store().CreateRun(run).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store().CreateRun(run).field(), "priority");
  run.priority = "low";
  run.source = "cron";
  EXPECT_EQ(store().CreateRun(run).field(), "source");
}

TEST_P(RunStoreContractTest, GettingAnUnknownRunIsEmptyNotAnError) {
  auto got = store().GetRun("nope");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_P(RunStoreContractTest, AUniquePrefixOfARunIdNamesThatRun) {
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

TEST_P(RunStoreContractTest, UpdateWritesEveryMutableColumnAndCanClearThem) {
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

TEST_P(RunStoreContractTest, UpdatingAnUnknownRunIsNotFound) {
  EXPECT_EQ(store().UpdateRun(MakeRun("ghost")).code(), StatusCode::kNotFound);
}

TEST_P(RunStoreContractTest, ListsNewestFirstWithFiltersAndPaging) {
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

TEST_P(RunStoreContractTest, RunsCreatedInTheSameMillisecondListInCreationOrder) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(store().CreateRun(MakeRun(id)).ok());
  EXPECT_EQ(Ids(*store().ListRuns({})), (std::vector<std::string>{"c", "b", "a"}));
  const std::array states = {RunState::kQueued};
  EXPECT_EQ(Ids(*store().RunsInStates(states)), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_P(RunStoreContractTest, RunsInStatesAreOldestFirst) {
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

TEST_P(RunStoreContractTest, AverageDurationOfTheLastCompletedRuns) {
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

TEST_P(RunStoreContractTest, EventsAreStoredAsStreamedAndReadAfterASeq) {
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

TEST_P(RunStoreContractTest, AResentSeqIsIgnoredNotDuplicatedAndAnotherEventAtItIsRefused) {
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

TEST_P(RunStoreContractTest, EventsOfAnUnknownRunAreNotFoundAndNothingOfTheBatchIsKept) {
  ASSERT_TRUE(store().CreateRun(MakeRun("e")).ok());
  std::vector<ProgressEvent> events = {MakeEvent("e", 1), MakeEvent("ghost", 1)};
  const Status status = store().AppendEvents(events);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("ghost"), std::string::npos) << status.message();
  EXPECT_EQ(*store().LastSeq("e"), 0u);  // one transaction: rolled back as a whole
}

// ---- results ------------------------------------------------------------------------------

class RunStoreResultsContractTest : public RunStoreContractTest {
 protected:
  void SetUp() override {
    RunStoreContractTest::SetUp();
    if (HasFatalFailure()) return;
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

TEST_P(RunStoreResultsContractTest, RowsRoundTripWithMetricsInOrderAndNaNKept) {
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

TEST_P(RunStoreResultsContractTest, MetricValuesRoundTripExactly) {
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

TEST_P(RunStoreResultsContractTest, SortsByScoreWithNaNLastInBothDirections) {
  EXPECT_EQ(Sorted({}), (std::vector<std::string>{"AAPL", "AMZN", "MSFT", "NVDA", "TSLA"}));  // ties by ticker
  EXPECT_EQ(Sorted({.descending = false}), (std::vector<std::string>{"NVDA", "AMZN", "MSFT", "AAPL", "TSLA"}));
}

TEST_P(RunStoreResultsContractTest, SortsByTickerAndByPassed) {
  EXPECT_EQ(Sorted({.sort_by = "ticker", .descending = false}),
            (std::vector<std::string>{"AAPL", "AMZN", "MSFT", "NVDA", "TSLA"}));
  EXPECT_EQ(Sorted({.sort_by = "ticker"}), (std::vector<std::string>{"TSLA", "NVDA", "MSFT", "AMZN", "AAPL"}));
  EXPECT_EQ(Sorted({.sort_by = "passed"}), (std::vector<std::string>{"AAPL", "MSFT", "AMZN", "NVDA", "TSLA"}));
}

TEST_P(RunStoreResultsContractTest, SortsByAMetricWithRowsLackingItLast) {
  EXPECT_EQ(Sorted({.sort_by = "rsi"}), (std::vector<std::string>{"AAPL", "MSFT", "NVDA", "AMZN", "TSLA"}));
  EXPECT_EQ(Sorted({.sort_by = "rsi", .descending = false}),
            (std::vector<std::string>{"NVDA", "MSFT", "AAPL", "AMZN", "TSLA"}));
  // AAPL's volume_ratio is NaN: it sorts with the rows that have none.
  EXPECT_EQ(Sorted({.sort_by = "volume_ratio"}), (std::vector<std::string>{"NVDA", "MSFT", "AMZN", "AAPL", "TSLA"}));
  EXPECT_EQ(Sorted({.sort_by = "no_such_metric"}),
            (std::vector<std::string>{"AAPL", "AMZN", "MSFT", "NVDA", "TSLA"}));
}

TEST_P(RunStoreResultsContractTest, FiltersPassedAndPages) {
  EXPECT_EQ(Sorted({.passed_only = true}), (std::vector<std::string>{"AAPL", "MSFT"}));
  EXPECT_EQ(Sorted({.limit = 2}), (std::vector<std::string>{"AAPL", "AMZN"}));
  EXPECT_EQ(Sorted({.limit = 2, .offset = 2}), (std::vector<std::string>{"MSFT", "NVDA"}));
  EXPECT_EQ(Sorted({.offset = 4}), (std::vector<std::string>{"TSLA"}));
  EXPECT_EQ(Sorted({.passed_only = true, .limit = 1, .offset = 1}), (std::vector<std::string>{"MSFT"}));
  EXPECT_EQ(*store().CountResults("r", false), 5);
  EXPECT_EQ(*store().CountResults("r", true), 2);
  EXPECT_EQ(*store().CountResults("other", false), 0);
}

TEST_P(RunStoreResultsContractTest, AReportedTickerReplacesItsRow) {
  ASSERT_TRUE(store().AppendResults("r", std::vector<ResultRow>{MakeRow("NVDA", 99, true, {{"rsi", 1}})}).ok());
  EXPECT_EQ(*store().CountResults("r", false), 5);
  EXPECT_EQ(*store().CountResults("r", true), 3);
  auto rows = store().Results("r", {.limit = 1});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().ticker, "NVDA");
  EXPECT_EQ(rows->front().metrics, (Metrics{{"rsi", 1}}));
}

TEST_P(RunStoreResultsContractTest, ResultsOfAnUnknownRunAreNotFound) {
  EXPECT_EQ(store().AppendResults("ghost", std::vector<ResultRow>{MakeRow("X", 1, true)}).code(),
            StatusCode::kNotFound);
}

// ---- reopening -----------------------------------------------------------------------------

TEST_P(RunStoreContractTest, ReopeningKeepsEverything) {
  ASSERT_TRUE(store().CreateRun(MakeRun("keep")).ok());
  ASSERT_TRUE(store().AppendEvents(std::vector<ProgressEvent>{MakeEvent("keep", 1)}).ok());
  ASSERT_TRUE(store().AppendResults("keep", std::vector<ResultRow>{MakeRow("A", 1, true)}).ok());
  store_.reset();

  auto reopened = RunStore::Open(where_.location());
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  EXPECT_TRUE((*reopened)->GetRun("keep")->has_value());
  EXPECT_EQ(*(*reopened)->LastSeq("keep"), 1u);
  EXPECT_EQ(*(*reopened)->CountResults("keep", false), 1);
}

// ---- several processes ---------------------------------------------------------------------

/// One writer process: 200 runs with 20 events and 20 results each, then exits 0; any
/// error is printed and exits 1.
int WriteFromChild(const std::string& location, int child, int start_fd) {
  char go = 0;
  if (read(start_fd, &go, 1) < 0) return 2;  // returns 0 bytes once the parent closes it
  auto opened = RunStore::Open(location);
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

class RunStoreMultiProcessContractTest : public ::testing::TestWithParam<StoreBackend> {};

TEST_P(RunStoreMultiProcessContractTest, TwoProcessesWritingOneStoreAtOnceLoseNothing) {
  const StoreLocation where(GetParam(), "shared.db");  // created and migrated by the racing children
  ASSERT_TRUE(where.ok()) << where.error();
  int start[2];
  ASSERT_EQ(pipe(start), 0);
  std::vector<pid_t> children;
  for (int child = 0; child < 2; ++child) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(start[1]);
      _exit(WriteFromChild(where.location(), child, start[0]));
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

  auto opened = RunStore::Open(where.location());
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
// ---- many threads --------------------------------------------------------------------------

TEST_P(RunStoreContractTest, ManyThreadsReadingAndWritingAtOnceSeeEveryCommittedWrite) {
  // More threads than either store keeps connections, and each write read back at once by
  // its writer.
  constexpr int kThreads = 7;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
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
  EXPECT_EQ(*store().CountRuns({}), int64_t{kThreads} * 20);
}

// ---- claims and fencing ----------------------------------------------------------------------

TEST_P(RunStoreContractTest, ClaimingARunIsACompareAndSetOfOwnerAndStatus) {
  RunRecord run = MakeRun("c");
  run.status = RunState::kRunning;
  run.owner = "boot/1/100";
  ASSERT_TRUE(store().CreateRun(run).ok());

  RunRecord stale = run;
  stale.owner = "boot/1/999";
  EXPECT_FALSE(*store().ClaimRun(stale, "me")) << "not the stored owner";
  RunRecord queued = run;
  queued.status = RunState::kQueued;
  EXPECT_FALSE(*store().ClaimRun(queued, "me")) << "not the stored status";
  EXPECT_EQ(queued.owner, run.owner);

  RunRecord mine = run;
  auto claimed = store().ClaimRun(mine, "me");
  ASSERT_TRUE(claimed.ok()) << claimed.status().message();
  EXPECT_TRUE(*claimed);
  EXPECT_EQ(mine.owner, "me");
  EXPECT_EQ((*store().GetRun("c"))->owner, "me");
  RunRecord unknown = MakeRun("nobody");
  EXPECT_FALSE(*store().ClaimRun(unknown, "me"));
}

TEST_P(RunStoreContractTest, OnlyTheOwnerWritesARunAndAFencedBatchKeepsNothing) {
  RunRecord run = MakeRun("f");
  run.status = RunState::kRunning;
  run.owner = "first";
  ASSERT_TRUE(store().CreateRun(run).ok());
  RunRecord claim = run;
  ASSERT_TRUE(*store().ClaimRun(claim, "second"));

  RunRecord late = run;  // the first owner, unaware
  late.completed_items = 7;
  const Status update = store().UpdateRun(late);
  EXPECT_EQ(update.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(update.field(), "run_id");
  EXPECT_NE(update.message().find("second"), std::string::npos) << update.message();

  const std::vector<ProgressEvent> events = {MakeEvent("f", 1), MakeEvent("f", 2)};
  const std::vector<ResultRow> rows = {MakeRow("A", 1, true)};
  EXPECT_EQ(store().AppendBatch(late, events, rows).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(*store().LastSeq("f"), 0u) << "nothing of the fenced batch is kept";
  EXPECT_EQ(*store().CountResults("f", false), 0);
  EXPECT_EQ((*store().GetRun("f"))->completed_items, 0);

  ASSERT_TRUE(store().AppendBatch(claim, events, rows).ok()) << "the new owner may";
  EXPECT_EQ(*store().LastSeq("f"), 2u);
  EXPECT_EQ(*store().CountResults("f", false), 1);
}

TEST_P(RunStoreContractTest, ASeqTwiceInOneBatchIsWrittenOnceOrRefusedWhole) {
  ASSERT_TRUE(store().CreateRun(MakeRun("d")).ok());
  const std::vector<ProgressEvent> twice = {MakeEvent("d", 1), MakeEvent("d", 2), MakeEvent("d", 2)};
  ASSERT_TRUE(store().AppendEvents(twice).ok());
  EXPECT_EQ(store().Events("d")->size(), 2u);

  std::vector<ProgressEvent> clash = {MakeEvent("d", 3), MakeEvent("d", 4), MakeEvent("d", 4)};
  clash[2].message = "another event";
  const Status refused = store().AppendEvents(clash);
  EXPECT_EQ(refused.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(refused.field(), "seq");
  EXPECT_EQ(*store().LastSeq("d"), 2u) << "nothing of the refused batch is kept";
}

TEST_P(RunStoreContractTest, EventsOfSeveralRunsInOneBatchAndAnUnknownOneNamed) {
  ASSERT_TRUE(store().CreateRun(MakeRun("a")).ok());
  ASSERT_TRUE(store().CreateRun(MakeRun("b")).ok());
  const std::vector<ProgressEvent> both = {MakeEvent("a", 1), MakeEvent("b", 1), MakeEvent("a", 2)};
  ASSERT_TRUE(store().AppendEvents(both).ok());
  EXPECT_EQ(*store().LastSeq("a"), 2u);
  EXPECT_EQ(*store().LastSeq("b"), 1u);

  const std::vector<ProgressEvent> with_ghost = {MakeEvent("a", 3), MakeEvent("ghost", 1), MakeEvent("b", 2)};
  const Status status = store().AppendEvents(with_ghost);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("ghost"), std::string::npos) << status.message();
  EXPECT_EQ(*store().LastSeq("a"), 2u);
  EXPECT_EQ(*store().LastSeq("b"), 1u);
}

TEST_P(RunStoreResultsContractTest, ATickerTwiceInOneBatchKeepsTheLaterRow) {
  const std::vector<ResultRow> rows = {MakeRow("DUP", 1, false), MakeRow("ONE", 2, false), MakeRow("DUP", 3, true)};
  ASSERT_TRUE(store().AppendResults("r", rows).ok());
  auto stored = store().Results("r", {.sort_by = "ticker", .descending = false});
  ASSERT_TRUE(stored.ok()) << stored.status().message();
  const auto dup = std::find_if(stored->begin(), stored->end(), [](const ResultRow& r) { return r.ticker == "DUP"; });
  ASSERT_NE(dup, stored->end());
  EXPECT_EQ(dup->score, 3);
  EXPECT_TRUE(dup->passed);
  EXPECT_EQ(*store().CountResults("r", false), 7);
}

TEST_P(RunStoreResultsContractTest, ABoundedReadStopsOnceItHoldsMaxBytes) {
  const auto all = store().Results("r", {});
  ASSERT_TRUE(all.ok());
  const size_t first_two = MemoryBytes((*all)[0]) + MemoryBytes((*all)[1]);
  auto page = store().Results("r", {.max_bytes = first_two});
  ASSERT_TRUE(page.ok()) << page.status().message();
  EXPECT_EQ(Tickers(*page), (std::vector<std::string>{"AAPL", "AMZN"}));
  page = store().Results("r", {.max_bytes = first_two + 1});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Tickers(*page), (std::vector<std::string>{"AAPL", "AMZN", "MSFT"})) << "the row that crosses it is kept";
  page = store().Results("r", {.max_bytes = 1});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), 1u) << "at least one row";
}

INSTANTIATE_TEST_SUITE_P(Backends, RunStoreContractTest, kAllStoreBackends, StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Backends, RunStoreResultsContractTest, kAllStoreBackends, StoreBackendName);
INSTANTIATE_TEST_SUITE_P(Backends, RunStoreMultiProcessContractTest, kAllStoreBackends, StoreBackendName);

}  // namespace
}  // namespace stratrun
