// PgCluster: a private PostgreSQL server for tests — its data and its Unix socket in one
// folder, no TCP port, fsync off — and ScopedPgDatabase, a fresh database on it for one
// test, dropped when the test ends.
//
//   ScopedPgDatabase db;                      // on PgCluster::Shared()
//   ASSERT_TRUE(db.ok()) << db.error();
//   auto store = RunStore::Open(db.uri());
//
// Under ctest one server serves the whole run: the postgres.cluster_start fixture starts it
// (`stratrun_pg_cluster start DIR`, tests/CMakeLists.txt) and every test gets
// STRATRUN_TEST_PG_HOST=DIR. A test binary run by hand starts a server of its own on first
// use and stops it when the process exits. Without PostgreSQL's binaries every test that
// needs one fails, saying to run scripts/install-deps.sh.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stratrun::testing {

class PgCluster {
 public:
  /// Starts a server whose files (data/, the socket, server.log) live in `dir`, and leaves
  /// it running. A server an earlier run left in `dir` is stopped and `dir` emptied first.
  /// The binaries are the highest version's in /usr/lib/postgresql/<version>/bin. As root
  /// they run as the postgres user (initdb refuses root), which is given `dir`.
  static Status StartAt(const std::filesystem::path& dir);
  /// Stops the server in `dir`, if one runs (pg_ctl stop -m immediate), and removes `dir`.
  static Status StopAt(const std::filesystem::path& dir);

  /// This process's server: the one at $STRATRUN_TEST_PG_HOST when that is set, else one
  /// started on first call in a fresh folder and stopped at exit. Thread-safe; a failure to
  /// start is reported to every caller.
  static Result<PgCluster*> Shared();

  /// The server whose socket is in `dir`; stopped and `dir` removed on destruction only
  /// when `owned`, and only by the process that made this object (not a forked child).
  PgCluster(std::filesystem::path dir, bool owned);
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  const std::filesystem::path& socket_dir() const { return dir_; }
  /// postgresql:///DATABASE?host=<socket dir>&user=postgres
  std::string Uri(std::string_view database) const;
  /// Creates an empty database with a name unique to this process and call, made from
  /// `label` (lower-case letters, digits and '_'); returns the name.
  Result<std::string> CreateDatabase(std::string_view label);
  /// Drops `database`, ending any session still connected to it.
  Status DropDatabase(std::string_view database);

 private:
  std::filesystem::path dir_;
  bool owned_;
  pid_t owner_pid_;
};

/// A new database on PgCluster::Shared(), named after the running test, dropped on
/// destruction (a failure to drop fails the test). Stores opened on it should be closed
/// first; any session still open is ended.
class ScopedPgDatabase {
 public:
  ScopedPgDatabase();
  ~ScopedPgDatabase();
  ScopedPgDatabase(const ScopedPgDatabase&) = delete;
  ScopedPgDatabase& operator=(const ScopedPgDatabase&) = delete;

  /// False when no database could be made; error() says why.
  bool ok() const { return !uri_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& name() const { return name_; }
  const std::string& uri() const { return uri_; }

 private:
  PgCluster* cluster_ = nullptr;
  std::string name_;
  std::string uri_;
  std::string error_;
};

}  // namespace stratrun::testing
