#include "http/request_parsing.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/percent_decode.h"
#include "http/http_io.h"

namespace stratrun::http {

std::string_view MethodName(PHttp::Method method) {
  using PHttp::Method;
  switch (method) {
    case Method::Get: return "GET";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Delete: return "DELETE";
    case Method::Patch: return "PATCH";
    case Method::Head: return "HEAD";
    case Method::Options: return "OPTIONS";
    default: return "OTHER";
  }
}

std::optional<std::vector<std::string>> PathSegments(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) {
      auto segment = PercentDecode(path.substr(pos, next - pos), /*plus_is_space=*/false);
      if (!segment) return std::nullopt;
      out.push_back(std::move(*segment));
    }
    pos = next + 1;
  }
  return out;
}

bool PlausibleRunId(std::string_view text) {
  return !text.empty() && text.size() <= kMaxRunIdLength &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

Result<QueryParams> QueryParams::Decode(const PHttp::Request& request) {
  QueryParams params;
  const auto& query = request.query();
  for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it) {
    auto name = PercentDecode(it->first, true);
    auto value = PercentDecode(it->second, true);
    if (!name || !value) {
      const std::string field = Echo(name ? *name : it->first);
      return InvalidArgument("query parameter '" + field + "' has a malformed percent escape (% must be followed by two hex digits)",
                             field);
    }
    params.values_.emplace(std::move(*name), std::move(*value));
  }
  return params;
}

std::optional<std::string> QueryParams::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Result<uint64_t> ParseEventSeq(std::string_view text, const std::string& field) {
  const auto bad = [&] {
    return InvalidArgument(field + " must be an event seq: decimal digits, at most " + std::to_string(kMaxEventSeq) +
                               " (got '" + Echo(text, 32) + "')",
                           field);
  };
  if (text.empty() || text.size() > 16) return bad();
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return bad();
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > kMaxEventSeq) return bad();
  return value;
}

std::optional<std::string> Query(const QueryParams& query, const std::string& name) { return query.Get(name); }

Result<int64_t> QueryInteger(const QueryParams& query, const std::string& name, int64_t fallback, int64_t min,
                             int64_t max) {
  auto text = Query(query, name);
  if (!text) return fallback;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return InvalidArgument(name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max), name);
  }
  return value;
}

Result<std::optional<bool>> QueryBoolean(const QueryParams& query, const std::string& name) {
  auto text = Query(query, name);
  if (!text) return std::optional<bool>();
  if (*text == "true" || *text == "1") return std::optional<bool>(true);
  if (*text == "false" || *text == "0") return std::optional<bool>(false);
  return InvalidArgument(name + " must be true or false", name);
}

std::optional<std::string> Header(const PHttp::Request& request, const std::string& name) {
  if (auto raw = request.headers().tryGetRaw(name)) return raw->value();
  return std::nullopt;
}

}  // namespace stratrun::http
