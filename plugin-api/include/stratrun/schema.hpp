// stratrun/schema.hpp — builds a plugin's parameter schema (the JSON of ABI.md).
//
//   sdk::Schema()
//       .Integer("min_score", 70, "Minimum score (0-100) to pass", {.minimum = 0, .maximum = 100})
//       .Enum("universe_source", {"sp500", "all"}, "sp500", "Which tickers to screen")
//       .StringList("tickers", {}, "Explicit tickers; overrides universe_source");
//
// The builder only writes JSON; the host validates it when it loads the plugin, so a
// mistake here shows up as a rejected plugin with the reason, never as a crash.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stratrun::sdk {

/// Appends `text` to `out` as a JSON string literal (quotes included).
inline void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

/// Appends a finite number in JSON's shortest round-trip form; NaN/inf become null.
inline void AppendJsonNumber(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out += buf;
}

/// Bounds of a numeric parameter; unset means unbounded.
struct Range {
  std::optional<double> minimum;
  std::optional<double> maximum;
};

/// Fluent builder of the parameter schema JSON. Not thread-safe; build it once.
class Schema {
 public:
  Schema& Integer(std::string_view name, int64_t default_value, std::string_view description,
                  Range range = {}) {
    Open(name, "integer", description);
    json_ += ",\"default\":" + std::to_string(default_value);
    AppendRange(range);
    return Close();
  }

  Schema& Number(std::string_view name, double default_value, std::string_view description,
                 Range range = {}) {
    Open(name, "number", description);
    json_ += ",\"default\":";
    AppendJsonNumber(json_, default_value);
    AppendRange(range);
    return Close();
  }

  Schema& Boolean(std::string_view name, bool default_value, std::string_view description) {
    Open(name, "boolean", description);
    json_ += default_value ? ",\"default\":true" : ",\"default\":false";
    return Close();
  }

  /// `max_length` 0 keeps the host's limit.
  Schema& String(std::string_view name, std::string_view default_value,
                 std::string_view description, size_t max_length = 0) {
    Open(name, "string", description);
    json_ += ",\"default\":";
    AppendJsonString(json_, default_value);
    if (max_length > 0) json_ += ",\"max_length\":" + std::to_string(max_length);
    return Close();
  }

  Schema& Enum(std::string_view name, const std::vector<std::string>& values,
               std::string_view default_value, std::string_view description) {
    Open(name, "enum", description);
    json_ += ",\"values\":";
    AppendList(values);
    json_ += ",\"default\":";
    AppendJsonString(json_, default_value);
    return Close();
  }

  /// `max_items` 0 keeps the host's limit.
  Schema& StringList(std::string_view name, const std::vector<std::string>& default_value,
                     std::string_view description, size_t max_items = 0) {
    Open(name, "string_list", description);
    json_ += ",\"default\":";
    AppendList(default_value);
    if (max_items > 0) json_ += ",\"max_items\":" + std::to_string(max_items);
    return Close();
  }

  /// The schema as a JSON array.
  std::string ToJson() const { return "[" + json_ + "]"; }

 private:
  void Open(std::string_view name, std::string_view type, std::string_view description) {
    if (!json_.empty()) json_ += ',';
    json_ += "{\"name\":";
    AppendJsonString(json_, name);
    json_ += ",\"type\":";
    AppendJsonString(json_, type);
    if (!description.empty()) {
      json_ += ",\"description\":";
      AppendJsonString(json_, description);
    }
  }
  Schema& Close() {
    json_ += '}';
    return *this;
  }
  void AppendRange(const Range& range) {
    if (range.minimum) {
      json_ += ",\"minimum\":";
      AppendJsonNumber(json_, *range.minimum);
    }
    if (range.maximum) {
      json_ += ",\"maximum\":";
      AppendJsonNumber(json_, *range.maximum);
    }
  }
  void AppendList(const std::vector<std::string>& items) {
    json_ += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) json_ += ',';
      AppendJsonString(json_, items[i]);
    }
    json_ += ']';
  }

  std::string json_;  // the array's elements, comma-separated
};

}  // namespace stratrun::sdk
