// RunStore: the durable log of runs (RunLog), their events (EventLog), their per-ticker
// results (ResultLog) and who owns each (RunClaims), behind one interface the rest of the
// host uses. SQLite (sqlite_run_store.h) is the embedded default, PostgreSQL
// (postgres_run_store.h) the store many instances share; components take the narrowest of
// these interfaces they need.
//
//   auto store = RunStore::Open("/var/lib/stratrun/runs.db");   // or "postgresql://…"
//   if (!store) return store.status();
//   (*store)->CreateRun(run);
//   auto page = (*store)->ListRuns({.status = RunState::kCompleted, .limit = 20});
#pragma once

#include <filesystem>  // callers pass paths
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "progress/progress_event.h"
#include "progress/run_record.h"
#include "store/cluster_store.h"
#include "store/event_log.h"
#include "store/result_log.h"
#include "store/run_claims.h"
#include "store/run_log.h"

namespace stratrun {

/// Thread-safe; every method reports failures as a Status and none throws. Several
/// processes may use the same store at once (a CLI run while the server runs): writes are
/// never lost to one another, and reads never wait for another process's writes.
class RunStore : public RunLog, public EventLog, public ResultLog, public RunClaims {
 public:
  /// Opens or creates the store at `location`, applying pending schema migrations: a
  /// PostgreSQL database when IsPostgresLocation(location) (PostgresRunStore::Open; an
  /// unreachable server is kUnavailable), else an SQLite file path (SqliteRunStore::Open;
  /// a std::filesystem::path converts). A store written by a newer stratrun is refused with
  /// kUnsupported.
  static Result<std::unique_ptr<RunStore>> Open(const std::string& location);

  /// RunLogSink's batch: `run` (as UpdateRun, so only the run's owner may append), `events`
  /// (as AppendEvents) and `rows` (as AppendResults for run.run_id), all in one
  /// transaction: all or nothing.
  virtual Status AppendBatch(const RunRecord& run, std::span<const ProgressEvent> events,
                             std::span<const ResultRow> rows) = 0;

  /// What instances sharing this store coordinate through; null for a store only one
  /// machine uses (SQLite).
  virtual ClusterStore* cluster() { return nullptr; }
};

/// True for a location RunStore::Open opens as PostgreSQL: one starting "postgresql://" or
/// "postgres://" (the URI schemes libpq reads).
bool IsPostgresLocation(std::string_view location);

}  // namespace stratrun
