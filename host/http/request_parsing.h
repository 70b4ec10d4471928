// Reading a request: its path segments, query parameters (each percent-decoded once),
// headers, a Last-Event-ID, and what a run id or a method name in it may look like.
//
//   auto segments = PathSegments(request.resource());      // nullopt: malformed escape
//   auto query = QueryParams::Decode(request);             // InvalidArgument naming the parameter
//   auto limit = QueryInteger(*query, "limit", 50, 1, 500);
//
// Nothing here answers the request: every error is a Status (InvalidArgument naming the
// field) or a nullopt for the caller to turn into an answer. User input quoted in a
// message goes through Echo() (http_io.h). The body of POST /api/strategies/execute is
// read where it is validated, in routes.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pistache/http.h>

#include "common/status.h"

namespace stratrun::http {

namespace PHttp = Pistache::Http;

/// The longest run id a path may carry before the store is asked.
constexpr size_t kMaxRunIdLength = 64;
/// The length of a whole run id (NewRunId: a UUID).
constexpr size_t kFullRunIdLength = 36;

/// "GET", "POST", …; "OTHER" for a method the API never names.
std::string_view MethodName(PHttp::Method method);

/// The path's non-empty segments, each percent-decoded; nullopt for a malformed escape.
std::optional<std::vector<std::string>> PathSegments(std::string_view path);

/// What a run id in a path may look like before the store is asked (ids are UUIDs, and a
/// unique prefix of one is accepted): 1 to kMaxRunIdLength of [A-Za-z0-9_-].
bool PlausibleRunId(std::string_view text);

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

}  // namespace stratrun::http
