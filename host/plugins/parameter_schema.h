// Parameter schemas: the parameters a strategy plugin declares, and the checking of one
// run's values against them before the run starts, so a plugin only ever sees values of
// the declared type, within the declared limits, with defaults filled in.
//
// A plugin's descriptor carries its schema as a JSON array (plugin-api/ABI.md):
//   [{"name": "min_score", "type": "integer", "default": 70, "minimum": 0, "maximum": 100},
//    {"name": "tickers", "type": "string_list", "default": [], "max_items": 2000}]
//
//   auto schema = ParameterSchema::Parse(descriptor.parameters_schema_json);
//   auto values = schema->ValidateText({{"min_score", "80"}});  // from `--set min_score=80`
//   if (!values) return values.status();  // InvalidArgument, field() == "min_score"
//   std::get<int64_t>(*values->Find("min_score"));  // 80
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <rapidjson/fwd.h>

#include "common/status.h"

namespace stratrun {

enum class ParamType { kInteger, kNumber, kBoolean, kString, kEnum, kStringList };

/// The schema's spelling: "integer", "number", "boolean", "string", "enum", "string_list".
std::string_view ParamTypeName(ParamType type);

/// The value of one parameter. The alternative is fixed by the type: integer → int64_t,
/// number → double (always finite), boolean → bool, string and enum → std::string,
/// string_list → std::vector<std::string>.
using ParamValue = std::variant<int64_t, double, bool, std::string, std::vector<std::string>>;

/// A JSON text of the value: 70, 1.5 (a number always keeps a fraction or exponent, 1.0),
/// true, "sp500", ["AAPL","MSFT"].
std::string ParamValueToJson(const ParamValue& value);

/// Limits that apply when a schema does not set its own.
inline constexpr size_t kDefaultMaxLength = 1024;  // string, and each string_list item
inline constexpr size_t kDefaultMaxItems = 10000;  // string_list

/// One declared parameter, as ParameterSchema::Parse checked it.
struct ParamSpec {
  std::string name;         // matches [a-z][a-z0-9_]{0,63}
  std::string description;  // empty when the schema gives none
  ParamType type = ParamType::kInteger;
  bool required = false;                    // exactly one of `required` and `default_value`
  std::optional<ParamValue> default_value;  // satisfies every constraint below
  std::optional<double> minimum;  // integer and number only; for integer a whole number
  std::optional<double> maximum;  // within ±2^53, so it converts to int64_t exactly
  std::vector<std::string> values;  // enum only: non-empty, unique, non-empty strings
  size_t max_length = 0;  // string and string_list items, in Unicode code points; else 0
  size_t max_items = 0;   // string_list only; else 0

  friend bool operator==(const ParamSpec&, const ParamSpec&) = default;
};

/// The checked values of one run: exactly one entry per schema parameter, in schema order,
/// each of its parameter's type and within its limits; strings are valid UTF-8 without NUL
/// characters. Only ParameterSchema makes non-empty ones.
class ParameterValues {
 public:
  ParameterValues() = default;

  /// nullptr when the schema has no such parameter. Valid while this object lives.
  const ParamValue* Find(std::string_view name) const;
  const std::vector<std::pair<std::string, ParamValue>>& entries() const { return entries_; }
  /// A JSON object of every entry in schema order: {"min_score":70,"label":""}. Passing
  /// it back through ParameterSchema::ValidateJson gives the same values.
  std::string ToJson() const;

 private:
  friend class ParameterSchema;
  explicit ParameterValues(std::vector<std::pair<std::string, ParamValue>> entries)
      : entries_(std::move(entries)) {}

  std::vector<std::pair<std::string, ParamValue>> entries_;
};

/// A plugin's parameters. Immutable once parsed, so one instance may be shared by threads.
/// A default-constructed schema has no parameters.
class ParameterSchema {
 public:
  ParameterSchema() = default;

  /// Parses and checks a schema (the format is in plugin-api/ABI.md). Strict: an unknown
  /// key, a key that does not fit the type, a default that breaks the parameter's own
  /// limits, or a parameter with both or neither of "default" and "required": true is an
  /// error. Errors are InvalidArgument with an empty field(), naming the parameter by name
  /// or, before the name is known, by its 0-based index ("parameter 3: missing \"name\"").
  static Result<ParameterSchema> Parse(std::string_view json);

  /// In schema order.
  const std::vector<ParamSpec>& params() const { return params_; }
  /// nullptr when there is no such parameter. Valid while this object lives.
  const ParamSpec* Find(std::string_view name) const;

  /// The canonical schema: the same format with every key that applies spelled out
  /// (built-in limits included, "required" only when true, "description" only when not
  /// empty). Parse(ToJson()) gives an equal schema.
  std::string ToJson() const;

  /// Checks user values, a JSON object of name → value (null means {}), and fills in
  /// defaults. A JSON null for a parameter is an error, not "use the default". When a name
  /// appears twice the last occurrence wins. Integers accept a whole-valued JSON double
  /// within int64 (70.0); numbers accept any finite JSON number; booleans only true/false.
  /// Errors are InvalidArgument with field() = the parameter's name ("unknown parameter
  /// 'x'", "parameter 'x' must be at most 100 (got 150)", "missing required parameter
  /// 'x'"); a non-object is "parameters must be a JSON object" with an empty field().
  Result<ParameterValues> Validate(const rapidjson::Value& user_values) const;

  /// Validate() on a JSON text (a stored run, an HTTP body). Invalid JSON is
  /// InvalidArgument with an empty field().
  Result<ParameterValues> ValidateJson(std::string_view json) const;

  /// Validate() on the CLI's `--set name=text` pairs; the last pair of a name wins. Text
  /// is converted by the parameter's type: integer is a whole decimal ("70", "-3"; not
  /// "7x", "1e3" or beyond int64), number is a finite decimal or exponent form read
  /// independently of the locale ("1.5", "2e-3"), boolean is true/false/yes/no/1/0 in any
  /// case; leading and trailing whitespace is ignored for these three. String and enum
  /// text is taken as is. A string_list is comma-separated, each item trimmed, empty items
  /// dropped ("AAPL, MSFT," → ["AAPL", "MSFT"]). Errors are those of Validate(), quoting
  /// the text: "parameter 'x' must be an integer (got '7x')".
  Result<ParameterValues> ValidateText(
      const std::vector<std::pair<std::string, std::string>>& name_text) const;

 private:
  std::vector<ParamSpec> params_;
};

}  // namespace stratrun
