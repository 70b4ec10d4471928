// PostgresRunStore on the test server — what only the PostgreSQL store does: naming an
// unreachable server without its password, versioned migrations that several instances
// starting at once apply once, several stores (processes) on one database, a ClaimRun race,
// metric names that are not SQL, reads beside another session's open transaction, a
// connection the server closed. Also the thin libpq layer underneath it (pg.h). The
// RunStore contract both stores keep is in run_store_contract_test.cpp.
#include "store/postgres_run_store.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <latch>
#include <limits>
#include <thread>

#include "store/pg.h"
#include "support/pg_cluster.h"
#include "support/store_samples.h"

namespace stratrun {
namespace {

using namespace stratrun::testing;  // NOLINT(google-build-using-namespace): samples and the cluster

/// A fresh database, a store on it, and a connection of the test's own for looking under
/// the store.
class PostgresRunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.ok()) << db_.error();
    auto opened = RunStore::Open(db_.uri());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
  }

  RunStore& store() { return *store_; }

  /// A connection to the test database, for SQL the store would never run.
  std::unique_ptr<pg::Connection> Connect() {
    auto db = pg::Connection::Open(db_.uri());
    EXPECT_TRUE(db.ok()) << db.status().message();
    return db.ok() ? std::move(*db) : nullptr;
  }

  ScopedPgDatabase db_;
  std::unique_ptr<RunStore> store_;
};

// ---- opening -------------------------------------------------------------------------------

TEST(PostgresRunStoreOpenTest, PostgresLocationsAreTheSchemesLibpqReads) {
  EXPECT_TRUE(IsPostgresLocation("postgresql://db.example/runs"));
  EXPECT_TRUE(IsPostgresLocation("postgres://db.example/runs"));
  EXPECT_TRUE(IsPostgresLocation("postgresql:///runs?host=/run/postgresql"));
  EXPECT_FALSE(IsPostgresLocation("/var/lib/stratrun/runs.db"));
  EXPECT_FALSE(IsPostgresLocation("runs.db"));
  EXPECT_FALSE(IsPostgresLocation("file:///var/lib/stratrun/runs.db"));
  EXPECT_FALSE(IsPostgresLocation("postgresql:/runs"));
}

TEST(PostgresRunStoreOpenTest, AnUnreachableServerIsUnavailableAndItsPasswordIsNeverShown) {
  // Nothing listens on TCP port 1, nor on a socket in a folder that does not exist.
  const std::string tcp = "postgresql://stratrun:s3cret-pw@127.0.0.1:1/runs?connect_timeout=5";
  auto refused = RunStore::Open(tcp);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  const std::string& message = refused.status().message();
  EXPECT_TRUE(message.starts_with("cannot connect to PostgreSQL at postgresql://stratrun@127.0.0.1:1/runs"
                                  "?connect_timeout=5: "))
      << message;
  EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << "libpq's own words follow: " << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;

  const std::string socket = "postgres:///runs?host=/nonexistent/stratrun-test&password=s3cret-pw&user=stratrun";
  auto missing = RunStore::Open(socket);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(missing.status().message().starts_with(
      "cannot connect to PostgreSQL at postgres:///runs?host=/nonexistent/stratrun-test&user=stratrun: "))
      << missing.status().message();
  EXPECT_EQ(missing.status().message().find("s3cret"), std::string::npos) << missing.status().message();
}

TEST(PostgresRunStoreOpenTest, AnUnreadableUriIsInvalidArgument) {
  auto bad = RunStore::Open("postgresql://db.example/runs?no_such_option=1&password=s3cret");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("no_such_option"), std::string::npos) << bad.status().message();
  EXPECT_EQ(bad.status().message().find("s3cret"), std::string::npos) << bad.status().message();
}

// ---- schema and migrations ----------------------------------------------------------------

TEST_F(PostgresRunStoreTest, EachMigrationIsRecordedOnce) {
  auto db = Connect();
  ASSERT_NE(db, nullptr);
  auto versions = db->Exec("SELECT version FROM schema_version ORDER BY version");
  ASSERT_TRUE(versions.ok()) << versions.status().message();
  ASSERT_EQ(versions->size(), kPostgresSchemaVersion);
  for (int i = 0; i < versions->size(); ++i) EXPECT_EQ(versions->Int64(i, 0), i + 1);
}

TEST_F(PostgresRunStoreTest, ADatabaseFromANewerStratrunIsRefused) {
  store_.reset();
  auto db = Connect();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("INSERT INTO schema_version (version) VALUES (99)").ok());
  auto reopened = RunStore::Open(db_.uri());
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(reopened.status().message().find("database schema version 99 is newer than this stratrun supports (" +
                                             std::to_string(kPostgresSchemaVersion) + ")"),
            std::string::npos)
      << reopened.status().message();
}

TEST(PostgresRunStoreMigrationTest, ThreeStoresOpeningAFreshDatabaseAtOnceMigrateItOnce) {
  for (int round = 0; round < 3; ++round) {
    ScopedPgDatabase db;
    ASSERT_TRUE(db.ok()) << db.error();
    std::latch start(3);
    std::vector<Status> statuses(3);
    std::vector<std::unique_ptr<RunStore>> stores(3);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < 3; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto opened = RunStore::Open(db.uri());
        if (opened) {
          stores[i] = std::move(*opened);
        } else {
          statuses[i] = opened.status();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (const Status& status : statuses) EXPECT_TRUE(status.ok()) << status.message();
    auto check = pg::Connection::Open(db.uri());
    ASSERT_TRUE(check.ok()) << check.status().message();
    auto versions = (*check)->Exec("SELECT count(*), count(DISTINCT version), max(version) FROM schema_version");
    ASSERT_TRUE(versions.ok()) << versions.status().message();
    EXPECT_EQ(versions->Int64(0, 0), kPostgresSchemaVersion) << "each migration applied once";
    EXPECT_EQ(versions->Int64(0, 1), kPostgresSchemaVersion);
    EXPECT_EQ(versions->Int64(0, 2), kPostgresSchemaVersion);
    // And the stores work on what was made.
    for (size_t i = 0; i < stores.size(); ++i) {
      ASSERT_NE(stores[i], nullptr);
      EXPECT_TRUE(stores[i]->CreateRun(MakeRun("r" + std::to_string(i))).ok());
    }
    EXPECT_EQ(*stores[0]->CountRuns({}), 3);
  }
}

// ---- several stores on one database --------------------------------------------------------

TEST_F(PostgresRunStoreTest, TwoStoresOnOneDatabaseSeeEachOthersWritesAtOnce) {
  auto other_opened = RunStore::Open(db_.uri());  // as another stratrun process would
  ASSERT_TRUE(other_opened.ok()) << other_opened.status().message();
  RunStore& other = **other_opened;

  RunRecord run = MakeRun("shared");
  ASSERT_TRUE(store().CreateRun(run).ok());
  ASSERT_TRUE(other.GetRun("shared")->has_value());
  EXPECT_EQ(other.CreateRun(run).code(), StatusCode::kAlreadyExists);

  ASSERT_TRUE(other.AppendEvents(std::vector<ProgressEvent>{MakeEvent("shared", 1), MakeEvent("shared", 2)}).ok());
  EXPECT_EQ(*store().LastSeq("shared"), 2u);
  ASSERT_TRUE(store().AppendResults("shared", std::vector<ResultRow>{MakeRow("A", 1, true)}).ok());
  EXPECT_EQ(*other.CountResults("shared", true), 1);

  run.status = RunState::kCompleted;
  run.finished_at = At(kJan15 + 5000);
  ASSERT_TRUE(other.UpdateRun(run).ok());
  ExpectSameRun(**store().GetRun("shared"), run);
  EXPECT_EQ(store().ResolveRunId("sha").value(), "shared");
}

TEST(PostgresRunStoreClaimTest, OfTwoStoresClaimingARunAtOnceExactlyOneWins) {
  ScopedPgDatabase db;
  ASSERT_TRUE(db.ok()) << db.error();
  auto first = RunStore::Open(db.uri());
  auto second = RunStore::Open(db.uri());
  ASSERT_TRUE(first.ok() && second.ok());
  constexpr int kRuns = 40;
  for (int i = 0; i < kRuns; ++i) {
    RunRecord run = MakeRun("orphan-" + std::to_string(i));
    run.status = RunState::kRunning;
    run.owner = "crashed";
    ASSERT_TRUE((*first)->CreateRun(run).ok());
  }
  std::barrier round(2);
  std::vector<std::array<int, 2>> wins(kRuns, {0, 0});
  std::atomic<int> errors{0};
  const auto recover = [&](RunStore& store, int who) {
    for (int i = 0; i < kRuns; ++i) {
      RunRecord run = MakeRun("orphan-" + std::to_string(i));  // as RunsInStates read it
      run.status = RunState::kRunning;
      run.owner = "crashed";
      round.arrive_and_wait();  // both claim each run at the same moment
      auto claimed = store.ClaimRun(run, "recoverer-" + std::to_string(who));
      if (!claimed.ok()) ++errors;
      if (claimed.ok() && *claimed) wins[static_cast<size_t>(i)][static_cast<size_t>(who)] = 1;
    }
  };
  std::thread a(recover, std::ref(**first), 0);
  std::thread b(recover, std::ref(**second), 1);
  a.join();
  b.join();
  EXPECT_EQ(errors, 0);
  for (int i = 0; i < kRuns; ++i) {
    const auto& [w0, w1] = wins[static_cast<size_t>(i)];
    EXPECT_EQ(w0 + w1, 1) << "run " << i << ": exactly one claim wins";
    const std::string winner = "recoverer-" + std::to_string(w0 == 1 ? 0 : 1);
    EXPECT_EQ((*(*first)->GetRun("orphan-" + std::to_string(i)))->owner, winner);
  }
  // The loser is fenced off.
  RunRecord lost = **(*first)->GetRun("orphan-0");
  lost.owner = wins[0][0] == 1 ? "recoverer-1" : "recoverer-0";
  EXPECT_EQ((*second)->UpdateRun(lost).code(), StatusCode::kFailedPrecondition);
}

// ---- results -------------------------------------------------------------------------------

TEST_F(PostgresRunStoreTest, AMetricNameWithQuotesOrSqlInItSortsAndHarmsNothing) {
  ASSERT_TRUE(store().CreateRun(MakeRun("r")).ok());
  const std::vector<std::string> names = {"a\"b", "x'); DROP TABLE strategy_result; --", "$1", "back\\slash",
                                          "\" || (SELECT 1) || \""};
  std::vector<ResultRow> rows;
  for (int i = 0; i < 3; ++i) {
    Metrics metrics;
    for (const auto& name : names) metrics.emplace_back(name, static_cast<double>(i));
    rows.push_back(MakeRow("T" + std::to_string(i), 0, true, metrics));
  }
  rows.push_back(MakeRow("NONE", 0, true, {{names[0], kNaN}}));  // null: sorts last
  ASSERT_TRUE(store().AppendResults("r", rows).ok());
  for (const auto& name : names) {
    auto sorted = store().Results("r", {.sort_by = name});
    ASSERT_TRUE(sorted.ok()) << name << ": " << sorted.status().message();
    EXPECT_EQ(Tickers(*sorted), (std::vector<std::string>{"T2", "T1", "T0", "NONE"})) << name;
    sorted = store().Results("r", {.sort_by = name, .descending = false});
    ASSERT_TRUE(sorted.ok());
    EXPECT_EQ(Tickers(*sorted), (std::vector<std::string>{"T0", "T1", "T2", "NONE"})) << name;
  }
  EXPECT_EQ(*store().CountResults("r", false), 4) << "the table is still there, rows and all";
  auto metrics = store().Results("r", {.sort_by = "ticker", .descending = false, .limit = 1});
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->front().metrics.size(), 1u);
  EXPECT_EQ(metrics->front().metrics[0].first, names[0]);
}

// ---- other sessions --------------------------------------------------------------------------

TEST_F(PostgresRunStoreTest, DeletingARunDeletesItsEventsAndResults) {
  ASSERT_TRUE(store().CreateRun(MakeRun("gone")).ok());
  ASSERT_TRUE(store().AppendEvents(std::vector<ProgressEvent>{MakeEvent("gone", 1)}).ok());
  ASSERT_TRUE(store().AppendResults("gone", std::vector<ResultRow>{MakeRow("A", 1, true)}).ok());
  auto db = Connect();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("DELETE FROM strategy_run WHERE run_id = 'gone'").ok());
  EXPECT_EQ(*store().LastSeq("gone"), 0u);
  EXPECT_EQ(*store().CountResults("gone", false), 0);
}

/// Far below any lock wait: an answer this fast did not wait for a lock.
constexpr auto kReadDeadline = std::chrono::seconds(2);

template <typename Read>
std::chrono::steady_clock::duration Timed(Read read) {
  const auto start = std::chrono::steady_clock::now();
  read();
  return std::chrono::steady_clock::now() - start;
}

TEST_F(PostgresRunStoreTest, ReadsAnswerAtOnceBesideAnotherSessionsOpenWriteAndWritesWaitForIt) {
  ASSERT_TRUE(store().CreateRun(MakeRun("r1")).ok());
  ASSERT_TRUE(store().AppendEvents(std::vector<ProgressEvent>{MakeEvent("r1", 1), MakeEvent("r1", 2)}).ok());

  // Another session's uncommitted writes: a new run, and r1's row changed (so locked).
  auto outside = Connect();
  ASSERT_NE(outside, nullptr);
  ASSERT_TRUE(outside->Exec("BEGIN").ok());
  ASSERT_TRUE(outside
                  ->Exec("INSERT INTO strategy_run (run_id, strategy_code, status, created_at) "
                         "VALUES ('outside', 'x', 'queued', '2026-01-15T10:30:00.123Z')")
                  .ok());
  ASSERT_TRUE(outside->Exec("UPDATE strategy_run SET current_stage = 'outside' WHERE run_id = 'r1'").ok());

  std::atomic<bool> written{false};
  Status write_status;
  RunRecord update = MakeRun("r1");
  update.completed_items = 42;
  std::thread writer([&] {
    write_status = store().UpdateRun(update);  // waits for r1's row
    written = true;
  });
  // Wait until the writer is waiting on the lock (as the server sees it).
  auto probe = Connect();
  ASSERT_NE(probe, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool waiting = false;
  while (!waiting && std::chrono::steady_clock::now() < deadline) {
    auto locks = probe->Exec(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
    waiting = locks.ok() && locks->Int64(0, 0) > 0;
    if (!waiting) std::this_thread::yield();
  }
  ASSERT_TRUE(waiting) << "the update never waited for the row";

  for (int round = 0; round < 10; ++round) {
    EXPECT_LT(Timed([&] {
                auto run = store().GetRun("r1");
                ASSERT_TRUE(run.ok() && run->has_value()) << run.status().message();
                EXPECT_EQ((*run)->current_stage, "") << "the uncommitted change is not seen";
                EXPECT_EQ(store().Events("r1")->size(), 2u);
                EXPECT_EQ(*store().CountRuns({}), 1);
                EXPECT_EQ(*store().ResolveRunId("r"), "r1");
              }),
              kReadDeadline);
  }
  EXPECT_FALSE(written);

  ASSERT_TRUE(outside->Exec("COMMIT").ok());
  writer.join();
  ASSERT_TRUE(write_status.ok()) << write_status.message();
  EXPECT_EQ((*store().GetRun("r1"))->completed_items, 42);
  EXPECT_TRUE(store().GetRun("outside")->has_value());
  EXPECT_EQ(*store().CountRuns({}), 2);
}

TEST_F(PostgresRunStoreTest, ConnectionsTheServerClosedAreReplacedBeforeUse) {
  // Several threads at once, so the store holds several idle connections.
  std::vector<std::thread> threads;
  for (int t = 0; t < static_cast<int>(PostgresRunStore::kMaxConnections); ++t) {
    threads.emplace_back([&, t] { EXPECT_TRUE(store().CreateRun(MakeRun("t" + std::to_string(t))).ok()); });
  }
  for (auto& thread : threads) thread.join();

  // As a server restart or an idle timeout would: end every session of the store.
  auto admin = Connect();
  ASSERT_NE(admin, nullptr);
  auto ended = admin->Exec(
      "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
      "WHERE datname = current_database() AND pid <> pg_backend_pid()) AS t");
  ASSERT_TRUE(ended.ok()) << ended.status().message();
  ASSERT_GE(ended->Int64(0, 0), 1);

  for (int i = 0; i < 2 * static_cast<int>(PostgresRunStore::kMaxConnections); ++i) {
    auto count = store().CountRuns({});
    ASSERT_TRUE(count.ok()) << "after the server closed the connection: " << count.status().message();
    EXPECT_EQ(*count, static_cast<int64_t>(PostgresRunStore::kMaxConnections));
  }
  EXPECT_TRUE(store().CreateRun(MakeRun("after")).ok());
}

// ---- the libpq layer -------------------------------------------------------------------------

TEST(PostgresUriTest, RedactedUriTakesOutEveryPassword) {
  EXPECT_EQ(pg::RedactedUri("postgresql://u:pw@host:5432/db"), "postgresql://u@host:5432/db");
  EXPECT_EQ(pg::RedactedUri("postgres://u@host/db"), "postgres://u@host/db");
  EXPECT_EQ(pg::RedactedUri("postgresql://host/db"), "postgresql://host/db");
  EXPECT_EQ(pg::RedactedUri("postgresql://u:p%40ss?x@host/db?sslmode=require"),
            "postgresql://u@host/db?sslmode=require");
  EXPECT_EQ(pg::RedactedUri("postgresql:///db?host=/tmp&password=pw&user=u"), "postgresql:///db?host=/tmp&user=u");
  EXPECT_EQ(pg::RedactedUri("postgresql:///db?password=pw"), "postgresql:///db");
  EXPECT_EQ(pg::RedactedUri("postgresql:///db?user=u&password=pw"), "postgresql:///db?user=u");
  EXPECT_EQ(pg::RedactedUri("postgresql://h/db?password=a&password=b&x=1"), "postgresql://h/db?x=1");
  EXPECT_EQ(pg::RedactedUri("host=db.example password='p w' dbname=runs").find("p w"), std::string::npos);
  EXPECT_NE(pg::RedactedUri("host=db.example password=pw dbname=runs").find("dbname=runs"), std::string::npos);
}

TEST(PostgresErrorStatusTest, SqlStatesMapToStatusCodes) {
  EXPECT_EQ(pg::ErrorStatus("23505", "insert", "duplicate key").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(pg::ErrorStatus("23505", "insert", "duplicate key").message(), "insert: duplicate key");
  EXPECT_EQ(pg::ErrorStatus("40001", "", "x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(pg::ErrorStatus("40P01", "", "x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(pg::ErrorStatus("53300", "", "too many connections").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(pg::ErrorStatus("08006", "", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(pg::ErrorStatus("57P01", "", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(pg::ErrorStatus("25006", "", "x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(pg::ErrorStatus("22P02", "", "x").code(), StatusCode::kDataError);
  EXPECT_EQ(pg::ErrorStatus("42601", "", "x").code(), StatusCode::kInternal);
  EXPECT_TRUE(pg::IsRetryable("40001"));
  EXPECT_TRUE(pg::IsRetryable("40P01"));
  EXPECT_FALSE(pg::IsRetryable("23505"));
}

class PostgresConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.ok()) << db_.error();
    auto conn = pg::Connection::Open(db_.uri());
    ASSERT_TRUE(conn.ok()) << conn.status().message();
    conn_ = std::move(*conn);
  }
  ScopedPgDatabase db_;
  std::unique_ptr<pg::Connection> conn_;
};

TEST_F(PostgresConnectionTest, TextParametersAndArraysCarryAnyTextAndExactNumbers) {
  const std::vector<std::string> texts = {"", "plain", "quo\"te", "back\\slash", "{brace,comma}", "NULL", "ünï €",
                                          "  spaced  ", "new\nline", "'single'"};
  pg::ArrayLiteral array;
  for (const auto& text : texts) array.Add(text);
  array.AddNull();
  pg::Params params;
  auto rows = conn_->Exec("SELECT t, t IS NULL FROM unnest(" + params.Add(array.Take()) + "::text[]) WITH ORDINALITY "
                          "AS u (t, i) ORDER BY i",
                          params);
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), static_cast<int>(texts.size()) + 1);
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(rows->Text(static_cast<int>(i), 0), texts[i]);
  EXPECT_TRUE(rows->Bool(static_cast<int>(texts.size()), 1)) << "NULL stays NULL";

  const std::vector<double> numbers = {0.1 + 0.2, 1.0 / 3.0, 5e-324, 1.7976931348623157e308, -2.5, 0.0,
                                       std::numeric_limits<double>::infinity()};
  for (double number : numbers) {
    pg::Params one;
    auto echoed = conn_->Exec("SELECT " + one.Add(number) + "::float8", one);
    ASSERT_TRUE(echoed.ok()) << echoed.status().message();
    EXPECT_EQ(echoed->Double(0, 0), number);
  }
  pg::Params nan;
  auto echoed = conn_->Exec("SELECT " + nan.Add(std::numeric_limits<double>::quiet_NaN()) + "::float8, NULL::float8",
                            nan);
  ASSERT_TRUE(echoed.ok());
  EXPECT_TRUE(std::isnan(echoed->Double(0, 0)));
  EXPECT_TRUE(std::isnan(echoed->Double(0, 1))) << "NULL reads as NaN";

  pg::Params with_nul;
  auto refused = conn_->Exec("SELECT " + with_nul.Add(std::string("a\0b", 3)), with_nul);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << "never a silently truncated value";
}

TEST_F(PostgresConnectionTest, ErrorsCarryTheServersMessageAndSqlstate) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t (id integer PRIMARY KEY)").ok());
  ASSERT_TRUE(conn_->Exec("INSERT INTO t VALUES (1)").ok());
  auto duplicate = conn_->Exec("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(duplicate.status().message().find("duplicate key"), std::string::npos) << duplicate.status().message();
  EXPECT_EQ(conn_->last_sqlstate(), "23505");
  auto bad = conn_->Exec("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos) << bad.status().message();
  ASSERT_TRUE(conn_->Exec("SELECT 1").ok());
  EXPECT_EQ(conn_->last_sqlstate(), "");
}

TEST_F(PostgresConnectionTest, ATransactionRollsBackUnlessCommitted) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t (id integer PRIMARY KEY)").ok());
  {
    auto tx = pg::Transaction::Begin(*conn_);
    ASSERT_TRUE(tx.ok()) << tx.status().message();
    ASSERT_TRUE(conn_->Exec("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_EQ(conn_->Exec("SELECT count(*) FROM t")->Int64(0, 0), 0);
  {
    auto tx = pg::Transaction::Begin(*conn_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(conn_->Exec("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  EXPECT_EQ(conn_->Exec("SELECT count(*) FROM t")->Int64(0, 0), 1);
  {
    auto tx = pg::Transaction::Begin(*conn_);
    ASSERT_TRUE(tx.ok());
    EXPECT_FALSE(conn_->Exec("INSERT INTO t VALUES (2)").ok());
    EXPECT_FALSE(tx->Commit().ok()) << "an aborted transaction does not pass for committed";
  }
}

TEST_F(PostgresConnectionTest, ATransactionPostgresqlAbortsForADeadlockIsRunAgain) {
  ASSERT_TRUE(conn_->ExecScript("CREATE TABLE t (id integer PRIMARY KEY, n integer NOT NULL);"
                                "INSERT INTO t VALUES (1, 0), (2, 0)")
                  .ok());
  auto other = pg::Connection::Open(db_.uri());
  ASSERT_TRUE(other.ok());
  // Each takes one row, then the other's: one of them is chosen as the deadlock's victim.
  for (pg::Connection* db : {conn_.get(), other->get()}) ASSERT_TRUE(db->ExecScript("SET deadlock_timeout = 50").ok());
  std::atomic<int> attempts{0};
  std::atomic<int> first_rows_taken{0};
  const auto transfer = [&](pg::Connection& db, int first, int second) {
    return pg::InTransaction(db, [&, first, second]() -> Status {
      const bool racing = ++attempts <= 2;
      if (auto s = db.Exec("UPDATE t SET n = n + 1 WHERE id = " + std::to_string(first)); !s) return s.status();
      if (racing) {
        ++first_rows_taken;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (first_rows_taken < 2 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
      }
      return db.Exec("UPDATE t SET n = n + 1 WHERE id = " + std::to_string(second)).status();
    });
  };
  Status a, b;
  std::thread ta([&] { a = transfer(*conn_, 1, 2); });
  std::thread tb([&] { b = transfer(**other, 2, 1); });
  ta.join();
  tb.join();
  EXPECT_TRUE(a.ok()) << a.message();
  EXPECT_TRUE(b.ok()) << b.message();
  EXPECT_EQ(attempts, 3) << "the deadlock's victim ran once more";
  auto sums = conn_->Exec("SELECT sum(n) FROM t");
  ASSERT_TRUE(sums.ok());
  EXPECT_EQ(sums->Int64(0, 0), 4) << "both transfers, each once";
}

}  // namespace
}  // namespace stratrun
