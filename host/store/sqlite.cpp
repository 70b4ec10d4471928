#include "store/sqlite.h"

#include <algorithm>
#include <random>
#include <system_error>
#include <thread>

#include "common/logging.h"

namespace stratrun::sqlite {
namespace {

using Clock = std::chrono::steady_clock;

/// SQLITE_TRANSIENT without its old-style cast: SQLite copies the bound text.
const sqlite3_destructor_type kTransient = reinterpret_cast<sqlite3_destructor_type>(static_cast<intptr_t>(-1));

/// Calls `attempt` (returning an SQLite result code) until it is not busy or
/// kBusyRetryLimit has passed, sleeping 1 ms, 2 ms, 4 ms … (capped at 100 ms, jittered)
/// between attempts. `before_retry` runs before each new attempt (e.g. sqlite3_reset).
template <typename Attempt, typename BeforeRetry>
int RetryWhileBusy(Attempt attempt, BeforeRetry before_retry) {
  const auto deadline = Clock::now() + kBusyRetryLimit;
  thread_local std::minstd_rand jitter(std::random_device{}());
  std::chrono::microseconds backoff{1000};
  int retries = 0;
  for (;;) {
    const int rc = attempt();
    if (!IsBusy(rc) || Clock::now() >= deadline) {
      if (retries > 0) {
        Logger("store")->debug("database was busy; {} after {} retries", IsBusy(rc) ? "gave up" : "succeeded", retries);
      }
      return rc;
    }
    ++retries;
    const auto sleep = backoff / 2 + std::chrono::microseconds(jitter() % static_cast<unsigned>(backoff.count()));
    std::this_thread::sleep_for(sleep);
    backoff = std::min<std::chrono::microseconds>(backoff * 2, std::chrono::milliseconds(100));
    before_retry();
  }
}

}  // namespace

bool IsBusy(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

Status ErrorStatus(int rc, std::string_view what, std::string_view message) {
  std::string text(what);
  if (!text.empty()) text += ": ";
  text += message.empty() ? std::string_view(sqlite3_errstr(rc)) : message;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL: return {StatusCode::kResourceExhausted, std::move(text)};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return {StatusCode::kDataError, std::move(text)};
    case SQLITE_READONLY: return {StatusCode::kFailedPrecondition, std::move(text)};
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return {StatusCode::kAlreadyExists, std::move(text)};
      }
      return {StatusCode::kInternal, std::move(text)};
    default: return {StatusCode::kInternal, std::move(text)};
  }
}

// ---- Statement ------------------------------------------------------------------------

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)),
      stepped_(other.stepped_), bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    stepped_ = other.stepped_;
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement& Statement::Check(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_.ok()) {
    bind_error_ = ErrorStatus(rc, "bind parameter " + std::to_string(index), sqlite3_errmsg(db_));
  }
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value), index);
}

Statement& Statement::Bind(int index, double value) {
  return Check(sqlite3_bind_double(stmt_, index, value), index);
}

Statement& Statement::Bind(int index, std::string_view value) {
  return Check(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), kTransient, SQLITE_UTF8), index);
}

Statement& Statement::Bind(int index, std::nullptr_t) { return Check(sqlite3_bind_null(stmt_, index), index); }

int Statement::ParameterIndex(const char* name) {
  const int index = sqlite3_bind_parameter_index(stmt_, name);
  if (index == 0 && bind_error_.ok()) {
    bind_error_ = Internal(std::string("unknown sql parameter ") + name);
  }
  return index;
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = 0;
  if (!stepped_ && sqlite3_get_autocommit(db_) != 0) {
    // Nothing has happened yet and no transaction is open, so a refusal left no trace:
    // the statement can simply be run again.
    rc = RetryWhileBusy([&] { return sqlite3_step(stmt_); }, [&] { sqlite3_reset(stmt_); });
  } else {
    rc = sqlite3_step(stmt_);
  }
  stepped_ = true;
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const int extended = sqlite3_extended_errcode(db_);
  return ErrorStatus(extended != SQLITE_OK ? extended : rc, {}, sqlite3_errmsg(db_));
}

Status Statement::Run() {
  for (;;) {
    auto row = Step();
    if (!row) return row.status();
    if (!*row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  stepped_ = false;
  bind_error_ = Status::Ok();
}

int Statement::ColumnCount() const { return sqlite3_column_count(stmt_); }

bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

int64_t Statement::Int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::Text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);  // after column_text, as SQLite asks
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text), static_cast<size_t>(size)};
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::string_view Statement::sql() const {
  const char* text = sqlite3_sql(stmt_);
  return text != nullptr ? std::string_view(text) : std::string_view();
}

// ---- Database -------------------------------------------------------------------------

Result<std::unique_ptr<Database>> Database::Open(const std::filesystem::path& path, const Options& options) {
  sqlite3* handle = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, options.flags | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc != SQLITE_OK) {
    Status status = ErrorStatus(rc, "open database " + path.string(),
                                handle != nullptr ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
    sqlite3_close_v2(handle);
    return status;
  }
  std::unique_ptr<Database> db(new Database(handle));
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, static_cast<int>(options.busy_timeout.count()));
  if (auto status = db->Exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL"); !status.ok()) {
    return Status(status.code(), "open database " + path.string() + ": " + status.message());
  }
  if (options.wal) {
    auto pragma = db->Prepare("PRAGMA journal_mode=WAL");
    if (!pragma) return pragma.status();
    auto row = pragma->Step();  // retried while another process holds the lock
    if (!row) return Status(row.status().code(), "open database " + path.string() + ": " + row.status().message());
    const std::string mode = *row ? pragma->Text(0) : std::string();
    if (mode != "wal" && mode != "memory") {
      Logger("store")->warn("database {} cannot use WAL (journal mode {}); concurrent writers will wait longer",
                            path.string(), mode);
    }
  }
  return db;
}

Database::~Database() {
  cache_.clear();  // finalize every statement before closing
  sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql) {
  std::string_view rest = sql;
  while (!rest.empty()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v2(db_, rest.data(), static_cast<int>(rest.size()), &raw, &tail);
    if (rc != SQLITE_OK) return ErrorStatus(rc, {}, sqlite3_errmsg(db_));
    rest.remove_prefix(static_cast<size_t>(tail - rest.data()));
    if (raw == nullptr) continue;  // whitespace or a comment
    Statement statement(db_, raw);
    if (auto status = statement.Run(); !status.ok()) return status;
  }
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                                    nullptr);
  if (rc != SQLITE_OK) return ErrorStatus(rc, "prepare", sqlite3_errmsg(db_));
  if (raw == nullptr) return Internal("prepare: empty sql");
  return Statement(db_, raw);
}

Result<CachedStatement> Database::PrepareCached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto statement = Prepare(sql);
    if (!statement) return statement.status();
    it = cache_.emplace(std::string(sql), std::move(*statement)).first;
  } else {
    it->second.Reset();
  }
  return CachedStatement(&it->second);
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

bool Database::Autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

std::string Database::LastError() const { return sqlite3_errmsg(db_); }

int Database::LastErrorCode() const { return sqlite3_extended_errcode(db_); }

// ---- Transaction ----------------------------------------------------------------------

Result<Transaction> Transaction::Begin(Database& db) {
  if (!db.Autocommit()) return Internal("begin transaction: a transaction is already open");
  if (auto status = db.Exec("BEGIN IMMEDIATE"); !status.ok()) {
    return Status(status.code(), "begin transaction: " + status.message());
  }
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr && !db_->Autocommit()) {
    if (auto status = db_->Exec("ROLLBACK"); !status.ok()) {
      Logger("store")->error("rollback failed: {}", status.message());
    }
  }
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Internal("commit: no open transaction");
  sqlite3* handle = db_->handle();
  // A busy COMMIT leaves the transaction open and can simply be repeated.
  const int rc = RetryWhileBusy([&] { return sqlite3_exec(handle, "COMMIT", nullptr, nullptr, nullptr); }, [] {});
  if (rc != SQLITE_OK) {
    Status status = ErrorStatus(rc, "commit", sqlite3_errmsg(handle));
    return status;  // the destructor rolls back whatever SQLite left open
  }
  db_ = nullptr;
  return Status::Ok();
}

}  // namespace stratrun::sqlite
