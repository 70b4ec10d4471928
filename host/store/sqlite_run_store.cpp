#include "store/sqlite_run_store.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <system_error>

#include "common/logging.h"
#include "store/record_codec.h"
#include "store/sqlite.h"

namespace stratrun {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using sqlite::Database;
using sqlite::Statement;
using sqlite::Transaction;

// ---- schema -----------------------------------------------------------------------------

/// kMigrations[i] takes the schema from version i to i + 1. Append only; never edit a
/// migration that has shipped.
constexpr std::array<std::string_view, kRunStoreSchemaVersion> kMigrations = {
    // 1: runs, results, events.
    R"sql(
CREATE TABLE strategy_run (
  run_id           TEXT PRIMARY KEY NOT NULL,
  strategy_code    TEXT NOT NULL,
  plugin_version   TEXT NOT NULL DEFAULT '',
  plugin_sha256    TEXT NOT NULL DEFAULT '',
  parameters_json  TEXT NOT NULL DEFAULT '{}',
  status           TEXT NOT NULL,
  priority         TEXT NOT NULL DEFAULT 'normal',
  source           TEXT NOT NULL DEFAULT 'cli',
  error_code       TEXT,
  error_message    TEXT,
  created_at       TEXT NOT NULL,
  started_at       TEXT,
  finished_at      TEXT,
  total_items      INTEGER NOT NULL DEFAULT 0,
  completed_items  INTEGER NOT NULL DEFAULT 0,
  result_count     INTEGER NOT NULL DEFAULT 0,
  passed_count     INTEGER NOT NULL DEFAULT 0,
  progress_percent REAL NOT NULL DEFAULT 0,
  current_stage    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX strategy_run_by_created ON strategy_run (created_at);
CREATE INDEX strategy_run_by_status ON strategy_run (status, created_at);
CREATE INDEX strategy_run_by_strategy ON strategy_run (strategy_code, created_at);
CREATE INDEX strategy_run_by_strategy_finished ON strategy_run (strategy_code, status, finished_at);

CREATE TABLE strategy_result (
  run_id       TEXT NOT NULL REFERENCES strategy_run (run_id) ON DELETE CASCADE,
  ticker       TEXT NOT NULL,
  score        REAL,
  passed       INTEGER NOT NULL,
  metrics_json TEXT NOT NULL DEFAULT '{}',
  reasons_json TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (run_id, ticker)
) WITHOUT ROWID;
CREATE INDEX strategy_result_by_passed_score ON strategy_result (run_id, passed, score);

CREATE TABLE run_event (
  run_id     TEXT NOT NULL REFERENCES strategy_run (run_id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  event_type TEXT NOT NULL,
  json       TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
)sql",
    // 2: the process that owns a run (to tell a run orphaned by a crash from one another
    // process is running) and the run's own timeout (kept when it is queued again).
    R"sql(
ALTER TABLE strategy_run ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE strategy_run ADD COLUMN timeout_seconds INTEGER;
)sql",
};

constexpr std::string_view kRunColumns =
    "run_id, strategy_code, plugin_version, plugin_sha256, parameters_json, status, priority, source, "
    "error_code, error_message, created_at, started_at, finished_at, total_items, completed_items, "
    "result_count, passed_count, progress_percent, current_stage, owner, timeout_seconds";

Status WithContext(const Status& status, std::string_view what) {
  return {status.code(), std::string(what) + ": " + status.message(), status.field()};
}

// ---- conversions ------------------------------------------------------------------------

std::optional<TimePoint> ParseTimestamp(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  char zone = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &zone) != 8 ||
      zone != 'Z') {
    return std::nullopt;
  }
  const std::chrono::year_month_day day{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!day.ok() || h > 23 || mi > 59 || s > 60 || ms > 999) return std::nullopt;
  return TimePoint(std::chrono::sys_days(day).time_since_epoch() + std::chrono::hours(h) +
                   std::chrono::minutes(mi) + std::chrono::seconds(s) + std::chrono::milliseconds(ms));
}

std::optional<std::string> FormatOptional(const std::optional<TimePoint>& time) {
  if (!time) return std::nullopt;
  return FormatTimestamp(*time);
}

std::optional<std::string> NullIfEmpty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

/// Reads one strategy_run row selected as kRunColumns.
Result<RunRecord> ReadRun(const Statement& row) {
  RunRecord run;
  run.run_id = row.Text(0);
  run.strategy_code = row.Text(1);
  run.plugin_version = row.Text(2);
  run.plugin_sha256 = row.Text(3);
  run.parameters_json = row.Text(4);
  const std::string status = row.Text(5);
  const auto state = ParseRunState(status);
  if (!state) return Status(StatusCode::kDataError, "run " + run.run_id + " has unknown status \"" + status + "\"");
  run.status = *state;
  run.priority = row.Text(6);
  run.source = row.Text(7);
  run.error_code = row.Text(8);
  run.error_message = row.Text(9);
  const auto time_column = [&](int column) -> Result<std::optional<TimePoint>> {
    auto text = row.OptionalText(column);
    if (!text) return std::optional<TimePoint>();
    auto time = ParseTimestamp(*text);
    if (!time) return Status(StatusCode::kDataError, "run " + run.run_id + " has a bad timestamp \"" + *text + "\"");
    return std::optional<TimePoint>(time);
  };
  auto created = time_column(10);
  if (!created) return created.status();
  run.created_at = created->value_or(TimePoint{});
  auto started = time_column(11);
  if (!started) return started.status();
  run.started_at = *started;
  auto finished = time_column(12);
  if (!finished) return finished.status();
  run.finished_at = *finished;
  run.total_items = row.Int64(13);
  run.completed_items = row.Int64(14);
  run.result_count = row.Int64(15);
  run.passed_count = row.Int64(16);
  run.progress_percent = row.Double(17);
  run.current_stage = row.Text(18);
  run.owner = row.Text(19);
  if (!row.IsNull(20)) run.timeout_seconds = row.Int64(20);
  return run;
}

/// Steps `statement` through its rows, reading each with `read` (returning Result<T>).
template <typename T, typename Read>
Result<std::vector<T>> ReadAll(Statement& statement, Read read, size_t max_bytes = SIZE_MAX,
                               size_t (*bytes_of)(const T&) = nullptr) {
  std::vector<T> out;
  size_t bytes = 0;
  for (;;) {
    if (bytes_of != nullptr && bytes >= max_bytes) return out;
    auto row = statement.Step();
    if (!row) return row.status();
    if (!*row) return out;
    auto value = read(statement);
    if (!value) return value.status();
    if (bytes_of != nullptr) bytes += bytes_of(*value);
    out.push_back(std::move(*value));
  }
}

std::string RunFilterWhere(const RunFilter& filter) {
  std::string where = " WHERE 1 = 1";
  if (filter.status) where += " AND status = :status";
  if (!filter.strategy_code.empty()) where += " AND strategy_code = :strategy_code";
  return where;
}

void BindRunFilter(Statement& statement, const RunFilter& filter) {
  if (filter.status) statement.Bind(":status", RunStateName(*filter.status));
  if (!filter.strategy_code.empty()) statement.Bind(":strategy_code", filter.strategy_code);
}

int64_t LimitOrAll(int64_t limit) { return limit < 0 ? -1 : limit; }
int64_t OffsetOrZero(int64_t offset) { return offset < 0 ? 0 : offset; }

}  // namespace

// ---- SqliteRunStore ---------------------------------------------------------------------------

/// One read-only connection lent to one thread; handed back to the pool when the lease ends.
class SqliteRunStore::ReaderLease {
 public:
  ReaderLease(SqliteRunStore* store, std::unique_ptr<Database> db) : store_(store), db_(std::move(db)) {}
  ~ReaderLease() {
    if (db_ != nullptr) store_->ReturnReader(std::move(db_));
  }
  ReaderLease(ReaderLease&& other) noexcept : store_(other.store_), db_(std::move(other.db_)) {}
  ReaderLease& operator=(ReaderLease&&) = delete;
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;

  Database& db() const { return *db_; }

 private:
  SqliteRunStore* store_;
  std::unique_ptr<Database> db_;
};

SqliteRunStore::SqliteRunStore(std::filesystem::path path, std::unique_ptr<sqlite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}

SqliteRunStore::~SqliteRunStore() = default;

Result<SqliteRunStore::ReaderLease> SqliteRunStore::BorrowReader() {
  {
    std::unique_lock lock(readers_mutex_);
    reader_returned_.wait(lock, [&] { return !idle_readers_.empty() || open_readers_ < kMaxReaders; });
    if (!idle_readers_.empty()) {
      auto reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return ReaderLease(this, std::move(reader));
    }
    ++open_readers_;  // reserved; opened below, outside the lock
  }
  // Read-only: it never takes the write lock, so another connection's or process's write
  // transaction never makes it wait (WAL). The writer already set the journal mode.
  Database::Options options;
  options.flags = SQLITE_OPEN_READONLY;
  options.wal = false;
  auto reader = Database::Open(path_, options);
  if (!reader) {
    {
      std::lock_guard lock(readers_mutex_);
      --open_readers_;
    }
    reader_returned_.notify_one();
    return WithContext(reader.status(), "open reader");
  }
  return ReaderLease(this, std::move(*reader));
}

void SqliteRunStore::ReturnReader(std::unique_ptr<sqlite::Database> reader) {
  {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(std::move(reader));
  }
  reader_returned_.notify_one();
}

Result<std::unique_ptr<SqliteRunStore>> SqliteRunStore::Open(const std::filesystem::path& path) {
  if (path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return Internal("create folder " + path.parent_path().string() + ": " + ec.message());
  }
  auto db = Database::Open(path);
  if (!db) return db.status();
  std::unique_ptr<SqliteRunStore> store(new SqliteRunStore(path, std::move(*db)));
  if (auto status = store->Migrate(); !status.ok()) return WithContext(status, "database " + path.string());
  // One reader from the start, so reads go on where no new connection can be opened
  // (out of file descriptors) as they did before the store had readers.
  if (auto reader = store->BorrowReader(); !reader) return WithContext(reader.status(), "database " + path.string());
  return store;
}

Status SqliteRunStore::Migrate() {
  std::lock_guard lock(mutex_);
  const auto read_version = [&]() -> Result<int> {
    auto pragma = db_->PrepareCached("PRAGMA user_version");
    if (!pragma) return pragma.status();
    auto row = (*pragma)->Step();
    if (!row) return row.status();
    return static_cast<int>((*pragma)->Int64(0));
  };
  for (;;) {
    auto version = read_version();
    if (!version) return version.status();
    if (*version == kRunStoreSchemaVersion) return Status::Ok();
    if (*version > kRunStoreSchemaVersion) {
      return {StatusCode::kUnsupported, "database schema version " + std::to_string(*version) +
                                            " is newer than this stratrun supports (" +
                                            std::to_string(kRunStoreSchemaVersion) + ")"};
    }
    // Another process may be migrating too: take the write lock, then look again.
    auto tx = Transaction::Begin(*db_);
    if (!tx) return tx.status();
    auto locked_version = read_version();
    if (!locked_version) return locked_version.status();
    if (*locked_version != *version) continue;  // someone else moved it on; re-check
    const int target = *version + 1;
    if (auto status = db_->Exec(kMigrations[static_cast<size_t>(*version)]); !status.ok()) {
      return WithContext(status, "migration to schema version " + std::to_string(target));
    }
    if (auto status = db_->Exec("PRAGMA user_version = " + std::to_string(target)); !status.ok()) return status;
    if (auto status = tx->Commit(); !status.ok()) return status;
    Logger("store")->info("database schema migrated to version {}", target);
  }
}

/// Binds every column of `run` in kRunColumns order as ?1..?21 (INSERT uses them all;
/// UPDATE leaves ?11, created_at, unused).
static void BindRun(sqlite::Statement& statement, const RunRecord& run) {
  statement
      .Bind(1, run.run_id)
      .Bind(2, run.strategy_code)
      .Bind(3, run.plugin_version)
      .Bind(4, run.plugin_sha256)
      .Bind(5, run.parameters_json)
      .Bind(6, RunStateName(run.status))
      .Bind(7, run.priority)
      .Bind(8, run.source)
      .Bind(9, NullIfEmpty(run.error_code))
      .Bind(10, NullIfEmpty(run.error_message))
      .Bind(11, FormatTimestamp(run.created_at))
      .Bind(12, FormatOptional(run.started_at))
      .Bind(13, FormatOptional(run.finished_at))
      .Bind(14, run.total_items)
      .Bind(15, run.completed_items)
      .Bind(16, run.result_count)
      .Bind(17, run.passed_count)
      .Bind(18, run.progress_percent)
      .Bind(19, run.current_stage)
      .Bind(20, run.owner)
      .Bind(21, run.timeout_seconds);
}

Status SqliteRunStore::CreateRun(const RunRecord& run) {
  if (auto status = ValidateRun(run); !status.ok()) return status;
  std::lock_guard lock(mutex_);
  auto insert = db_->PrepareCached(
      "INSERT INTO strategy_run (" + std::string(kRunColumns) +
      ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)");
  if (!insert) return insert.status();
  BindRun(**insert, run);
  if (auto status = (*insert)->Run(); !status.ok()) {
    if (status.code() == StatusCode::kAlreadyExists) {
      return {StatusCode::kAlreadyExists, "run " + run.run_id + " already exists", "run_id"};
    }
    return WithContext(status, "create run " + run.run_id);
  }
  return Status::Ok();
}

Status SqliteRunStore::WriteRun(const RunRecord& run) {
  auto update = db_->PrepareCached(
      "UPDATE strategy_run SET strategy_code = ?2, plugin_version = ?3, plugin_sha256 = ?4, parameters_json = ?5, "
      "status = ?6, priority = ?7, source = ?8, error_code = ?9, error_message = ?10, started_at = ?12, "
      "finished_at = ?13, total_items = ?14, completed_items = ?15, result_count = ?16, passed_count = ?17, "
      "progress_percent = ?18, current_stage = ?19, owner = ?20, timeout_seconds = ?21 "
      "WHERE run_id = ?1 AND owner = ?20");  // ?11 (created_at) never changes; only ClaimRun changes the owner
  if (!update) return update.status();
  BindRun(**update, run);
  if (auto status = (*update)->Run(); !status.ok()) return WithContext(status, "update run " + run.run_id);
  if (db_->Changes() == 0) {
    // Only the run's owner may write it: a writer whose run was claimed is fenced off.
    auto owner = db_->PrepareCached("SELECT owner FROM strategy_run WHERE run_id = ?1");
    if (!owner) return owner.status();
    (*owner)->Bind(1, run.run_id);
    if (auto row = (*owner)->Step(); row.ok() && *row) {
      return {StatusCode::kFailedPrecondition,
              "run " + run.run_id + " is owned by " + (*owner)->Text(0) + ", not by this writer (" + run.owner + ")",
              "run_id"};
    }
    return NotFound("run " + run.run_id + " not found", "run_id");
  }
  return Status::Ok();
}

Result<bool> SqliteRunStore::ClaimRun(RunRecord& run, const std::string& new_owner) {
  std::lock_guard lock(mutex_);
  auto update = db_->PrepareCached(
      "UPDATE strategy_run SET owner = ?3 WHERE run_id = ?1 AND owner = ?2 AND status = ?4");
  if (!update) return update.status();
  (*update)->Bind(1, run.run_id).Bind(2, run.owner).Bind(3, new_owner).Bind(4, RunStateName(run.status));
  if (auto status = (*update)->Run(); !status.ok()) return WithContext(status, "claim run " + run.run_id);
  if (db_->Changes() == 0) return false;
  run.owner = new_owner;
  return true;
}

Status SqliteRunStore::UpdateRun(const RunRecord& run) {
  if (auto status = ValidateRun(run); !status.ok()) return status;
  std::lock_guard lock(mutex_);
  return WriteRun(run);
}

Status SqliteRunStore::WriteEvents(std::span<const ProgressEvent> events) {
  if (events.empty()) return Status::Ok();
  auto insert = db_->PrepareCached(
      "INSERT INTO run_event (run_id, seq, event_type, json) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (run_id, seq) DO UPDATE SET json = excluded.json "
      "WHERE run_event.json = excluded.json AND run_event.event_type = excluded.event_type");
  if (!insert) return insert.status();
  for (const ProgressEvent& event : events) {
    (*insert)->Reset();
    (*insert)
        ->Bind(1, event.run_id)
        .Bind(2, static_cast<int64_t>(event.seq))
        .Bind(3, EventTypeName(event.type))
        .Bind(4, ToJson(event));
    if (auto status = (*insert)->Run(); !status.ok()) {
      if (db_->LastErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return NotFound("append events: run " + event.run_id + " not found", "run_id");
      }
      return WithContext(status, "append event " + std::to_string(event.seq) + " of run " + event.run_id);
    }
    if (db_->Changes() == 0) {  // a seq is written once: the same event again is a no-op, another one an error
      return {StatusCode::kAlreadyExists,
              "event " + std::to_string(event.seq) + " of run " + event.run_id + " is already stored as another event",
              "seq"};
    }
  }
  return Status::Ok();
}

Status SqliteRunStore::WriteResults(const std::string& run_id, std::span<const ResultRow> rows) {
  if (rows.empty()) return Status::Ok();
  auto upsert = db_->PrepareCached(
      "INSERT INTO strategy_result (run_id, ticker, score, passed, metrics_json, reasons_json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (run_id, ticker) DO UPDATE SET score = excluded.score, passed = excluded.passed, "
      "metrics_json = excluded.metrics_json, reasons_json = excluded.reasons_json");
  if (!upsert) return upsert.status();
  for (const ResultRow& row : rows) {
    (*upsert)->Reset();
    (*upsert)->Bind(1, run_id).Bind(2, row.ticker);
    if (std::isnan(row.score)) {
      (*upsert)->Bind(3, nullptr);
    } else {
      (*upsert)->Bind(3, row.score);
    }
    (*upsert)->Bind(4, row.passed ? 1 : 0).Bind(5, MetricsJson(row.metrics)).Bind(6, ReasonsJson(row.reasons));
    if (auto status = (*upsert)->Run(); !status.ok()) {
      if (db_->LastErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return NotFound("append results: run " + run_id + " not found", "run_id");
      }
      return WithContext(status, "append result " + row.ticker + " of run " + run_id);
    }
  }
  return Status::Ok();
}

Status SqliteRunStore::AppendEvents(std::span<const ProgressEvent> events) {
  if (events.empty()) return Status::Ok();
  std::lock_guard lock(mutex_);
  auto tx = Transaction::Begin(*db_);
  if (!tx) return tx.status();
  if (auto status = WriteEvents(events); !status.ok()) return status;
  return tx->Commit();
}

Status SqliteRunStore::AppendResults(const std::string& run_id, std::span<const ResultRow> rows) {
  if (rows.empty()) return Status::Ok();
  std::lock_guard lock(mutex_);
  auto tx = Transaction::Begin(*db_);
  if (!tx) return tx.status();
  if (auto status = WriteResults(run_id, rows); !status.ok()) return status;
  return tx->Commit();
}

Status SqliteRunStore::AppendBatch(const RunRecord& run, std::span<const ProgressEvent> events,
                             std::span<const ResultRow> rows) {
  if (auto status = ValidateRun(run); !status.ok()) return status;
  std::lock_guard lock(mutex_);
  auto tx = Transaction::Begin(*db_);
  if (!tx) return tx.status();
  if (auto status = WriteEvents(events); !status.ok()) return status;
  if (auto status = WriteResults(run.run_id, rows); !status.ok()) return status;
  if (auto status = WriteRun(run); !status.ok()) return status;
  return tx->Commit();
}

Result<std::optional<RunRecord>> SqliteRunStore::GetRun(const std::string& run_id) {
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached("SELECT " + std::string(kRunColumns) + " FROM strategy_run WHERE run_id = ?1");
  if (!select) return select.status();
  (*select)->Bind(1, run_id);
  auto row = (*select)->Step();
  if (!row) return WithContext(row.status(), "get run " + run_id);
  if (!*row) return std::optional<RunRecord>();
  auto run = ReadRun(**select);
  if (!run) return run.status();
  return std::optional<RunRecord>(std::move(*run));
}

Result<std::string> SqliteRunStore::ResolveRunId(std::string_view id_or_prefix) {
  if (id_or_prefix.empty()) return InvalidArgument("a run id is required", "run_id");
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  // The primary key's index answers a range scan: ids >= prefix and < prefix + U+10FFFF's
  // first byte (ids are ASCII, so no stored id sorts past it while sharing the prefix).
  auto select = reader->db().PrepareCached(
      "SELECT run_id FROM strategy_run WHERE run_id >= ?1 AND run_id < ?1 || char(1114111) "
      "ORDER BY run_id = ?1 DESC, created_at DESC LIMIT 11");
  if (!select) return select.status();
  (*select)->Bind(1, std::string(id_or_prefix));
  std::vector<std::string> ids;
  for (;;) {
    auto row = (*select)->Step();
    if (!row) return WithContext(row.status(), "resolve run id");
    if (!*row) break;
    ids.push_back((*select)->Text(0));
  }
  if (ids.empty()) return NotFound("unknown run '" + std::string(id_or_prefix) + "'", "run_id");
  if (ids.size() == 1 || ids.front() == id_or_prefix) return ids.front();
  std::string message = "run id '" + std::string(id_or_prefix) + "' is ambiguous: it starts ";
  message += ids.size() > 10 ? "more than 10 runs, e.g." : std::to_string(ids.size()) + " runs:";
  for (size_t i = 0; i < ids.size() && i < 10; ++i) message += " " + ids[i];
  return InvalidArgument(std::move(message), "run_id");
}

Result<std::vector<RunRecord>> SqliteRunStore::ListRuns(const RunFilter& filter) {
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached("SELECT " + std::string(kRunColumns) + " FROM strategy_run" +
                                   RunFilterWhere(filter) +
                                   " ORDER BY created_at DESC, rowid DESC LIMIT :limit OFFSET :offset");
  if (!select) return select.status();
  BindRunFilter(**select, filter);
  (*select)->Bind(":limit", LimitOrAll(filter.limit)).Bind(":offset", OffsetOrZero(filter.offset));
  auto runs = ReadAll<RunRecord>(**select, ReadRun);
  if (!runs) return WithContext(runs.status(), "list runs");
  return runs;
}

Result<int64_t> SqliteRunStore::CountRuns(const RunFilter& filter) {
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached("SELECT count(*) FROM strategy_run" + RunFilterWhere(filter));
  if (!select) return select.status();
  BindRunFilter(**select, filter);
  auto row = (*select)->Step();
  if (!row) return WithContext(row.status(), "count runs");
  return (*select)->Int64(0);
}

Result<std::vector<StoredEvent>> SqliteRunStore::Events(const std::string& run_id, uint64_t after_seq, int64_t limit,
                                                  size_t max_bytes) {
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached(
      "SELECT seq, event_type, json FROM run_event WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
  if (!select) return select.status();
  const auto after = static_cast<int64_t>(std::min<uint64_t>(after_seq, std::numeric_limits<int64_t>::max()));
  (*select)->Bind(1, run_id).Bind(2, after).Bind(3, LimitOrAll(limit));
  auto events = ReadAll<StoredEvent>(**select, [](const Statement& row) -> Result<StoredEvent> {
    const std::string type_name = row.Text(1);
    const auto type = ParseEventType(type_name);
    if (!type) return Status(StatusCode::kDataError, "stored event has unknown type \"" + type_name + "\"");
    return StoredEvent{static_cast<uint64_t>(row.Int64(0)), *type, row.Text(2)};
  }, max_bytes, [](const StoredEvent& e) { return e.json.size(); });
  if (!events) return WithContext(events.status(), "events of run " + run_id);
  return events;
}

Result<uint64_t> SqliteRunStore::LastSeq(const std::string& run_id) {
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached("SELECT coalesce(max(seq), 0) FROM run_event WHERE run_id = ?1");
  if (!select) return select.status();
  (*select)->Bind(1, run_id);
  auto row = (*select)->Step();
  if (!row) return WithContext(row.status(), "last event of run " + run_id);
  return static_cast<uint64_t>((*select)->Int64(0));
}

Result<std::vector<ResultRow>> SqliteRunStore::Results(const std::string& run_id, const ResultQuery& query) {
  const std::string_view dir = query.descending ? " DESC" : " ASC";
  std::string order;
  std::optional<std::string> metric_path;
  if (query.sort_by.empty() || query.sort_by == "score") {
    order = "score IS NULL, score" + std::string(dir) + ", ticker";
  } else if (query.sort_by == "ticker") {
    order = "ticker" + std::string(dir);
  } else if (query.sort_by == "passed") {
    order = "passed" + std::string(dir) + ", score IS NULL, score DESC, ticker";
  } else {
    if (query.sort_by.find('"') != std::string::npos) {
      return InvalidArgument("cannot sort by a metric name containing '\"'", "sort_by");
    }
    metric_path = "$.\"" + query.sort_by + "\"";
    order = "json_extract(metrics_json, :metric) IS NULL, json_extract(metrics_json, :metric)" + std::string(dir) +
            ", ticker";
  }
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached(
      "SELECT ticker, score, passed, metrics_json, reasons_json FROM strategy_result WHERE run_id = :run_id" +
      std::string(query.passed_only ? " AND passed = 1" : "") + " ORDER BY " + order +
      " LIMIT :limit OFFSET :offset");
  if (!select) return select.status();
  (*select)->Bind(":run_id", run_id).Bind(":limit", LimitOrAll(query.limit)).Bind(":offset", OffsetOrZero(query.offset));
  if (metric_path) (*select)->Bind(":metric", *metric_path);
  auto rows = ReadAll<ResultRow>(**select, [](const Statement& row) -> Result<ResultRow> {
    ResultRow out;
    out.ticker = row.Text(0);
    out.score = row.IsNull(1) ? std::numeric_limits<double>::quiet_NaN() : row.Double(1);
    out.passed = row.Int64(2) != 0;
    auto metrics = ParseMetricsJson(row.Text(3));
    if (!metrics) return metrics.status();
    out.metrics = std::move(*metrics);
    auto reasons = ParseReasonsJson(row.Text(4));
    if (!reasons) return reasons.status();
    out.reasons = std::move(*reasons);
    return out;
  }, query.max_bytes, [](const ResultRow& r) { return MemoryBytes(r); });
  if (!rows) return WithContext(rows.status(), "results of run " + run_id);
  return rows;
}

Result<int64_t> SqliteRunStore::CountResults(const std::string& run_id, bool passed_only) {
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached("SELECT count(*) FROM strategy_result WHERE run_id = ?1" +
                                   std::string(passed_only ? " AND passed = 1" : ""));
  if (!select) return select.status();
  (*select)->Bind(1, run_id);
  auto row = (*select)->Step();
  if (!row) return WithContext(row.status(), "count results of run " + run_id);
  return (*select)->Int64(0);
}

Result<std::vector<RunRecord>> SqliteRunStore::RunsInStates(std::span<const RunState> states) {
  if (states.empty()) return std::vector<RunRecord>();
  std::string placeholders;
  for (size_t i = 0; i < states.size(); ++i) {
    placeholders += (i == 0 ? "?" : ", ?") + std::to_string(i + 1);
  }
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached("SELECT " + std::string(kRunColumns) + " FROM strategy_run WHERE status IN (" +
                                   placeholders + ") ORDER BY created_at, rowid");
  if (!select) return select.status();
  for (size_t i = 0; i < states.size(); ++i) (*select)->Bind(static_cast<int>(i + 1), RunStateName(states[i]));
  auto runs = ReadAll<RunRecord>(**select, ReadRun);
  if (!runs) return WithContext(runs.status(), "runs by state");
  return runs;
}

Result<std::optional<double>> SqliteRunStore::AverageDurationSeconds(const std::string& strategy_code, int n) {
  if (n <= 0) return std::optional<double>();
  auto reader = BorrowReader();
  if (!reader) return reader.status();
  auto select = reader->db().PrepareCached(
      "SELECT started_at, finished_at FROM strategy_run WHERE strategy_code = ?1 AND status = 'completed' "
      "AND started_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?2");
  if (!select) return select.status();
  (*select)->Bind(1, strategy_code).Bind(2, n);
  auto durations = ReadAll<double>(**select, [](const Statement& row) -> Result<double> {
    const auto started = ParseTimestamp(row.Text(0));
    const auto finished = ParseTimestamp(row.Text(1));
    if (!started || !finished) return Status(StatusCode::kDataError, "stored run has a bad timestamp");
    return std::chrono::duration<double>(*finished - *started).count();
  });
  if (!durations) return WithContext(durations.status(), "average duration of " + strategy_code);
  if (durations->empty()) return std::optional<double>();
  double total = 0;
  for (double seconds : *durations) total += seconds;
  return std::optional<double>(total / static_cast<double>(durations->size()));
}

}  // namespace stratrun
