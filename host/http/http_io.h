// Helpers every HTTP route uses: JSON answers, the API's error shape, and reading query
// parameters with validation.
//
// Errors are always {"error":{"code":"invalid_argument","message":"…","field":"min_score"}}
// ("field" only when the error is about one input field), with the status code the
// Status maps to: invalid argument 422, not found 404, failed precondition 409, resource
// exhausted 503 + Retry-After, anything else 500.
#pragma once

#include <cstdint>
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

/// The error JSON with an explicit HTTP code and error code (e.g. 400 "invalid_json").
void SendError(PHttp::ResponseWriter& response, PHttp::Code code, std::string_view error_code,
               std::string_view message, std::string_view field = {});
/// The error JSON for a failed Status (codes as in the overview).
void SendStatus(PHttp::ResponseWriter& response, const Status& status);

/// A query parameter, if present.
std::optional<std::string> Query(const PHttp::Request& request, const std::string& name);
/// An integer query parameter in [min, max], or `fallback` when absent; InvalidArgument
/// naming the parameter otherwise.
Result<int64_t> QueryInteger(const PHttp::Request& request, const std::string& name, int64_t fallback, int64_t min,
                             int64_t max);
/// A boolean query parameter ("true"/"false"/"1"/"0"), if present; InvalidArgument otherwise.
Result<std::optional<bool>> QueryBoolean(const PHttp::Request& request, const std::string& name);

/// A request header's value, if present.
std::optional<std::string> Header(const PHttp::Request& request, const std::string& name);

/// `text` with JSON string escaping, quotes included.
std::string JsonString(std::string_view text);

}  // namespace stratrun::http
