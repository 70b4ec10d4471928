#include "store/pg.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <thread>

#include <libpq-fe.h>

#include "common/logging.h"

namespace stratrun::pg {
namespace {

constexpr std::string_view kUriSchemes[] = {"postgresql://", "postgres://"};

/// libpq's multi-line messages ("…failed: No such file or directory\n\tIs the server
/// running…?\n") as one line: line breaks become "; ", the trailing one goes.
std::string OneLine(std::string_view message) {
  std::string out;
  bool pending_break = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t') {
      pending_break = !out.empty();
      continue;
    }
    if (pending_break) {
      out += "; ";
      pending_break = false;
    }
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;  // shortest exact form
  return {buffer, end};
}

void LogNotice(void* /*arg*/, const char* message) {
  Logger("store")->debug("postgresql: {}", OneLine(message != nullptr ? message : ""));
}

Status Unreachable(const std::string& location, std::string_view message) {
  return {StatusCode::kUnavailable, "cannot connect to PostgreSQL at " + location + ": " + OneLine(message)};
}

/// RedactedUri for a key=value connection string: rebuilt from its options, less the password.
std::string RedactedKeyValues(std::string_view conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(conninfo).c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return "(a connection string libpq cannot read)";
  std::string out;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || std::string_view(option->keyword) == "password") continue;
    if (!out.empty()) out += ' ';
    out.append(option->keyword).append("=").append(option->val);
  }
  PQconninfoFree(options);
  return out;
}

}  // namespace

Status ErrorStatus(std::string_view sqlstate, std::string_view what, std::string_view message) {
  std::string text = what.empty() ? std::string(message) : std::string(what) + ": " + std::string(message);
  const auto code = [&] {
    if (sqlstate == "23505") return StatusCode::kAlreadyExists;
    if (IsRetryable(sqlstate) || sqlstate.starts_with("53")) return StatusCode::kResourceExhausted;
    if (sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
      return StatusCode::kUnavailable;
    }
    if (sqlstate == "25006" || sqlstate == "42501") return StatusCode::kFailedPrecondition;
    if (sqlstate.starts_with("22")) return StatusCode::kDataError;
    return StatusCode::kInternal;
  }();
  return {code, std::move(text)};
}

bool IsRetryable(std::string_view sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

std::string RedactedUri(std::string_view uri) {
  std::string_view scheme;
  for (std::string_view candidate : kUriSchemes) {
    if (uri.starts_with(candidate)) scheme = candidate;
  }
  if (scheme.empty()) return RedactedKeyValues(uri);

  std::string_view rest = uri.substr(scheme.size());
  std::string out(scheme);
  // As libpq reads it: user[:password]@ ends at the first '@', if that comes before any '/'.
  if (const size_t stop = rest.find_first_of("@/"); stop != std::string_view::npos && rest[stop] == '@') {
    const std::string_view userinfo = rest.substr(0, stop);
    out.append(userinfo.substr(0, userinfo.find(':'))).append("@");
    rest.remove_prefix(stop + 1);
  }
  // The query's parameters, less every password=… one.
  const size_t query_at = rest.find('?');
  out.append(rest.substr(0, query_at));
  if (query_at == std::string_view::npos) return out;
  std::string_view query = rest.substr(query_at + 1);
  char separator = '?';
  while (!query.empty()) {
    const size_t end = query.find('&');
    const std::string_view parameter = query.substr(0, end);
    if (!parameter.starts_with("password=")) {
      out.append(1, separator).append(parameter);
      separator = '&';
    }
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  return out;
}

// ---- Params, ArrayLiteral -------------------------------------------------------------------

std::string Params::Add(std::string_view value) {
  if (value.find('\0') != std::string_view::npos && error_.ok()) {
    error_ = InvalidArgument("parameter " + std::to_string(values_.size() + 1) +
                             " holds a NUL byte, which PostgreSQL cannot store in text");
  }
  values_.emplace_back(std::string(value));
  return Placeholder();
}

std::string Params::Add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return Placeholder();
}

std::string Params::Add(double value) {
  values_.emplace_back(FormatDouble(value));
  return Placeholder();
}

std::string Params::Add(bool value) {
  values_.emplace_back(value ? "t" : "f");
  return Placeholder();
}

std::string Params::Add(std::nullptr_t) {
  values_.emplace_back(std::nullopt);
  return Placeholder();
}

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> pointers;
  pointers.reserve(values_.size());
  for (const auto& value : values_) pointers.push_back(value ? value->c_str() : nullptr);
  return pointers;
}

void ArrayLiteral::Separate() {
  if (!empty_) text_ += ',';
  empty_ = false;
}

void ArrayLiteral::Add(std::string_view element) {
  Separate();
  text_ += '"';
  for (char c : element) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

void ArrayLiteral::Add(int64_t element) {
  Separate();
  text_ += std::to_string(element);
}

void ArrayLiteral::Add(double element) {
  Separate();
  text_ += '"' + FormatDouble(element) + '"';
}

void ArrayLiteral::AddNull() {
  Separate();
  text_ += "NULL";
}

std::string ArrayLiteral::Take() {
  std::string out = std::move(text_);
  out += '}';
  text_ = "{";
  empty_ = true;
  return out;
}

// ---- Rows -----------------------------------------------------------------------------------

Rows::~Rows() {
  if (result_ != nullptr) PQclear(result_);
}

Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

int Rows::size() const { return result_ != nullptr ? PQntuples(result_) : 0; }
int Rows::columns() const { return result_ != nullptr ? PQnfields(result_) : 0; }

std::string_view Rows::command() const { return result_ != nullptr ? PQcmdStatus(result_) : ""; }

int64_t Rows::affected() const {
  if (result_ == nullptr) return 0;
  const std::string_view text = PQcmdTuples(result_);
  int64_t n = 0;
  std::from_chars(text.data(), text.data() + text.size(), n);
  return n;
}

bool Rows::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string_view Rows::Text(int row, int column) const {
  return {PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column))};
}

std::optional<std::string> Rows::OptionalText(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return std::string(Text(row, column));
}

int64_t Rows::Int64(int row, int column) const {
  const std::string_view text = Text(row, column);
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

double Rows::Double(int row, int column) const {
  if (IsNull(row, column)) return std::numeric_limits<double>::quiet_NaN();
  const std::string_view text = Text(row, column);
  double value = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc()) return 0;
  return value;
}

bool Rows::Bool(int row, int column) const { return Text(row, column) == "t"; }

// ---- Connection -------------------------------------------------------------------------------

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& uri) {
  std::string location = RedactedUri(uri);
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &parse_error);
  if (options == nullptr) {
    std::string message = parse_error != nullptr ? OneLine(parse_error) : "out of memory";
    if (parse_error != nullptr) PQfreemem(parse_error);
    return InvalidArgument("bad PostgreSQL location " + location + ": " + message);
  }
  PQconninfoFree(options);

  // The URI is expanded in place of dbname; what it sets overrides the keywords before it.
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* const values[] = {"10", "stratrun", uri.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status(StatusCode::kResourceExhausted, "cannot connect to PostgreSQL: out of memory");
  std::unique_ptr<Connection> connection(new Connection(conn, std::move(location)));
  if (PQstatus(conn) != CONNECTION_OK) return Unreachable(connection->location_, PQerrorMessage(conn));
  PQsetNoticeProcessor(conn, LogNotice, nullptr);
  if (Status status = connection->Configure(); !status.ok()) return status;
  return connection;
}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Configure() {
  // UTC, so no time reads differently in another zone; floats in their shortest exact form
  // (the default from PostgreSQL 12 on, asked for explicitly for older servers).
  if (Status status = ExecScript("SET TIME ZONE 'UTC'; SET extra_float_digits = 3"); !status.ok()) {
    return {status.code(), "set up the connection to " + location_ + ": " + status.message()};
  }
  return Status::Ok();
}

Status Connection::Fail(pg_result* result, std::string_view what) {
  const char* sqlstate = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = OneLine(primary != nullptr ? primary : PQerrorMessage(conn_));
  if (message.empty()) message = "unknown error";
  last_sqlstate_ = sqlstate != nullptr ? sqlstate : "";
  if (broken()) {
    // The server went away mid-statement: what it did of the statement is unknown.
    if (last_sqlstate_.empty()) last_sqlstate_ = "08006";
    message = "lost the connection to PostgreSQL at " + location_ + ": " + message;
  }
  if (result != nullptr) PQclear(result);
  return ErrorStatus(last_sqlstate_, what, message);
}

Result<Rows> Connection::Exec(std::string_view sql, const Params& params) {
  last_sqlstate_.clear();
  if (!params.error().ok()) return params.error();
  const std::string text(sql);
  const std::vector<const char*> values = params.Pointers();
  PGresult* result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                                  nullptr, nullptr, /*resultFormat=*/0);
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(result);
  return Fail(result, "");
}

Status Connection::ExecScript(std::string_view sql) {
  last_sqlstate_.clear();
  PGresult* result = PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    PQclear(result);
    return Status::Ok();
  }
  return Fail(result, "");
}

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

Status Connection::Revive() {
  // Reading what arrived while idle is how a closed connection shows: the server's last
  // words (a notice), then EOF, which breaks it. Read while more is waiting.
  for (int reads = 0; reads < 8 && !broken(); ++reads) {
    if (PQconsumeInput(conn_) != 1) break;
    pollfd waiting{PQsocket(conn_), POLLIN, 0};
    if (poll(&waiting, 1, 0) <= 0) break;
  }
  if (!broken()) {
    while (PGnotify* notify = PQnotifies(conn_)) PQfreemem(notify);
    return Status::Ok();
  }
  PQreset(conn_);
  if (broken()) return Unreachable(location_, PQerrorMessage(conn_));
  Logger("store")->info("reconnected to PostgreSQL at {}", location_);
  return Configure();
}

Result<std::vector<Connection::Notification>> Connection::WaitForNotifications(std::chrono::milliseconds timeout) {
  std::vector<Notification> out;
  const auto take = [&] {
    while (PGnotify* notify = PQnotifies(conn_)) {
      out.push_back({notify->relname, notify->extra != nullptr ? notify->extra : ""});
      PQfreemem(notify);
    }
  };
  if (PQconsumeInput(conn_) != 1 || broken()) return Unreachable(location_, PQerrorMessage(conn_));
  take();
  if (!out.empty()) return out;
  pollfd readable{PQsocket(conn_), POLLIN, 0};
  const int ready = poll(&readable, 1, static_cast<int>(std::max<int64_t>(timeout.count(), 0)));
  if (ready < 0 && errno != EINTR) return Unreachable(location_, std::strerror(errno));
  if (ready > 0 && (PQconsumeInput(conn_) != 1 || broken())) return Unreachable(location_, PQerrorMessage(conn_));
  take();
  return out;
}

// ---- Transaction ------------------------------------------------------------------------------

Result<Transaction> Transaction::Begin(Connection& db, std::string_view begin) {
  auto done = db.Exec(begin);
  if (!done) return done.status();
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr && !db_->broken()) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Connection* db = std::exchange(db_, nullptr);
  auto done = db->Exec("COMMIT");
  if (!done) return done.status();
  // COMMIT of a transaction an error already aborted answers ROLLBACK, not an error.
  if (done->command() != "COMMIT") return Internal("the transaction was rolled back, not committed");
  return Status::Ok();
}

Status InTransaction(Connection& db, const std::function<Status()>& body) {
  thread_local std::minstd_rand random(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    Status status;
    std::string sqlstate;
    {
      auto tx = Transaction::Begin(db);
      if (!tx) {
        status = tx.status();
      } else {
        status = body();
        if (status.ok()) status = tx->Commit();
      }
      sqlstate = db.last_sqlstate();  // before the rollback clears it
    }
    if (status.ok() || !IsRetryable(sqlstate) || attempt >= kMaxTransactionAttempts || db.broken()) return status;
    // The other transaction usually finishes within milliseconds; a random pause keeps
    // two retrying writers from meeting again.
    std::uniform_int_distribution<int> pause_ms(1, 10 * attempt);
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
  }
}

}  // namespace stratrun::pg
