// A thin RAII layer over the SQLite C API: Database (one connection), Statement (one
// prepared statement), CachedStatement (a statement borrowed from the connection's cache)
// and Transaction (BEGIN IMMEDIATE … COMMIT, rolled back unless committed).
//
// Every SQLite error becomes a Status carrying SQLite's own message. A locked database
// (SQLITE_BUSY / SQLITE_LOCKED) is waited for, never reported at the first refusal: the
// connection has a busy timeout, and BEGIN IMMEDIATE, COMMIT and any statement that runs
// outside an explicit transaction are retried with backoff for up to kBusyRetryLimit in
// total. Only then does the caller see kResourceExhausted ("database is locked").
//
//   auto db = sqlite::Database::Open(path);
//   auto tx = sqlite::Transaction::Begin(**db);
//   auto insert = (*db)->PrepareCached("INSERT INTO t(a, b) VALUES (?1, :b)");
//   (*insert)->Bind(1, int64_t{7}).Bind(":b", "text");
//   if (auto done = (*insert)->Step(); !done) return done.status();
//   return tx->Commit();
//
// SQL is written only inside host/store/; nothing outside it includes this header.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <sqlite3.h>

#include "common/status.h"

namespace stratrun::sqlite {

/// How long a locked database is waited for, in total, before an operation gives up.
inline constexpr std::chrono::seconds kBusyRetryLimit{30};

/// `what: message` as a Status whose code fits the SQLite result code `rc`:
/// BUSY/LOCKED/FULL → kResourceExhausted, PRIMARY KEY/UNIQUE → kAlreadyExists,
/// CORRUPT/NOTADB → kDataError, READONLY → kFailedPrecondition, otherwise kInternal.
Status ErrorStatus(int rc, std::string_view what, std::string_view message);

/// True for SQLITE_BUSY and SQLITE_LOCKED (and their extended codes).
bool IsBusy(int rc);

/// One prepared statement, finalized on destruction. Move-only. Not thread-safe: use it
/// from one thread at a time, like the Database it came from.
///
/// Binding never fails on its own: the first bind error is remembered and returned by the
/// next Step(), so binds can be chained.
class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Parameters are numbered from 1 (`?1`, or the position of a plain `?`).
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view value);  // copied by SQLite
  Statement& Bind(int index, std::nullptr_t);
  template <std::integral T>
    requires(!std::same_as<T, int64_t>)
  Statement& Bind(int index, T value) {
    return Bind(index, static_cast<int64_t>(value));
  }
  Statement& Bind(int index, const char* value) { return Bind(index, std::string_view(value)); }
  Statement& Bind(int index, const std::string& value) { return Bind(index, std::string_view(value)); }
  /// An empty optional binds NULL.
  template <typename T>
  Statement& Bind(int index, const std::optional<T>& value) {
    return value ? Bind(index, *value) : Bind(index, nullptr);
  }
  /// By name, including its prefix (":name", "@name", "$name"); an unknown name is an
  /// error reported by the next Step().
  template <typename T>
  Statement& Bind(const char* name, T&& value) {
    return Bind(ParameterIndex(name), std::forward<T>(value));
  }

  /// Runs the statement one step: true when a row is available, false when done. A busy
  /// database is retried (see the file comment) when the step is the statement's first
  /// and no explicit transaction is open; otherwise it is returned as an error.
  Result<bool> Step();
  /// Steps until done (for statements that return no rows of interest).
  Status Run();
  /// Makes the statement runnable again and clears its bindings.
  void Reset();

  int ColumnCount() const;
  bool IsNull(int column) const;
  int64_t Int64(int column) const;
  double Double(int column) const;  // NULL → 0
  std::string Text(int column) const;  // NULL → ""
  std::optional<std::string> OptionalText(int column) const;

  /// The SQL text as prepared.
  std::string_view sql() const;
  sqlite3_stmt* handle() const { return stmt_; }

 private:
  int ParameterIndex(const char* name);
  Statement& Check(int rc, int index);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool stepped_ = false;  // a step ran since the last reset
  Status bind_error_;
};

/// A statement borrowed from Database::PrepareCached, reset and unbound when the borrow
/// ends. Must not outlive the Database, and the same SQL must not be borrowed twice at once.
class CachedStatement {
 public:
  explicit CachedStatement(Statement* statement) : statement_(statement) {}
  ~CachedStatement() {
    if (statement_ != nullptr) statement_->Reset();
  }
  CachedStatement(CachedStatement&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
  CachedStatement& operator=(CachedStatement&&) = delete;
  CachedStatement(const CachedStatement&) = delete;
  CachedStatement& operator=(const CachedStatement&) = delete;

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

/// One SQLite connection, closed on destruction. Not thread-safe: callers serialise use
/// (SqliteRunStore holds a mutex). Never share a connection across fork().
class Database {
 public:
  struct Options {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    /// Journal mode WAL (readers never block the writer, several processes may write).
    bool wal = true;
    /// How long SQLite's own busy handler waits inside one attempt.
    std::chrono::milliseconds busy_timeout{5000};
  };

  /// Opens `path` with `options.flags`, sets the busy timeout, PRAGMA foreign_keys=ON,
  /// synchronous=NORMAL and (unless disabled) journal_mode=WAL. A file system that cannot
  /// do WAL keeps its journal mode, with a warning.
  static Result<std::unique_ptr<Database>> Open(const std::filesystem::path& path, const Options& options);
  static Result<std::unique_ptr<Database>> Open(const std::filesystem::path& path) { return Open(path, Options{}); }

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  /// Runs one or more statements that return nothing of interest; a busy database is
  /// retried when no explicit transaction is open (and always for COMMIT).
  Status Exec(std::string_view sql);
  /// A new statement owned by the caller; an error names SQLite's complaint.
  Result<Statement> Prepare(std::string_view sql);
  /// The statement for `sql`, prepared on first use and kept for the connection's life.
  Result<CachedStatement> PrepareCached(std::string_view sql);

  /// Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  /// False inside an explicit transaction.
  bool Autocommit() const;
  /// SQLite's message and extended result code for the last error on this connection.
  std::string LastError() const;
  int LastErrorCode() const;
  sqlite3* handle() const { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::map<std::string, Statement, std::less<>> cache_;
};

/// An explicit write transaction. Begin() takes the write lock at once (BEGIN IMMEDIATE,
/// retried while another connection or process holds it); the destructor rolls back
/// unless Commit() succeeded. Move-only; must not outlive its Database.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);

  ~Transaction();
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  /// COMMIT, retried while busy. After an error the transaction is rolled back (by the
  /// destructor, or here when SQLite already ended it).
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}

  Database* db_;  // null once committed or moved from
};

}  // namespace stratrun::sqlite
