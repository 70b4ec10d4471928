// Helpers every HTTP route uses to answer: JSON answers, the API's error shape, and
// echoing user input safely. Reading a request (query, headers, path): request_parsing.h.
//
// Errors are always {"error":{"code":"invalid_argument","message":"…","field":"min_score"}}
// ("field" only when the error is about one input field), with the status code the
// Status maps to: invalid argument 422, not found 404, failed precondition 409, resource
// exhausted 503 + Retry-After, anything else 500. Every string in an error is valid UTF-8
// (invalid bytes become U+FFFD); user input quoted in a message goes through Echo().
#pragma once

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

/// `text` as a JSON string, quotes included: escaped, and with every invalid UTF-8 byte
/// replaced by U+FFFD, so the result is always valid UTF-8 JSON.
std::string JsonString(std::string_view text);
/// User input to quote in an error message: valid UTF-8, control characters shown as
/// U+FFFD, at most `max_chars` code points (then "…").
std::string Echo(std::string_view text, size_t max_chars = 64);

}  // namespace stratrun::http
