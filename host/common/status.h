// Status and Result<T>: how host components report failure to each other.
//
// A Status is a canonical code, a lower-case message and, for input errors, the name of
// the offending field. Exceptions never cross a component boundary; functions that can
// fail return Status or Result<T>.
//
//   Result<int> ParsePort(std::string_view text);
//   auto port = ParsePort("80a");
//   if (!port) Log(port.status().message());
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace stratrun {

enum class StatusCode {
  kOk,
  kInvalidArgument,     // bad input from a user or plugin (HTTP 422 / CLI exit 2)
  kNotFound,            // unknown strategy, run or ticker (HTTP 404)
  kAlreadyExists,       // duplicate (e.g. strategy code)
  kFailedPrecondition,  // the operation does not fit the current state (HTTP 409)
  kResourceExhausted,   // a limit was reached (HTTP 503 + Retry-After)
  kCancelled,
  kDeadlineExceeded,
  kUnsupported,         // e.g. an ABI major this host does not speak
  kDataError,           // data exists but is unusable
  kInternal,
  kUnavailable,         // a service the host needs cannot be reached (e.g. the PostgreSQL server)
};

/// Lower-case snake_case name of a code, as used in JSON errors ("invalid_argument").
std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// The input field the error is about; empty when it is not about one field.
  const std::string& field() const { return field_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string message, std::string field = {}) {
  return {StatusCode::kInvalidArgument, std::move(message), std::move(field)};
}
inline Status NotFound(std::string message, std::string field = {}) {
  return {StatusCode::kNotFound, std::move(message), std::move(field)};
}
inline Status Internal(std::string message) {
  return {StatusCode::kInternal, std::move(message)};
}

/// A value or the Status saying why there is none. Constructing from an ok Status is a
/// programming error.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(state_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(state_);
  }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace stratrun
