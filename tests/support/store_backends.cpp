#include "support/store_backends.h"

#include <optional>

#include "store/pg.h"
#include "store/sqlite.h"

namespace stratrun::testing {
namespace {

class SqliteBlocker final : public WriteBlocker {
 public:
  SqliteBlocker(std::unique_ptr<sqlite::Database> db, sqlite::Transaction tx) : db_(std::move(db)), tx_(std::move(tx)) {}
  ~SqliteBlocker() override { tx_.reset(); }
  Status Release() override {
    if (!tx_) return Status::Ok();
    Status status = tx_->Commit();
    tx_.reset();
    return status;
  }

 private:
  std::unique_ptr<sqlite::Database> db_;
  std::optional<sqlite::Transaction> tx_;
};

class PostgresBlocker final : public WriteBlocker {
 public:
  explicit PostgresBlocker(std::unique_ptr<pg::Connection> db) : db_(std::move(db)) {}
  ~PostgresBlocker() override { (void)Release(); }
  Status Release() override {
    if (!held_) return Status::Ok();
    held_ = false;
    return db_->Exec("COMMIT").status();
  }

 private:
  std::unique_ptr<pg::Connection> db_;
  bool held_ = true;
};

}  // namespace

std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param == StoreBackend::kSqlite ? "sqlite" : "postgres";
}

StoreLocation::StoreLocation(StoreBackend backend, const std::string& sqlite_path) : backend_(backend) {
  if (backend == StoreBackend::kSqlite) {
    dir_ = std::make_unique<TempDir>();
    location_ = (dir_->path() / sqlite_path).string();
    return;
  }
  database_ = std::make_unique<ScopedPgDatabase>();
  if (!database_->ok()) {
    error_ = database_->error();
    return;
  }
  location_ = database_->uri();
}

Result<std::unique_ptr<WriteBlocker>> WriteBlocker::Hold(const StoreLocation& where, const std::string& run_id) {
  if (where.backend() == StoreBackend::kSqlite) {
    auto db = sqlite::Database::Open(where.location());
    if (!db) return db.status();
    auto tx = sqlite::Transaction::Begin(**db);
    if (!tx) return tx.status();
    return std::unique_ptr<WriteBlocker>(new SqliteBlocker(std::move(*db), std::move(*tx)));
  }
  auto db = pg::Connection::Open(where.location());
  if (!db) return db.status();
  if (auto begun = (*db)->Exec("BEGIN"); !begun) return begun.status();
  pg::Params params;
  auto locked = (*db)->Exec("SELECT 1 FROM strategy_run WHERE run_id = " + params.Add(run_id) + " FOR UPDATE", params);
  if (!locked) return locked.status();
  if (locked->size() != 1) return NotFound("no run " + run_id + " to hold");
  return std::unique_ptr<WriteBlocker>(new PostgresBlocker(std::move(*db)));
}

}  // namespace stratrun::testing
