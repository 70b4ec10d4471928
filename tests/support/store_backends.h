// The RunStore implementations the contract tests run against, each at a fresh location of
// its own — an SQLite file in a temporary folder, or a new database on the test PostgreSQL
// server (pg_cluster.h) — and WriteBlocker, another session holding a run's writes back.
//
//   class MyTest : public ::testing::TestWithParam<StoreBackend> {};
//   INSTANTIATE_TEST_SUITE_P(Backends, MyTest, kAllStoreBackends, StoreBackendName);
//   TEST_P(MyTest, Works) {
//     StoreLocation where(GetParam());
//     ASSERT_TRUE(where.ok()) << where.error();
//     auto store = RunStore::Open(where.location());
//   }
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/status.h"
#include "support/pg_cluster.h"
#include "support/test_support.h"

namespace stratrun::testing {

enum class StoreBackend { kSqlite, kPostgres };

inline const auto kAllStoreBackends = ::testing::Values(StoreBackend::kSqlite, StoreBackend::kPostgres);

/// "sqlite" or "postgres": the last part of a parameterised test's name.
std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info);

/// A fresh, private place for a store of `backend`, removed (the folder) or dropped (the
/// database) on destruction; close the stores opened on it first.
class StoreLocation {
 public:
  /// SQLite: `sqlite_path` inside a new temporary folder (its folders need not exist:
  /// Open creates them). PostgreSQL: a new ScopedPgDatabase.
  explicit StoreLocation(StoreBackend backend, const std::string& sqlite_path = "runs.db");

  /// False when no place could be made (no PostgreSQL server); error() says why.
  bool ok() const { return !location_.empty(); }
  const std::string& error() const { return error_; }
  /// What RunStore::Open takes.
  const std::string& location() const { return location_; }
  StoreBackend backend() const { return backend_; }

 private:
  StoreBackend backend_;
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<ScopedPgDatabase> database_;
  std::string location_;
  std::string error_;
};

/// Another session holding back every write to one run until Release() (or destruction):
/// for SQLite another connection holding the write lock (BEGIN IMMEDIATE), for PostgreSQL
/// a transaction holding the run's row (SELECT … FOR UPDATE), which the run's updates and
/// the foreign-key checks of its events and results wait for. Reads are not held back.
class WriteBlocker {
 public:
  virtual ~WriteBlocker() = default;
  /// Lets the held-back writes go on.
  virtual Status Release() = 0;

  static Result<std::unique_ptr<WriteBlocker>> Hold(const StoreLocation& where, const std::string& run_id);
};

}  // namespace stratrun::testing
