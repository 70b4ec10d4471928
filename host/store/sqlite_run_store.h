// SqliteRunStore: the RunStore in one SQLite file (WAL) — the embedded default.
//
// Schema (version 2, PRAGMA user_version; see kMigrations in sqlite_run_store.cpp):
//   strategy_run     one row per run: every RunRecord field. Timestamps are ISO-8601 UTC
//                    text with milliseconds ("2026-01-15T10:30:00.123Z", as in events);
//                    an unset optional time and an empty error are NULL.
//   strategy_result  (run_id, ticker) → score (NULL for NaN), passed, metrics_json (an
//                    object, in the plugin's order; NaN as null), reasons_json (an array).
//   run_event        (run_id, seq) → event_type, json (ToJson(event), exactly as streamed).
// Results and events reference strategy_run with ON DELETE CASCADE.
//
//   auto store = SqliteRunStore::Open("/var/lib/stratrun/runs.db");
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/run_store.h"

namespace stratrun {

namespace sqlite {
class Database;
}

/// The schema version this build creates and understands.
inline constexpr int kRunStoreSchemaVersion = 2;

/// Writes (CreateRun, UpdateRun, Append*, ClaimRun) go through one writer connection
/// behind a write mutex, one at a time. Reads (GetRun … AverageDurationSeconds) never take
/// that mutex: each borrows one of up to kMaxReaders read-only connections (one opened
/// with the store, the others on first need, each used by one thread at a time), so a read
/// runs beside a write, beside other reads and beside another process's open write
/// transaction (WAL). Several processes may write the same file at once: a locked database
/// is waited for and retried (up to sqlite::kBusyRetryLimit), so nothing is lost; only a
/// database locked for longer than that yields kResourceExhausted. While writers wait,
/// reads still answer at once. Failures carry SQLite's message.
class SqliteRunStore final : public RunStore {
 public:
  /// How many read-only connections a store keeps at most; a read beyond that waits for
  /// one to come back.
  static constexpr size_t kMaxReaders = 4;

  /// Opens or creates the database at `path` (creating parent folders), enables WAL and
  /// applies pending migrations, each in its own transaction. A database written by a
  /// newer stratrun is refused with kUnsupported: "database schema version N is newer than
  /// this stratrun supports (M)".
  static Result<std::unique_ptr<SqliteRunStore>> Open(const std::filesystem::path& path);

  ~SqliteRunStore() override;
  SqliteRunStore(const SqliteRunStore&) = delete;
  SqliteRunStore& operator=(const SqliteRunStore&) = delete;

  Status CreateRun(const RunRecord& run) override;
  Status UpdateRun(const RunRecord& run) override;
  Result<std::optional<RunRecord>> GetRun(const std::string& run_id) override;
  Result<std::string> ResolveRunId(std::string_view id_or_prefix) override;
  Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter) override;
  Result<int64_t> CountRuns(const RunFilter& filter) override;
  Result<std::optional<double>> AverageDurationSeconds(const std::string& strategy_code, int n = 10) override;

  Status AppendEvents(std::span<const ProgressEvent> events) override;
  Result<std::vector<StoredEvent>> Events(const std::string& run_id, uint64_t after_seq = 0, int64_t limit = -1,
                                          size_t max_bytes = SIZE_MAX) override;
  Result<uint64_t> LastSeq(const std::string& run_id) override;

  Status AppendResults(const std::string& run_id, std::span<const ResultRow> rows) override;
  /// kInvalidArgument (field "sort_by") for a metric name containing a double quote.
  Result<std::vector<ResultRow>> Results(const std::string& run_id, const ResultQuery& query) override;
  Result<int64_t> CountResults(const std::string& run_id, bool passed_only) override;

  Result<bool> ClaimRun(RunRecord& run, const std::string& new_owner) override;
  Result<std::vector<RunRecord>> RunsInStates(std::span<const RunState> states) override;

  Status AppendBatch(const RunRecord& run, std::span<const ProgressEvent> events,
                     std::span<const ResultRow> rows) override;

 private:
  class ReaderLease;

  SqliteRunStore(std::filesystem::path path, std::unique_ptr<sqlite::Database> db);

  Status Migrate();
  Status WriteRun(const RunRecord& run);  // UPDATE; callers hold mutex_
  Status WriteEvents(std::span<const ProgressEvent> events);
  Status WriteResults(const std::string& run_id, std::span<const ResultRow> rows);
  /// A read-only connection for this thread until the lease ends; waits while all
  /// kMaxReaders are lent out.
  Result<ReaderLease> BorrowReader();
  void ReturnReader(std::unique_ptr<sqlite::Database> reader);

  const std::filesystem::path path_;
  std::mutex mutex_;  // the writer: db_ and its statement cache
  std::unique_ptr<sqlite::Database> db_;
  std::mutex readers_mutex_;  // idle_readers_, open_readers_
  std::condition_variable reader_returned_;
  std::vector<std::unique_ptr<sqlite::Database>> idle_readers_;
  size_t open_readers_ = 0;  // idle or lent out
};

}  // namespace stratrun
