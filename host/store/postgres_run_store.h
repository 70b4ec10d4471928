// PostgresRunStore: the RunStore in a PostgreSQL database — the store many stratrun
// instances share. The schema is postgres_schema.h's.
//
//   auto store = PostgresRunStore::Open("postgresql://stratrun@db.example/stratrun");
//   if (!store) return store.status();  // kUnavailable names the server, never the password
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/postgres_schema.h"
#include "store/run_store.h"

namespace stratrun {

namespace pg {
class Connection;
}

/// Every operation borrows one of up to kMaxConnections connections (one opened with the
/// store, the others on first need, each used by one thread at a time), so reads and
/// writes from several threads run at once, beside other processes' (PostgreSQL's MVCC: a
/// read never waits for a write; a write to a row another transaction holds waits for it,
/// so nothing is lost). Multi-statement writes (AppendEvents, AppendResults, AppendBatch)
/// are one transaction, run again when PostgreSQL aborts it for a conflict (a deadlock
/// with another writer). A connection the server closed while idle is reconnected before
/// use; one lost mid-operation fails that operation with kUnavailable and is replaced.
/// Failures carry PostgreSQL's message, naming the server without its password.
class PostgresRunStore final : public RunStore, public ClusterStore {
 public:
  /// How many connections a store keeps at most; an operation beyond that waits for one
  /// to come back.
  static constexpr size_t kMaxConnections = 4;

  /// Connects to `uri` (postgresql://… or postgres://…, as libpq reads it) and applies
  /// pending migrations, each in its own transaction under a transaction-level advisory
  /// lock, so that instances starting at once against one database migrate it once.
  /// kUnavailable when the server cannot be reached: "cannot connect to PostgreSQL at
  /// <uri without password>: <libpq's message>". A database written by a newer stratrun is
  /// refused with kUnsupported: "database schema version N is newer than this stratrun
  /// supports (M)".
  static Result<std::unique_ptr<PostgresRunStore>> Open(const std::string& uri);

  ~PostgresRunStore() override;
  PostgresRunStore(const PostgresRunStore&) = delete;
  PostgresRunStore& operator=(const PostgresRunStore&) = delete;

  Status CreateRun(const RunRecord& run) override;
  Status UpdateRun(const RunRecord& run) override;
  Result<std::optional<RunRecord>> GetRun(const std::string& run_id) override;
  Result<std::string> ResolveRunId(std::string_view id_or_prefix) override;
  Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter) override;
  Result<int64_t> CountRuns(const RunFilter& filter) override;
  Result<std::optional<double>> AverageDurationSeconds(const std::string& strategy_code, int n = 10) override;

  Status AppendEvents(std::span<const ProgressEvent> events) override;
  /// Reads at most 256 events per round trip, and only those that fit the byte bound
  /// (sizes are summed by the server), so a long run is never loaded whole.
  Result<std::vector<StoredEvent>> Events(const std::string& run_id, uint64_t after_seq = 0, int64_t limit = -1,
                                          size_t max_bytes = SIZE_MAX) override;
  Result<uint64_t> LastSeq(const std::string& run_id) override;

  Status AppendResults(const std::string& run_id, std::span<const ResultRow> rows) override;
  /// Any metric name can be sorted by (it is sent as a parameter, never spliced into SQL).
  /// Rows come through a cursor in batches sized from the rows seen so far, so a bounded
  /// read holds about max_bytes, not the whole run.
  Result<std::vector<ResultRow>> Results(const std::string& run_id, const ResultQuery& query) override;
  Result<int64_t> CountResults(const std::string& run_id, bool passed_only) override;

  Result<bool> ClaimRun(RunRecord& run, const std::string& new_owner) override;
  Result<std::vector<RunRecord>> RunsInStates(std::span<const RunState> states) override;

  Status AppendBatch(const RunRecord& run, std::span<const ProgressEvent> events,
                     std::span<const ResultRow> rows) override;

  ClusterStore* cluster() override { return this; }
  Status RegisterInstance(const InstanceInfo& instance) override;
  Status Heartbeat(const std::string& instance_id) override;
  Result<std::vector<InstanceInfo>> LiveInstances(std::chrono::milliseconds silence) override;
  Result<std::vector<std::string>> SilentInstances(std::chrono::milliseconds silence) override;
  Status RemoveInstance(const std::string& instance_id) override;
  Result<std::optional<RunRecord>> ClaimNextQueued(const std::string& owner, std::chrono::seconds aging) override;
  Result<std::vector<RunRecord>> UnclaimedQueue(std::chrono::seconds aging) override;
  Status Notify(std::string_view channel, std::string_view payload) override;
  /// A connection of the listener's own (not one of the pool's).
  Result<std::unique_ptr<NotificationListener>> Listen(std::span<const std::string_view> channels) override;

 private:
  class Lease;

  PostgresRunStore(std::string uri, std::unique_ptr<pg::Connection> first);

  static Status Migrate(pg::Connection& db);
  /// A connection for this thread until the lease ends; waits while all kMaxConnections
  /// are lent out.
  Result<Lease> Borrow();
  /// Takes back a lent connection; a broken one is closed, freeing its place.
  void Return(std::unique_ptr<pg::Connection> db);

  const std::string uri_;
  std::mutex mutex_;  // idle_, open_
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pg::Connection>> idle_;
  size_t open_ = 0;  // idle or lent out
};

}  // namespace stratrun
