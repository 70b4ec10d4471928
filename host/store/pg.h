// A thin RAII layer over libpq: Connection (one server connection), Params (text
// parameters $1, $2, … for one statement), Rows (one statement's result), Transaction
// (BEGIN … COMMIT, rolled back unless committed) and InTransaction (a transaction retried
// when PostgreSQL aborts it to resolve a conflict).
//
// Every PostgreSQL error becomes a Status carrying the server's own message, its code
// chosen from the SQLSTATE (ErrorStatus). Messages never show a password: a connection is
// named by RedactedUri(uri).
//
//   auto db = pg::Connection::Open("postgresql://stratrun@db.example/runs");
//   if (!db) return db.status();                       // kUnavailable: names the server
//   pg::Params params;
//   auto rows = (*db)->Exec("SELECT name FROM t WHERE id = " + params.Add(int64_t{7}), params);
//   if (rows && rows->size() == 1) use(rows->Text(0, 0));
//   return pg::InTransaction(**db, [&] { return (*db)->Exec("UPDATE …").status(); });
//
// SQL is written only inside host/store/; nothing outside it (but tests) includes this header.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

struct pg_conn;
struct pg_result;

namespace stratrun::pg {

/// How often InTransaction runs a transaction that PostgreSQL keeps aborting (serialization
/// failure, deadlock) before it reports the failure.
inline constexpr int kMaxTransactionAttempts = 5;

/// `what: message` as a Status whose code fits the SQLSTATE: 23505 (unique violation) →
/// kAlreadyExists; 40001, 40P01 (serialization failure, deadlock) and class 53 (out of
/// resources, too many connections) → kResourceExhausted; class 08 (connection) and
/// 57P01–57P03 (server shutting down) → kUnavailable; 25006 (read-only transaction) and
/// 42501 (insufficient privilege) → kFailedPrecondition; class 22 (data exception) →
/// kDataError; otherwise (and for an empty SQLSTATE) kInternal.
Status ErrorStatus(std::string_view sqlstate, std::string_view what, std::string_view message);

/// True for the SQLSTATEs after which the whole transaction may simply be run again:
/// 40001 (serialization failure) and 40P01 (deadlock detected).
bool IsRetryable(std::string_view sqlstate);

/// `uri` with any password taken out — the "user:password@" one and every "password="
/// query parameter — so that it can be shown in messages and logs. A key=value
/// connection string ("host=… password=…") is redacted the same way.
std::string RedactedUri(std::string_view uri);

/// The parameters of one statement, all sent as text: $1, $2, … in the order added. A
/// null (nullptr, or an empty optional) is SQL NULL.
///
/// libpq sends text parameters NUL-terminated, so a value with a NUL byte in it cannot be
/// sent whole: adding one makes the statement fail with kInvalidArgument instead of
/// storing a truncated value. Adding never fails on its own (the first error is kept for
/// Connection::Exec), so calls can be chained into the SQL they build.
class Params {
 public:
  /// Each returns the placeholder of the added value ("$3").
  std::string Add(std::string_view value);
  std::string Add(const char* value) { return Add(std::string_view(value)); }
  std::string Add(const std::string& value) { return Add(std::string_view(value)); }
  std::string Add(int64_t value);
  template <std::integral T>
    requires(!std::same_as<T, int64_t> && !std::same_as<T, bool>)
  std::string Add(T value) {
    return Add(static_cast<int64_t>(value));
  }
  /// The shortest text that reads back as exactly `value` ("NaN", "Infinity" and
  /// "-Infinity" for the values that have no digits).
  std::string Add(double value);
  std::string Add(bool value);
  std::string Add(std::nullptr_t);
  template <typename T>
  std::string Add(const std::optional<T>& value) {
    return value ? Add(*value) : Add(nullptr);
  }

  size_t size() const { return values_.size(); }
  /// The first error of an Add (a NUL byte in a value); ok when there was none.
  const Status& error() const { return error_; }

  /// For libpq: one pointer per parameter, null for SQL NULL. Valid until the next Add.
  std::vector<const char*> Pointers() const;

 private:
  std::string Placeholder() const { return "$" + std::to_string(values_.size()); }

  std::vector<std::optional<std::string>> values_;
  Status error_;
};

/// A PostgreSQL array literal ({"a","b",NULL}) built one element at a time, for sending a
/// whole column of values as one parameter (`unnest($1::text[])`). Elements are quoted
/// and escaped, so any text (but a NUL byte, which Params refuses) is safe.
class ArrayLiteral {
 public:
  void Add(std::string_view element);
  void Add(int64_t element);
  /// As Params::Add(double).
  void Add(double element);
  void Add(bool element) { Add(std::string_view(element ? "t" : "f")); }
  void AddNull();
  /// The literal; the builder is empty afterwards.
  std::string Take();

 private:
  void Separate();

  std::string text_ = "{";
  bool empty_ = true;
};

/// One statement's result, freed on destruction. Move-only. Rows and columns are numbered
/// from 0; reading a cell that does not exist is a programming error.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result) : result_(result) {}
  ~Rows();
  Rows(Rows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  Rows& operator=(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  int size() const;
  int columns() const;
  /// The statement's command tag ("INSERT 0 3", "ROLLBACK", …).
  std::string_view command() const;
  /// Rows the statement inserted, updated or deleted (INSERT/UPDATE/DELETE, also with
  /// RETURNING); 0 for other statements.
  int64_t affected() const;

  bool IsNull(int row, int column) const;
  /// The cell's text; "" for NULL. Valid while this Rows lives.
  std::string_view Text(int row, int column) const;
  std::optional<std::string> OptionalText(int row, int column) const;
  /// NULL (or text that is not a number) → 0.
  int64_t Int64(int row, int column) const;
  /// NULL → NaN; "Infinity"/"-Infinity"/"NaN" as such.
  double Double(int row, int column) const;
  /// PostgreSQL's "t" → true; anything else (NULL too) → false.
  bool Bool(int row, int column) const;

 private:
  pg_result* result_ = nullptr;
};

/// One connection to a PostgreSQL server, closed on destruction. Not thread-safe: one
/// thread uses it at a time (PostgresRunStore lends each to one thread). Never share a
/// connection across fork().
class Connection {
 public:
  /// Connects to `uri` (a postgresql:// or postgres:// URI, or a key=value connection
  /// string; libpq's defaults and PG* environment variables fill in what it leaves out).
  /// A connect_timeout of 10 s applies unless the URI sets its own. kInvalidArgument for a
  /// URI libpq cannot parse; kUnavailable when the server cannot be reached or refuses the
  /// connection: "cannot connect to PostgreSQL at <RedactedUri(uri)>: <libpq's message>".
  /// The session uses UTC and prints floating-point numbers so they read back exactly.
  static Result<std::unique_ptr<Connection>> Open(const std::string& uri);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement with `params` (PQexecParams, text in and out). An error carries
  /// the server's message as ErrorStatus maps it; last_sqlstate() then holds its SQLSTATE.
  Result<Rows> Exec(std::string_view sql, const Params& params);
  Result<Rows> Exec(std::string_view sql) { return Exec(sql, Params{}); }
  /// Runs one or more ;-separated statements with no parameters (a migration script).
  Status ExecScript(std::string_view sql);

  /// Makes sure the connection is usable before it is lent out: reads what the server sent
  /// while it was idle and, when it had closed the connection (a restart, an idle timeout,
  /// pg_terminate_backend), connects again once. kUnavailable when that fails.
  Status Revive();
  /// True once the connection is lost (it cannot be used again without Revive()).
  bool broken() const;

  /// One NOTIFY this connection received (after LISTEN channel).
  struct Notification {
    std::string channel;
    std::string payload;
  };
  /// Waits up to `timeout` for notifications (those already received return at once) and
  /// returns what arrived, oldest first; empty after a quiet timeout. kUnavailable when
  /// the connection is lost (notifications sent meanwhile are gone: LISTEN again after
  /// Revive and re-read what they would have said).
  Result<std::vector<Notification>> WaitForNotifications(std::chrono::milliseconds timeout);
  /// The SQLSTATE of the last failed Exec/ExecScript; empty after one that succeeded.
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  /// The server as messages may name it (no password).
  const std::string& location() const { return location_; }

 private:
  Connection(pg_conn* conn, std::string location) : conn_(conn), location_(std::move(location)) {}
  Status Fail(pg_result* result, std::string_view what);
  Status Configure();

  pg_conn* conn_;
  std::string location_;
  std::string last_sqlstate_;
};

/// An explicit transaction on one connection: BEGIN on Begin(), ROLLBACK on destruction
/// unless Commit() succeeded. Move-only; must not outlive its Connection.
class Transaction {
 public:
  /// `begin` is the statement that opens it ("BEGIN", "BEGIN READ ONLY", …).
  static Result<Transaction> Begin(Connection& db, std::string_view begin = "BEGIN");

  ~Transaction();
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  /// COMMIT. After an error the transaction is over (rolled back by the server).
  Status Commit();

 private:
  explicit Transaction(Connection* db) : db_(db) {}

  Connection* db_;  // null once committed or moved from
};

/// Runs `body` between BEGIN and COMMIT on `db`: all of it or nothing. When PostgreSQL
/// aborts the transaction to resolve a conflict with another one (IsRetryable: a
/// serialization failure or a deadlock) the whole transaction, body included, runs again,
/// up to kMaxTransactionAttempts times with a short randomised pause between. Returns the
/// first other failure of body or COMMIT as it was, or the last conflict.
Status InTransaction(Connection& db, const std::function<Status()>& body);

}  // namespace stratrun::pg
