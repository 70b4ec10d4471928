// SqliteRunStore over real SQLite files — what only the SQLite store does: its schema
// version in PRAGMA user_version, WAL, migrating an old file, refusing a file that is not a
// database or is from a newer stratrun, reads answering while another process holds the
// write lock. Also the thin RAII layer underneath it (sqlite.h). The RunStore contract both
// stores keep is in run_store_contract_test.cpp.
#include "store/sqlite_run_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "store/sqlite.h"
#include "support/store_samples.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;
using namespace stratrun::testing;  // NOLINT(google-build-using-namespace): the samples

class SqliteRunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = RunStore::Open(path_);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
  }

  RunStore& store() { return *store_; }

  TempDir dir_;
  fs::path path_ = dir_.path() / "runs.db";
  std::unique_ptr<RunStore> store_;
};

TEST_F(SqliteRunStoreTest, AMetricNameWithADoubleQuoteIsRefused) {
  ASSERT_TRUE(store().CreateRun(MakeRun("r")).ok());
  auto bad = store().Results("r", {.sort_by = "a\"b"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "sort_by");
}

// ---- schema and migrations ----------------------------------------------------------------

TEST_F(SqliteRunStoreTest, TheFileIsInWalModeAtTheCurrentSchemaVersion) {
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

TEST_F(SqliteRunStoreTest, ADatabaseFromANewerStratrunIsRefused) {
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

TEST_F(SqliteRunStoreTest, ARunLogOfSchemaVersion1IsMigratedAndKeepsItsRuns) {
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

TEST_F(SqliteRunStoreTest, DeletingARunDeletesItsEventsAndResults) {
  ASSERT_TRUE(store().CreateRun(MakeRun("gone")).ok());
  ASSERT_TRUE(store().AppendEvents(std::vector<ProgressEvent>{MakeEvent("gone", 1)}).ok());
  ASSERT_TRUE(store().AppendResults("gone", std::vector<ResultRow>{MakeRow("A", 1, true)}).ok());
  auto db = sqlite::Database::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->Exec("DELETE FROM strategy_run WHERE run_id = 'gone'").ok());
  EXPECT_EQ(*store().LastSeq("gone"), 0u);
  EXPECT_EQ(*store().CountResults("gone", false), 0);
}

TEST(SqliteRunStoreOpenTest, AFileThatIsNotADatabaseIsAnErrorNotACrash) {
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

TEST_F(SqliteRunStoreTest, ReadsAnswerAtOnceWhileAnotherProcessHoldsTheWriteLockAndWritesWaitForIt) {
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
