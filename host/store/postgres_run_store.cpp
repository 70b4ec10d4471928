#include "store/postgres_run_store.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_set>
#include <utility>

#include "common/logging.h"
#include "store/pg.h"
#include "store/record_codec.h"

namespace stratrun {
namespace {

using TimePoint = std::chrono::system_clock::time_point;
using pg::ArrayLiteral;
using pg::Connection;
using pg::Params;
using pg::Rows;

/// The key of the transaction-level advisory lock only stratrun's migrations take
/// ("stratrun" in ASCII).
constexpr int64_t kMigrationLockKey = 0x737472617472756e;

/// Events read per round trip at most (fewer when the byte bound cuts a page short).
constexpr int64_t kEventChunk = 256;
/// Result rows fetched per round trip at most, and at first when a read is bounded.
constexpr int64_t kResultChunk = 512;
constexpr int64_t kFirstBoundedResultChunk = 16;

/// The strategy_run columns ReadRun reads, in its order; times as epoch milliseconds
/// (extract gives an exact numeric, so the cast loses nothing).
constexpr std::string_view kRunColumns =
    "run_id, strategy_code, plugin_version, plugin_sha256, parameters_json, status, priority, source, "
    "error_code, error_message, (extract(epoch FROM created_at) * 1000)::bigint, "
    "(extract(epoch FROM started_at) * 1000)::bigint, (extract(epoch FROM finished_at) * 1000)::bigint, "
    "total_items, completed_items, result_count, passed_count, progress_percent, current_stage, owner, "
    "timeout_seconds";

Status WithContext(const Status& status, std::string_view what) {
  return {status.code(), std::string(what) + ": " + status.message(), status.field()};
}

int64_t Clamp(uint64_t value) {
  return static_cast<int64_t>(std::min<uint64_t>(value, std::numeric_limits<int64_t>::max()));
}

// ---- conversions ------------------------------------------------------------------------

/// A time as the store writes it: ISO-8601 UTC with milliseconds, which PostgreSQL reads
/// exactly (`$n::timestamptz`); NULL for an unset one.
std::optional<std::string> TimeText(const std::optional<TimePoint>& time) {
  if (!time) return std::nullopt;
  return FormatTimestamp(*time);
}

std::optional<std::string> NullIfEmpty(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

TimePoint FromEpochMs(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

/// Reads row `r`, selected as kRunColumns.
Result<RunRecord> ReadRun(const Rows& rows, int r) {
  RunRecord run;
  run.run_id = rows.Text(r, 0);
  run.strategy_code = rows.Text(r, 1);
  run.plugin_version = rows.Text(r, 2);
  run.plugin_sha256 = rows.Text(r, 3);
  run.parameters_json = rows.Text(r, 4);
  const std::string_view status = rows.Text(r, 5);
  const auto state = ParseRunState(status);
  if (!state) {
    return Status(StatusCode::kDataError, "run " + run.run_id + " has unknown status \"" + std::string(status) + "\"");
  }
  run.status = *state;
  run.priority = rows.Text(r, 6);
  run.source = rows.Text(r, 7);
  run.error_code = rows.Text(r, 8);
  run.error_message = rows.Text(r, 9);
  run.created_at = FromEpochMs(rows.Int64(r, 10));
  if (!rows.IsNull(r, 11)) run.started_at = FromEpochMs(rows.Int64(r, 11));
  if (!rows.IsNull(r, 12)) run.finished_at = FromEpochMs(rows.Int64(r, 12));
  run.total_items = rows.Int64(r, 13);
  run.completed_items = rows.Int64(r, 14);
  run.result_count = rows.Int64(r, 15);
  run.passed_count = rows.Int64(r, 16);
  run.progress_percent = rows.Double(r, 17);
  run.current_stage = rows.Text(r, 18);
  run.owner = rows.Text(r, 19);
  if (!rows.IsNull(r, 20)) run.timeout_seconds = rows.Int64(r, 20);
  return run;
}

Result<std::vector<RunRecord>> ReadRuns(const Rows& rows) {
  std::vector<RunRecord> runs;
  runs.reserve(static_cast<size_t>(rows.size()));
  for (int r = 0; r < rows.size(); ++r) {
    auto run = ReadRun(rows, r);
    if (!run) return run.status();
    runs.push_back(std::move(*run));
  }
  return runs;
}

Result<ResultRow> ReadResult(const Rows& rows, int r) {
  ResultRow out;
  out.ticker = rows.Text(r, 0);
  out.score = rows.Double(r, 1);  // NULL → NaN
  out.passed = rows.Bool(r, 2);
  auto metrics = ParseMetricsJson(std::string(rows.Text(r, 3)));
  if (!metrics) return metrics.status();
  out.metrics = std::move(*metrics);
  auto reasons = ParseReasonsJson(std::string(rows.Text(r, 4)));
  if (!reasons) return reasons.status();
  out.reasons = std::move(*reasons);
  return out;
}

/// The columns a write of `run` sets, each paired with its value added to `params`:
/// every field but run_id and owner (which the caller places), and created_at only when
/// `with_created_at` (it never changes after CreateRun).
std::vector<std::pair<std::string_view, std::string>> RunValues(Params& params, const RunRecord& run,
                                                                bool with_created_at) {
  std::vector<std::pair<std::string_view, std::string>> values = {
      {"strategy_code", params.Add(run.strategy_code)},
      {"plugin_version", params.Add(run.plugin_version)},
      {"plugin_sha256", params.Add(run.plugin_sha256)},
      {"parameters_json", params.Add(run.parameters_json)},
      {"status", params.Add(RunStateName(run.status))},
      {"priority", params.Add(run.priority)},
      {"source", params.Add(run.source)},
      {"error_code", params.Add(NullIfEmpty(run.error_code))},
      {"error_message", params.Add(NullIfEmpty(run.error_message))},
      {"started_at", params.Add(TimeText(run.started_at)) + "::timestamptz"},
      {"finished_at", params.Add(TimeText(run.finished_at)) + "::timestamptz"},
      {"total_items", params.Add(run.total_items)},
      {"completed_items", params.Add(run.completed_items)},
      {"result_count", params.Add(run.result_count)},
      {"passed_count", params.Add(run.passed_count)},
      {"progress_percent", params.Add(run.progress_percent)},
      {"current_stage", params.Add(run.current_stage)},
      {"timeout_seconds", params.Add(run.timeout_seconds)},
  };
  if (with_created_at) values.emplace_back("created_at", params.Add(FormatTimestamp(run.created_at)) + "::timestamptz");
  return values;
}

/// " WHERE …" for a RunFilter, its values added to `params`.
std::string RunFilterWhere(Params& params, const RunFilter& filter) {
  std::string where = " WHERE true";
  if (filter.status) where += " AND status = " + params.Add(RunStateName(*filter.status));
  if (!filter.strategy_code.empty()) where += " AND strategy_code = " + params.Add(filter.strategy_code);
  return where;
}

std::optional<int64_t> LimitOrAll(int64_t limit) {
  if (limit < 0) return std::nullopt;  // LIMIT NULL: no limit
  return limit;
}
int64_t OffsetOrZero(int64_t offset) { return offset < 0 ? 0 : offset; }

// ---- writes (inside a transaction) ------------------------------------------------------------

/// A RETURNING clause that announces the written run on kRunsChannel (ClusterStore).
std::string AnnounceRun() {
  return " RETURNING pg_notify('" + std::string(kRunsChannel) + "', run_id || ' ' || status || ' ' || owner)";
}

Status WriteRun(Connection& db, const RunRecord& run) {
  Params params;
  const std::string id = params.Add(run.run_id);
  const std::string owner = params.Add(run.owner);
  std::string sql = "UPDATE strategy_run SET ";
  bool first = true;
  for (const auto& [column, value] : RunValues(params, run, /*with_created_at=*/false)) {
    sql.append(first ? "" : ", ").append(column).append(" = ").append(value);
    first = false;
  }
  // Only the run's owner may write it (RunClaims alone changes the owner).
  sql += " WHERE run_id = " + id + " AND owner = " + owner + AnnounceRun();
  auto updated = db.Exec(sql, params);
  if (!updated) return WithContext(updated.status(), "update run " + run.run_id);
  if (updated->affected() > 0) return Status::Ok();

  Params lookup;
  auto stored = db.Exec("SELECT owner FROM strategy_run WHERE run_id = " + lookup.Add(run.run_id), lookup);
  if (!stored) return WithContext(stored.status(), "update run " + run.run_id);
  if (stored->size() == 0) return NotFound("run " + run.run_id + " not found", "run_id");
  // A writer whose run another process claimed is fenced off.
  return {StatusCode::kFailedPrecondition,
          "run " + run.run_id + " is owned by " + std::string(stored->Text(0, 0)) + ", not by this writer (" +
              run.owner + ")",
          "run_id"};
}

/// Announces on kEventsChannel, once per run of `events`, the highest seq now stored.
Status AnnounceEvents(Connection& db, std::span<const ProgressEvent> events) {
  std::vector<std::pair<std::string_view, uint64_t>> last;  // per run, in batch order
  for (const ProgressEvent& event : events) {
    auto it = std::find_if(last.begin(), last.end(), [&](const auto& l) { return l.first == event.run_id; });
    if (it == last.end()) {
      last.emplace_back(event.run_id, event.seq);
    } else {
      it->second = std::max(it->second, event.seq);
    }
  }
  ArrayLiteral payloads;
  for (const auto& [run_id, seq] : last) payloads.Add(std::string(run_id) + " " + std::to_string(seq));
  Params params;
  auto sent = db.Exec("SELECT pg_notify('" + std::string(kEventsChannel) + "', p) FROM unnest(" +
                          params.Add(payloads.Take()) + "::text[]) AS p",
                      params);
  if (!sent) return WithContext(sent.status(), "announce events");
  return Status::Ok();
}

Status WriteEvents(Connection& db, std::span<const ProgressEvent> events) {
  if (events.empty()) return Status::Ok();
  // One statement writes the batch, and PostgreSQL refuses one that meets the same row
  // twice: a seq repeated within the batch is settled here, as writing it twice would be.
  struct Pending {
    const ProgressEvent* event;
    std::string json;
  };
  std::vector<Pending> pending;
  pending.reserve(events.size());
  std::set<std::pair<std::string_view, uint64_t>> seen;
  std::vector<std::string_view> run_ids;  // distinct, in batch order
  for (const ProgressEvent& event : events) {
    std::string json = ToJson(event);
    if (!seen.emplace(event.run_id, event.seq).second) {
      const auto same = std::find_if(pending.begin(), pending.end(), [&](const Pending& p) {
        return p.event->run_id == event.run_id && p.event->seq == event.seq;
      });
      if (same->event->type == event.type && same->json == json) continue;
      return {StatusCode::kAlreadyExists,
              "event " + std::to_string(event.seq) + " of run " + event.run_id + " is already stored as another event",
              "seq"};
    }
    if (std::find(run_ids.begin(), run_ids.end(), event.run_id) == run_ids.end()) run_ids.push_back(event.run_id);
    pending.push_back({&event, std::move(json)});
  }

  if (run_ids.size() > 1) {  // name the unknown run the batch refers to, if any
    ArrayLiteral ids;
    for (std::string_view id : run_ids) ids.Add(id);
    Params params;
    auto missing = db.Exec("SELECT r FROM unnest(" + params.Add(ids.Take()) +
                               "::text[]) WITH ORDINALITY AS u (r, i) "
                               "WHERE NOT EXISTS (SELECT 1 FROM strategy_run WHERE run_id = u.r) ORDER BY i LIMIT 1",
                           params);
    if (!missing) return WithContext(missing.status(), "append events");
    if (missing->size() > 0) {
      return NotFound("append events: run " + std::string(missing->Text(0, 0)) + " not found", "run_id");
    }
  }

  ArrayLiteral ids, seqs, types, jsons;
  for (const Pending& p : pending) {
    ids.Add(p.event->run_id);
    seqs.Add(static_cast<int64_t>(p.event->seq));
    types.Add(EventTypeName(p.event->type));
    jsons.Add(p.json);
  }
  Params params;
  // A stored (run_id, seq) is "updated" to itself when the same event comes again (so it is
  // returned), and left alone — not returned — when another event comes there.
  const std::string sql =
      "INSERT INTO run_event (run_id, seq, event_type, json) SELECT * FROM unnest(" + params.Add(ids.Take()) +
      "::text[], " + params.Add(seqs.Take()) + "::bigint[], " + params.Add(types.Take()) + "::text[], " +
      params.Add(jsons.Take()) +
      "::text[]) ON CONFLICT (run_id, seq) DO UPDATE SET json = excluded.json "
      "WHERE run_event.json = excluded.json AND run_event.event_type = excluded.event_type "
      "RETURNING run_id, seq";
  auto written = db.Exec(sql, params);
  if (!written) {
    if (db.last_sqlstate() == "23503") {  // foreign key: the run is not there
      return NotFound("append events: run " + std::string(run_ids.front()) + " not found", "run_id");
    }
    return WithContext(written.status(), "append events of run " + std::string(run_ids.front()));
  }
  if (written->size() == static_cast<int>(pending.size())) return AnnounceEvents(db, events);
  std::set<std::pair<std::string, uint64_t>> stored;
  for (int r = 0; r < written->size(); ++r) {
    stored.emplace(std::string(written->Text(r, 0)), static_cast<uint64_t>(written->Int64(r, 1)));
  }
  for (const Pending& p : pending) {
    if (stored.contains({p.event->run_id, p.event->seq})) continue;
    return {StatusCode::kAlreadyExists,
            "event " + std::to_string(p.event->seq) + " of run " + p.event->run_id +
                " is already stored as another event",
            "seq"};
  }
  return Internal("append events: fewer events written than sent");
}

Status WriteResults(Connection& db, const std::string& run_id, std::span<const ResultRow> rows) {
  if (rows.empty()) return Status::Ok();
  // A ticker reported twice in one batch: the later row replaces the earlier, as two
  // separate writes would (one statement may not meet a row twice).
  std::vector<const ResultRow*> last;
  std::unordered_set<std::string_view> seen;
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (seen.insert(it->ticker).second) last.push_back(&*it);
  }
  std::reverse(last.begin(), last.end());

  ArrayLiteral tickers, scores, passed, metrics, reasons;
  for (const ResultRow* row : last) {
    tickers.Add(row->ticker);
    if (std::isnan(row->score)) {
      scores.AddNull();
    } else {
      scores.Add(row->score);
    }
    passed.Add(row->passed);
    metrics.Add(MetricsJson(row->metrics));
    reasons.Add(ReasonsJson(row->reasons));
  }
  Params params;
  const std::string sql =
      "INSERT INTO strategy_result (run_id, ticker, score, passed, metrics_json, reasons_json) "
      "SELECT " + params.Add(run_id) + "::text, t, s, p, m::json, r::json FROM unnest(" + params.Add(tickers.Take()) +
      "::text[], " + params.Add(scores.Take()) + "::float8[], " + params.Add(passed.Take()) + "::boolean[], " +
      params.Add(metrics.Take()) + "::text[], " + params.Add(reasons.Take()) +
      "::text[]) AS u (t, s, p, m, r) "
      "ON CONFLICT (run_id, ticker) DO UPDATE SET score = excluded.score, passed = excluded.passed, "
      "metrics_json = excluded.metrics_json, reasons_json = excluded.reasons_json";
  auto written = db.Exec(sql, params);
  if (!written) {
    if (db.last_sqlstate() == "23503") return NotFound("append results: run " + run_id + " not found", "run_id");
    return WithContext(written.status(), "append results of run " + run_id);
  }
  return Status::Ok();
}

}  // namespace

// ---- PostgresRunStore ---------------------------------------------------------------------------

/// One connection lent to one thread; handed back to the pool when the lease ends.
class PostgresRunStore::Lease {
 public:
  Lease(PostgresRunStore* store, std::unique_ptr<Connection> db) : store_(store), db_(std::move(db)) {}
  ~Lease() {
    if (db_ != nullptr) store_->Return(std::move(db_));
  }
  Lease(Lease&& other) noexcept : store_(other.store_), db_(std::move(other.db_)) {}
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  Connection& db() const { return *db_; }

 private:
  PostgresRunStore* store_;
  std::unique_ptr<Connection> db_;
};

PostgresRunStore::PostgresRunStore(std::string uri, std::unique_ptr<pg::Connection> first) : uri_(std::move(uri)) {
  idle_.push_back(std::move(first));
  open_ = 1;
}

PostgresRunStore::~PostgresRunStore() = default;

Result<PostgresRunStore::Lease> PostgresRunStore::Borrow() {
  std::unique_ptr<Connection> db;
  {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return !idle_.empty() || open_ < kMaxConnections; });
    if (!idle_.empty()) {
      db = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;  // reserved; opened below, outside the lock
    }
  }
  if (db != nullptr) {
    Status alive = db->Revive();
    Lease lease(this, std::move(db));  // a dead one is closed when the lease ends
    if (!alive.ok()) return alive;
    return lease;
  }
  auto opened = Connection::Open(uri_);
  if (!opened) {
    {
      std::lock_guard lock(mutex_);
      --open_;
    }
    returned_.notify_one();
    return opened.status();
  }
  return Lease(this, std::move(*opened));
}

void PostgresRunStore::Return(std::unique_ptr<pg::Connection> db) {
  {
    std::lock_guard lock(mutex_);
    if (db->broken()) {
      --open_;  // closed below; the next borrower opens a new one
    } else {
      idle_.push_back(std::move(db));
    }
  }
  returned_.notify_one();
}

Result<std::unique_ptr<PostgresRunStore>> PostgresRunStore::Open(const std::string& uri) {
  auto db = Connection::Open(uri);
  if (!db) return db.status();
  const std::string location = (*db)->location();
  if (Status status = Migrate(**db); !status.ok()) return WithContext(status, "database " + location);
  return std::unique_ptr<PostgresRunStore>(new PostgresRunStore(uri, std::move(*db)));
}

Status PostgresRunStore::Migrate(pg::Connection& db) {
  const auto read_version = [&]() -> Result<int> {
    auto exists = db.Exec("SELECT to_regclass('schema_version') IS NOT NULL");
    if (!exists) return exists.status();
    if (!exists->Bool(0, 0)) return 0;
    auto version = db.Exec("SELECT coalesce(max(version), 0) FROM schema_version");
    if (!version) return version.status();
    return static_cast<int>(version->Int64(0, 0));
  };
  // Unlocked first: a database that is current needs no lock and no DDL (so a role that may
  // not create tables can use it).
  auto version = read_version();
  if (!version) return version.status();
  for (;;) {
    if (*version == kPostgresSchemaVersion) return Status::Ok();
    if (*version > kPostgresSchemaVersion) {
      return {StatusCode::kUnsupported, "database schema version " + std::to_string(*version) +
                                            " is newer than this stratrun supports (" +
                                            std::to_string(kPostgresSchemaVersion) + ")"};
    }
    // One migration per transaction, under a lock every migrating instance takes: whoever
    // gets it second finds the version moved on and applies nothing twice.
    int migrated_to = 0;
    Status status = pg::InTransaction(db, [&]() -> Status {
      migrated_to = 0;
      Params lock;
      if (auto locked = db.Exec("SELECT pg_advisory_xact_lock(" + lock.Add(kMigrationLockKey) + ")", lock); !locked) {
        return locked.status();
      }
      if (Status created = db.ExecScript(
              "CREATE TABLE IF NOT EXISTS schema_version ("
              "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
          !created.ok()) {
        return created;
      }
      auto locked_version = read_version();
      if (!locked_version) return locked_version.status();
      *version = *locked_version;
      if (*version >= kPostgresSchemaVersion) return Status::Ok();  // someone else got there
      const int target = *version + 1;
      if (Status applied = db.ExecScript(kPostgresMigrations[*version]); !applied.ok()) {
        return WithContext(applied, "migration to schema version " + std::to_string(target));
      }
      Params record;
      if (auto recorded = db.Exec("INSERT INTO schema_version (version) VALUES (" + record.Add(target) + ")", record);
          !recorded) {
        return recorded.status();
      }
      migrated_to = target;
      return Status::Ok();
    });
    if (!status.ok()) return status;
    if (migrated_to > 0) {
      *version = migrated_to;
      Logger("store")->info("PostgreSQL database schema migrated to version {}", migrated_to);
    }
  }
}

Status PostgresRunStore::CreateRun(const RunRecord& run) {
  if (Status status = ValidateRun(run); !status.ok()) return status;
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  std::string columns = "run_id, owner";
  std::string values = params.Add(run.run_id) + ", " + params.Add(run.owner);
  for (const auto& [column, value] : RunValues(params, run, /*with_created_at=*/true)) {
    columns.append(", ").append(column);
    values.append(", ").append(value);
  }
  auto inserted =
      lease->db().Exec("INSERT INTO strategy_run (" + columns + ") VALUES (" + values + ")" + AnnounceRun(), params);
  if (!inserted) {
    if (inserted.status().code() == StatusCode::kAlreadyExists) {
      return {StatusCode::kAlreadyExists, "run " + run.run_id + " already exists", "run_id"};
    }
    return WithContext(inserted.status(), "create run " + run.run_id);
  }
  return Status::Ok();
}

Status PostgresRunStore::UpdateRun(const RunRecord& run) {
  if (Status status = ValidateRun(run); !status.ok()) return status;
  auto lease = Borrow();
  if (!lease) return lease.status();
  return WriteRun(lease->db(), run);
}

Result<bool> PostgresRunStore::ClaimRun(RunRecord& run, const std::string& new_owner) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  // One UPDATE: of two claims at once, the second waits for the first's row lock, then
  // finds the owner changed and matches nothing.
  const std::string sql = "UPDATE strategy_run SET owner = " + params.Add(new_owner) +
                          " WHERE run_id = " + params.Add(run.run_id) + " AND owner = " + params.Add(run.owner) +
                          " AND status = " + params.Add(RunStateName(run.status)) + AnnounceRun();
  auto claimed = lease->db().Exec(sql, params);
  if (!claimed) return WithContext(claimed.status(), "claim run " + run.run_id);
  if (claimed->affected() == 0) return false;
  run.owner = new_owner;
  return true;
}

Status PostgresRunStore::AppendEvents(std::span<const ProgressEvent> events) {
  if (events.empty()) return Status::Ok();
  auto lease = Borrow();
  if (!lease) return lease.status();
  Connection& db = lease->db();
  return pg::InTransaction(db, [&] { return WriteEvents(db, events); });
}

Status PostgresRunStore::AppendResults(const std::string& run_id, std::span<const ResultRow> rows) {
  if (rows.empty()) return Status::Ok();
  auto lease = Borrow();
  if (!lease) return lease.status();
  Connection& db = lease->db();
  return pg::InTransaction(db, [&] { return WriteResults(db, run_id, rows); });
}

Status PostgresRunStore::AppendBatch(const RunRecord& run, std::span<const ProgressEvent> events,
                                     std::span<const ResultRow> rows) {
  if (Status status = ValidateRun(run); !status.ok()) return status;
  auto lease = Borrow();
  if (!lease) return lease.status();
  Connection& db = lease->db();
  return pg::InTransaction(db, [&]() -> Status {
    if (Status status = WriteEvents(db, events); !status.ok()) return status;
    if (Status status = WriteResults(db, run.run_id, rows); !status.ok()) return status;
    return WriteRun(db, run);
  });
}

Result<std::optional<RunRecord>> PostgresRunStore::GetRun(const std::string& run_id) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows = lease->db().Exec(
      "SELECT " + std::string(kRunColumns) + " FROM strategy_run WHERE run_id = " + params.Add(run_id), params);
  if (!rows) return WithContext(rows.status(), "get run " + run_id);
  if (rows->size() == 0) return std::optional<RunRecord>();
  auto run = ReadRun(*rows, 0);
  if (!run) return run.status();
  return std::optional<RunRecord>(std::move(*run));
}

Result<std::string> PostgresRunStore::ResolveRunId(std::string_view id_or_prefix) {
  if (id_or_prefix.empty()) return InvalidArgument("a run id is required", "run_id");
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  const std::string prefix = params.Add(id_or_prefix);
  // starts_with compares characters, never patterns ('%' is just a character); with the
  // key's "C" collation the primary key's index answers it.
  auto rows = lease->db().Exec("SELECT run_id FROM strategy_run WHERE starts_with(run_id, " + prefix +
                                   ") ORDER BY run_id = " + prefix + " DESC, created_at DESC, created_seq DESC LIMIT 11",
                               params);
  if (!rows) return WithContext(rows.status(), "resolve run id");
  std::vector<std::string> ids;
  for (int r = 0; r < rows->size(); ++r) ids.emplace_back(rows->Text(r, 0));
  if (ids.empty()) return NotFound("unknown run '" + std::string(id_or_prefix) + "'", "run_id");
  if (ids.size() == 1 || ids.front() == id_or_prefix) return ids.front();
  std::string message = "run id '" + std::string(id_or_prefix) + "' is ambiguous: it starts ";
  message += ids.size() > 10 ? "more than 10 runs, e.g." : std::to_string(ids.size()) + " runs:";
  for (size_t i = 0; i < ids.size() && i < 10; ++i) message += " " + ids[i];
  return InvalidArgument(std::move(message), "run_id");
}

Result<std::vector<RunRecord>> PostgresRunStore::ListRuns(const RunFilter& filter) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  std::string sql = "SELECT " + std::string(kRunColumns) + " FROM strategy_run" + RunFilterWhere(params, filter);
  sql += " ORDER BY created_at DESC, created_seq DESC LIMIT " + params.Add(LimitOrAll(filter.limit)) + "::bigint OFFSET " +
         params.Add(OffsetOrZero(filter.offset));
  auto rows = lease->db().Exec(sql, params);
  if (!rows) return WithContext(rows.status(), "list runs");
  auto runs = ReadRuns(*rows);
  if (!runs) return WithContext(runs.status(), "list runs");
  return runs;
}

Result<int64_t> PostgresRunStore::CountRuns(const RunFilter& filter) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows = lease->db().Exec("SELECT count(*) FROM strategy_run" + RunFilterWhere(params, filter), params);
  if (!rows) return WithContext(rows.status(), "count runs");
  return rows->Int64(0, 0);
}

Result<std::vector<RunRecord>> PostgresRunStore::RunsInStates(std::span<const RunState> states) {
  if (states.empty()) return std::vector<RunRecord>();
  ArrayLiteral names;
  for (RunState state : states) names.Add(RunStateName(state));
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows = lease->db().Exec("SELECT " + std::string(kRunColumns) + " FROM strategy_run WHERE status = ANY (" +
                                   params.Add(names.Take()) + "::text[]) ORDER BY created_at, created_seq",
                               params);
  if (!rows) return WithContext(rows.status(), "runs by state");
  auto runs = ReadRuns(*rows);
  if (!runs) return WithContext(runs.status(), "runs by state");
  return runs;
}

Result<std::optional<double>> PostgresRunStore::AverageDurationSeconds(const std::string& strategy_code, int n) {
  if (n <= 0) return std::optional<double>();
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows = lease->db().Exec(
      "SELECT avg(extract(epoch FROM finished_at - started_at))::float8 FROM ("
      "SELECT started_at, finished_at FROM strategy_run WHERE strategy_code = " + params.Add(strategy_code) +
          " AND status = 'completed' AND started_at IS NOT NULL AND finished_at IS NOT NULL "
          "ORDER BY finished_at DESC LIMIT " + params.Add(n) + ") AS last_runs",
      params);
  if (!rows) return WithContext(rows.status(), "average duration of " + strategy_code);
  if (rows->IsNull(0, 0)) return std::optional<double>();
  return std::optional<double>(rows->Double(0, 0));
}

Result<std::vector<StoredEvent>> PostgresRunStore::Events(const std::string& run_id, uint64_t after_seq,
                                                          int64_t limit, size_t max_bytes) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  std::vector<StoredEvent> events;
  size_t bytes = 0;
  uint64_t after = after_seq;
  int64_t remaining = limit < 0 ? std::numeric_limits<int64_t>::max() : limit;
  while (remaining > 0 && (events.empty() || bytes < max_bytes)) {
    const int64_t chunk = std::min(remaining, kEventChunk);
    // The server keeps the events of the chunk that start within the byte budget (the
    // bytes of the ones before them, summed in seq order): the last one read may cross it.
    const size_t budget = max_bytes - bytes;
    Params params;
    const std::string sql =
        "SELECT seq, event_type, json FROM ("
        "SELECT seq, event_type, json, sum(octet_length(json)) OVER (ORDER BY seq) - octet_length(json) AS before "
        "FROM (SELECT seq, event_type, json FROM run_event WHERE run_id = " + params.Add(run_id) +
        " AND seq > " + params.Add(Clamp(after)) + " ORDER BY seq LIMIT " + params.Add(chunk) +
        ") AS chunk) AS sized WHERE before < " + params.Add(Clamp(events.empty() ? std::max<size_t>(budget, 1) : budget)) +
        " ORDER BY seq";
    auto rows = lease->db().Exec(sql, params);
    if (!rows) return WithContext(rows.status(), "events of run " + run_id);
    for (int r = 0; r < rows->size(); ++r) {
      const std::string_view type_name = rows->Text(r, 1);
      const auto type = ParseEventType(type_name);
      if (!type) {
        return Status(StatusCode::kDataError, "events of run " + run_id + ": stored event has unknown type \"" +
                                                  std::string(type_name) + "\"");
      }
      StoredEvent event{static_cast<uint64_t>(rows->Int64(r, 0)), *type, std::string(rows->Text(r, 2))};
      bytes += event.json.size();
      after = event.seq;
      events.push_back(std::move(event));
    }
    remaining -= rows->size();
    if (rows->size() < chunk) break;  // the run has no more, or the byte budget cut the chunk
  }
  return events;
}

Result<uint64_t> PostgresRunStore::LastSeq(const std::string& run_id) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows =
      lease->db().Exec("SELECT coalesce(max(seq), 0) FROM run_event WHERE run_id = " + params.Add(run_id), params);
  if (!rows) return WithContext(rows.status(), "last event of run " + run_id);
  return static_cast<uint64_t>(rows->Int64(0, 0));
}

Result<std::vector<ResultRow>> PostgresRunStore::Results(const std::string& run_id, const ResultQuery& query) {
  Params params;
  const std::string run = params.Add(run_id);
  const std::string dir = query.descending ? " DESC" : " ASC";
  std::string order;
  if (query.sort_by.empty() || query.sort_by == "score") {
    order = "score" + dir + " NULLS LAST, ticker";
  } else if (query.sort_by == "ticker") {
    order = "ticker" + dir;
  } else if (query.sort_by == "passed") {
    order = "passed" + dir + ", score DESC NULLS LAST, ticker";
  } else {
    // The metric's value when it is a number; null, another JSON type or none sorts last.
    const std::string metric = params.Add(query.sort_by) + "::text";
    order = "CASE WHEN json_typeof(metrics_json -> " + metric + ") = 'number' THEN (metrics_json ->> " + metric +
            ")::float8 END" + dir + " NULLS LAST, ticker";
  }
  const std::string sql =
      "DECLARE stratrun_results NO SCROLL CURSOR FOR "
      "SELECT ticker, score, passed, metrics_json, reasons_json FROM strategy_result WHERE run_id = " + run +
      (query.passed_only ? " AND passed" : "") + " ORDER BY " + order + " LIMIT " +
      params.Add(LimitOrAll(query.limit)) + "::bigint OFFSET " + params.Add(OffsetOrZero(query.offset));

  auto lease = Borrow();
  if (!lease) return lease.status();
  Connection& db = lease->db();
  auto tx = pg::Transaction::Begin(db, "BEGIN READ ONLY");
  if (!tx) return WithContext(tx.status(), "results of run " + run_id);
  if (auto declared = db.Exec(sql, params); !declared) return WithContext(declared.status(), "results of run " + run_id);

  std::vector<ResultRow> out;
  size_t bytes = 0;
  size_t widest = 0;  // the largest row read so far (MemoryBytes)
  const bool bounded = query.max_bytes != SIZE_MAX;
  for (;;) {
    // A bounded read asks for about as many rows as the rest of the budget holds.
    int64_t fetch = bounded ? kFirstBoundedResultChunk : kResultChunk;
    if (bounded && widest > 0) {
      fetch = std::clamp<int64_t>(Clamp((query.max_bytes - bytes) / widest) + 1, 1, kResultChunk);
    }
    auto rows = db.Exec("FETCH " + std::to_string(fetch) + " FROM stratrun_results");
    if (!rows) return WithContext(rows.status(), "results of run " + run_id);
    for (int r = 0; r < rows->size(); ++r) {
      if (!out.empty() && bytes >= query.max_bytes) break;
      auto row = ReadResult(*rows, r);
      if (!row) return WithContext(row.status(), "results of run " + run_id);
      const size_t size = MemoryBytes(*row);
      bytes += size;
      widest = std::max(widest, size);
      out.push_back(std::move(*row));
    }
    if (rows->size() < fetch || (!out.empty() && bytes >= query.max_bytes)) break;
  }
  if (Status status = tx->Commit(); !status.ok()) return WithContext(status, "results of run " + run_id);
  return out;
}

Result<int64_t> PostgresRunStore::CountResults(const std::string& run_id, bool passed_only) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows = lease->db().Exec("SELECT count(*) FROM strategy_result WHERE run_id = " + params.Add(run_id) +
                                   (passed_only ? " AND passed" : ""),
                               params);
  if (!rows) return WithContext(rows.status(), "count results of run " + run_id);
  return rows->Int64(0, 0);
}


// ---- ClusterStore -------------------------------------------------------------------------------

namespace {

/// The ORDER BY of the shared queue: priority level (high 0, normal 1, low 2) less one per
/// `aging` waited, never below 0; then creation order.
std::string QueueOrder(Params& params, std::chrono::seconds aging) {
  const std::string seconds = params.Add(static_cast<int64_t>(std::max<int64_t>(aging.count(), 1)));
  return " ORDER BY GREATEST(0, (CASE priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END) - "
         "floor(extract(epoch FROM now() - created_at) / " + seconds + "::bigint)::bigint), created_at, created_seq";
}

constexpr std::string_view kInstanceColumns =
    "instance_id, name, max_concurrent, (extract(epoch FROM started_at) * 1000)::bigint, "
    "(extract(epoch FROM heartbeat_at) * 1000)::bigint";

std::string Interval(Params& params, std::chrono::milliseconds span) {
  return "(" + params.Add(static_cast<int64_t>(span.count())) + "::bigint * interval '1 millisecond')";
}

class PostgresListener final : public NotificationListener {
 public:
  explicit PostgresListener(std::unique_ptr<Connection> db) : db_(std::move(db)) {}
  Result<std::vector<Notification>> Wait(std::chrono::milliseconds timeout) override {
    auto received = db_->WaitForNotifications(timeout);
    if (!received) return received.status();
    std::vector<Notification> out;
    out.reserve(received->size());
    for (auto& n : *received) out.push_back({std::move(n.channel), std::move(n.payload)});
    return out;
  }

 private:
  std::unique_ptr<Connection> db_;
};

}  // namespace

Status PostgresRunStore::RegisterInstance(const InstanceInfo& instance) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto done = lease->db().Exec(
      "INSERT INTO stratrun_instance (instance_id, name, max_concurrent) VALUES (" + params.Add(instance.id) + ", " +
          params.Add(instance.name) + ", " + params.Add(static_cast<int64_t>(instance.max_concurrent)) +
          ") ON CONFLICT (instance_id) DO UPDATE SET name = excluded.name, max_concurrent = excluded.max_concurrent, "
          "heartbeat_at = now()",
      params);
  if (!done) return WithContext(done.status(), "register instance " + instance.name);
  return Status::Ok();
}

Status PostgresRunStore::Heartbeat(const std::string& instance_id) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto done = lease->db().Exec(
      "UPDATE stratrun_instance SET heartbeat_at = now() WHERE instance_id = " + params.Add(instance_id), params);
  if (!done) return WithContext(done.status(), "heartbeat");
  if (done->affected() == 0) {
    return {StatusCode::kFailedPrecondition, "this instance's lease was lost: another instance declared it dead"};
  }
  return Status::Ok();
}

Result<std::vector<InstanceInfo>> PostgresRunStore::LiveInstances(std::chrono::milliseconds silence) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows = lease->db().Exec("SELECT " + std::string(kInstanceColumns) +
                                   " FROM stratrun_instance WHERE heartbeat_at >= now() - " +
                                   Interval(params, silence) + " ORDER BY name, instance_id",
                               params);
  if (!rows) return WithContext(rows.status(), "list instances");
  std::vector<InstanceInfo> out;
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back({.id = std::string(rows->Text(r, 0)),
                   .name = std::string(rows->Text(r, 1)),
                   .max_concurrent = static_cast<unsigned>(std::max<int64_t>(rows->Int64(r, 2), 0)),
                   .started_at = FromEpochMs(rows->Int64(r, 3)),
                   .heartbeat_at = FromEpochMs(rows->Int64(r, 4))});
  }
  return out;
}

Result<std::vector<std::string>> PostgresRunStore::SilentInstances(std::chrono::milliseconds silence) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows = lease->db().Exec(
      "SELECT instance_id FROM stratrun_instance WHERE heartbeat_at < now() - " + Interval(params, silence), params);
  if (!rows) return WithContext(rows.status(), "list silent instances");
  std::vector<std::string> out;
  for (int r = 0; r < rows->size(); ++r) out.emplace_back(rows->Text(r, 0));
  return out;
}

Status PostgresRunStore::RemoveInstance(const std::string& instance_id) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto done = lease->db().Exec("DELETE FROM stratrun_instance WHERE instance_id = " + params.Add(instance_id), params);
  if (!done) return WithContext(done.status(), "remove instance");
  return Status::Ok();
}

Result<std::optional<RunRecord>> PostgresRunStore::ClaimNextQueued(const std::string& owner,
                                                                   std::chrono::seconds aging) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  const std::string me = params.Add(owner);
  // One statement, one transaction: the row lock taken by FOR UPDATE is held until the
  // UPDATE commits, and SKIP LOCKED lets other claimers take the next run meanwhile.
  const std::string sql = "UPDATE strategy_run SET owner = " + me +
                          " WHERE run_id = (SELECT run_id FROM strategy_run WHERE status = 'queued' AND owner = ''" +
                          QueueOrder(params, aging) + " LIMIT 1 FOR UPDATE SKIP LOCKED) AND owner = '' RETURNING " +
                          std::string(kRunColumns) + ", pg_notify('" + std::string(kRunsChannel) +
                          "', run_id || ' ' || status || ' ' || owner)";
  auto rows = lease->db().Exec(sql, params);
  if (!rows) return WithContext(rows.status(), "claim the next queued run");
  if (rows->size() == 0) return std::optional<RunRecord>();
  auto run = ReadRun(*rows, 0);
  if (!run) return run.status();
  return std::optional<RunRecord>(std::move(*run));
}

Result<std::vector<RunRecord>> PostgresRunStore::UnclaimedQueue(std::chrono::seconds aging) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto rows = lease->db().Exec("SELECT " + std::string(kRunColumns) +
                                   " FROM strategy_run WHERE status = 'queued' AND owner = ''" +
                                   QueueOrder(params, aging),
                               params);
  if (!rows) return WithContext(rows.status(), "read the queue");
  return ReadRuns(*rows);
}

Status PostgresRunStore::Notify(std::string_view channel, std::string_view payload) {
  auto lease = Borrow();
  if (!lease) return lease.status();
  Params params;
  auto done = lease->db().Exec("SELECT pg_notify(" + params.Add(channel) + ", " + params.Add(payload) + ")", params);
  if (!done) return WithContext(done.status(), "notify " + std::string(channel));
  return Status::Ok();
}

Result<std::unique_ptr<NotificationListener>> PostgresRunStore::Listen(std::span<const std::string_view> channels) {
  auto db = Connection::Open(uri_);
  if (!db) return db.status();
  for (std::string_view channel : channels) {
    // Channel names are this program's constants (identifiers), never user input.
    auto done = (*db)->Exec("LISTEN " + std::string(channel));
    if (!done) return WithContext(done.status(), "listen " + std::string(channel));
  }
  return std::unique_ptr<NotificationListener>(new PostgresListener(std::move(*db)));
}

}  // namespace stratrun
