// Helpers every HTTP route uses: JSON answers, the API's error shape, reading query
// parameters (percent-decoded once) with validation, and echoing user input safely.
//
// Errors are always {"error":{"code":"invalid_argument","message":"…","field":"min_score"}}
// ("field" only when the error is about one input field), with the status code the
// Status maps to: invalid argument 422, not found 404, failed precondition 409, resource
// exhausted 503 + Retry-After, anything else 500. Every string in an error is valid UTF-8
// (invalid bytes become U+FFFD); user input quoted in a message goes through Echo().
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <pistache/http.h>

#include "common/status.h"

namespace stratrun::http {

namespace PHttp = Pistache::Http;

/// Sets a response header. (Pistache 0.0.5 drops headers added with addRaw: only typed
/// headers are written, so this adds a typed header with a runtime name.)
void SetHeader(PHttp::ResponseWriter& response, std::string name, std::string value);

void SendJson(PHttp::ResponseWriter& response, PHttp::Code code, const std::string& json);
void SendText(PHttp::ResponseWriter& response, PHttp::Code code, const std::string& body, std::string_view content_type);

/// {"error":{"code","message","field"}}: valid UTF-8, the message capped at 2 KiB, "field"
/// only when not empty.
std::string ErrorJson(std::string_view error_code, std::string_view message, std::string_view field = {});
/// The error JSON with an explicit HTTP code and error code (e.g. 400 "invalid_json").
void SendError(PHttp::ResponseWriter& response, PHttp::Code code, std::string_view error_code,
               std::string_view message, std::string_view field = {});
/// The error JSON for a failed Status (codes as in the overview).
void SendStatus(PHttp::ResponseWriter& response, const Status& status);

/// A request's query parameters, each name and value percent-decoded once ('+' is a
/// space). When a name repeats, the first value counts.
class QueryParams {
 public:
  QueryParams() = default;
  /// Decodes Pistache's raw query. InvalidArgument naming the parameter (Echo of its raw
  /// name) for a malformed escape ("%" not followed by two hex digits) in its name or value.
  static Result<QueryParams> Decode(const PHttp::Request& request);
  std::optional<std::string> Get(const std::string& name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

/// `text` percent-decoded ('+' as a space when `plus_is_space`); nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

/// A query parameter, if present.
std::optional<std::string> Query(const QueryParams& query, const std::string& name);
/// An integer query parameter in [min, max], or `fallback` when absent; InvalidArgument
/// naming the parameter otherwise.
Result<int64_t> QueryInteger(const QueryParams& query, const std::string& name, int64_t fallback, int64_t min,
                             int64_t max);
/// A boolean query parameter ("true"/"false"/"1"/"0"), if present; InvalidArgument otherwise.
Result<std::optional<bool>> QueryBoolean(const QueryParams& query, const std::string& name);

/// The largest event seq a client may name in Last-Event-ID (2^53 − 1, the largest integer
/// a browser holds exactly; a run never gets near it).
constexpr uint64_t kMaxEventSeq = (uint64_t{1} << 53) - 1;
/// A Last-Event-ID value: decimal digits only, at most kMaxEventSeq. InvalidArgument naming
/// `field` (the header or the query parameter it came from) otherwise, empty included.
Result<uint64_t> ParseEventSeq(std::string_view text, const std::string& field);

/// A request header's value, if present.
std::optional<std::string> Header(const PHttp::Request& request, const std::string& name);

/// `text` as a JSON string, quotes included: escaped, and with every invalid UTF-8 byte
/// replaced by U+FFFD, so the result is always valid UTF-8 JSON.
std::string JsonString(std::string_view text);
/// `text` made valid UTF-8 (invalid bytes → U+FFFD).
std::string ValidUtf8(std::string_view text);
/// User input to quote in an error message: valid UTF-8, control characters shown as
/// U+FFFD, at most `max_chars` code points (then "…").
std::string Echo(std::string_view text, size_t max_chars = 64);

}  // namespace stratrun::http
