// RunStore: the durable log of runs, their events and their per-ticker results, in one
// SQLite file (WAL). The CLI and the HTTP server read and write runs only through it.
//
// Schema (version 2, PRAGMA user_version; see kMigrations in run_store.cpp):
//   strategy_run     one row per run: every RunRecord field. Timestamps are ISO-8601 UTC
//                    text with milliseconds ("2026-01-15T10:30:00.123Z", as in events);
//                    an unset optional time and an empty error are NULL.
//   strategy_result  (run_id, ticker) → score (NULL for NaN), passed, metrics_json (an
//                    object, in the plugin's order; NaN as null), reasons_json (an array).
//   run_event        (run_id, seq) → event_type, json (ToJson(event), exactly as streamed).
// Results and events reference strategy_run with ON DELETE CASCADE.
//
//   auto store = RunStore::Open("/var/lib/stratrun/runs.db");
//   if (!store) return store.status();
//   (*store)->CreateRun(run);
//   auto page = (*store)->ListRuns({.status = RunState::kCompleted, .limit = 20});
#pragma once

#include <chrono>
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
#include "progress/progress_event.h"
#include "progress/run_record.h"

namespace stratrun {

namespace sqlite {
class Database;
}

/// Which runs ListRuns/CountRuns return. An empty strategy_code matches every strategy;
/// a negative limit means no limit (CountRuns ignores limit and offset).
struct RunFilter {
  std::optional<RunState> status;
  std::string strategy_code;
  int64_t limit = 50;
  int64_t offset = 0;
};

/// One logged event; `json` is ToJson(event), exactly as it was streamed.
struct StoredEvent {
  uint64_t seq = 0;
  EventType type = EventType::kProgress;
  std::string json;
};

/// Which result rows Results() returns, and in what order. sort_by is "score", "ticker",
/// "passed" (passed rows first when descending, then by score) or the name of a metric.
/// Rows whose score or metric is NaN or missing always come last; ties are broken by
/// ticker (ascending). A negative limit means no limit.
struct ResultQuery {
  bool passed_only = false;
  std::string sort_by = "score";
  bool descending = true;
  int64_t limit = -1;
  int64_t offset = 0;
};

/// The schema version this build creates and understands.
inline constexpr int kRunStoreSchemaVersion = 2;

/// The durable log of runs, their events and their per-ticker results.
///
/// Thread-safe. Writes (CreateRun, UpdateRun, Append*, ClaimRun) go through one writer
/// connection behind a write mutex, one at a time. Reads (GetRun … AverageDurationSeconds)
/// never take that mutex: each borrows one of up to kMaxReaders read-only connections
/// (opened on first need, each used by one thread at a time), so a read runs beside a
/// write, beside other reads and beside another process's open write transaction (WAL).
/// A read sees every write committed before it started, by this process or another.
/// Several processes may write the same file at once (a CLI run while the server runs): a
/// locked database is waited for and retried (up to sqlite::kBusyRetryLimit), so nothing is
/// lost; only a database locked for longer than that yields kResourceExhausted. While
/// writers wait, reads still answer at once. Every method reports failures as a Status
/// carrying SQLite's message; none throws.
class RunStore {
 public:
  /// How many read-only connections a store keeps at most; a read beyond that waits for
  /// one to come back.
  static constexpr size_t kMaxReaders = 4;

  /// Opens or creates the database at `path` (creating parent folders), enables WAL and
  /// applies pending migrations, each in its own transaction. A database written by a
  /// newer stratrun is refused with kUnsupported: "database schema version N is newer than
  /// this stratrun supports (M)".
  static Result<std::unique_ptr<RunStore>> Open(const std::filesystem::path& path);

  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  /// kAlreadyExists when the id is taken; kInvalidArgument for an empty id or an unknown
  /// priority ("high", "normal", "low") or source ("cli", "api").
  Status CreateRun(const RunRecord& run);
  /// Writes every column but run_id and created_at; kNotFound when the run is absent,
  /// kFailedPrecondition when its stored owner is not `run.owner` (only the run's owner
  /// writes it: a writer whose run another process claimed is fenced off; ClaimRun alone
  /// changes the owner).
  Status UpdateRun(const RunRecord& run);
  /// Appends events (of any runs) in one transaction. A seq is written once: the same
  /// event at a stored (run_id, seq) again is a no-op, so re-sending a batch is harmless;
  /// another event there is kAlreadyExists and nothing of the batch is kept. kNotFound for
  /// an unknown run.
  Status AppendEvents(std::span<const ProgressEvent> events);
  /// Inserts or replaces rows by (run_id, ticker), in one transaction. kNotFound for an
  /// unknown run.
  Status AppendResults(const std::string& run_id, std::span<const ResultRow> rows);
  /// RunLogSink's batch: `run` (as UpdateRun, so only the run's owner may append), `events`
  /// (as AppendEvents) and `rows` (as AppendResults for run.run_id), all in one
  /// transaction: all or nothing.
  Status AppendBatch(const RunRecord& run, std::span<const ProgressEvent> events, std::span<const ResultRow> rows);

  /// The run, or nullopt when there is none.
  Result<std::optional<RunRecord>> GetRun(const std::string& run_id);
  /// What a user typed as a run id — the whole id or any prefix of it (the CLI and the
  /// dashboard show 8 characters) — resolved to the one stored id it names. A stored id
  /// equal to `id_or_prefix` always wins. kNotFound (field "run_id") when nothing
  /// matches; kInvalidArgument (field "run_id") for an empty text or a prefix of several
  /// runs, the message listing up to 10 of them.
  Result<std::string> ResolveRunId(std::string_view id_or_prefix);
  /// Newest created first.
  Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter);
  Result<int64_t> CountRuns(const RunFilter& filter);

  /// Events with seq > after_seq, in seq order; a negative limit means no limit. Reading
  /// stops once the events read hold `max_bytes` of JSON (at least one event is read), so
  /// a caller's memory is bounded by max_bytes plus one event whatever the events' sizes.
  Result<std::vector<StoredEvent>> Events(const std::string& run_id, uint64_t after_seq = 0, int64_t limit = -1,
                                          size_t max_bytes = SIZE_MAX);
  /// The highest stored seq of the run; 0 when none.
  Result<uint64_t> LastSeq(const std::string& run_id);

  /// kInvalidArgument (field "sort_by") for a metric name containing a double quote.
  Result<std::vector<ResultRow>> Results(const std::string& run_id, const ResultQuery& query);
  Result<int64_t> CountResults(const std::string& run_id, bool passed_only);

  /// Makes `new_owner` the owner of the run if it is still stored with run.owner and
  /// run.status (compare-and-set, so two processes recovering the same orphaned run never
  /// both act on it). True when claimed; run.owner is then new_owner.
  Result<bool> ClaimRun(RunRecord& run, const std::string& new_owner);
  /// Runs in any of `states`, oldest first (recovery after a crash, restoring the queue).
  Result<std::vector<RunRecord>> RunsInStates(std::span<const RunState> states);
  /// Average duration (finished − started) of the last `n` completed runs of a strategy,
  /// in seconds; nullopt when there is none.
  Result<std::optional<double>> AverageDurationSeconds(const std::string& strategy_code, int n = 10);

 private:
  class ReaderLease;

  RunStore(std::filesystem::path path, std::unique_ptr<sqlite::Database> db);

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
