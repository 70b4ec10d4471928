#include "plugins/parameter_schema.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>
#include <type_traits>
#include <unordered_set>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/utf8.h"

namespace stratrun {
namespace {

// Iterative: a deeply nested document (an HTTP body) cannot exhaust the stack.
// Full precision: numbers read back exactly what ToJson wrote.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag |
                                 rapidjson::kParseFullPrecisionFlag |
                                 rapidjson::kParseValidateEncodingFlag;

constexpr size_t kMaxNameLength = 64;
// Integer bounds are stored as double, so they must convert to int64_t exactly.
constexpr int64_t kMaxExactInteger = int64_t{1} << 53;
constexpr double kInt64Limit = 9223372036854775808.0;  // 2^63
constexpr size_t kMaxQuotedCodePoints = 40;

constexpr std::array<ParamType, 6> kAllParamTypes = {
    ParamType::kInteger, ParamType::kNumber, ParamType::kBoolean,
    ParamType::kString,  ParamType::kEnum,   ParamType::kStringList};

constexpr uint32_t Bit(ParamType type) { return uint32_t{1} << static_cast<unsigned>(type); }

constexpr uint32_t kEveryType = 0x3F;

// The keys a parameter object may have, and the types each applies to.
struct SchemaKey {
  std::string_view name;
  uint32_t types;
};
constexpr std::array<SchemaKey, 10> kSchemaKeys = {{
    {"name", kEveryType},
    {"type", kEveryType},
    {"description", kEveryType},
    {"default", kEveryType},
    {"required", kEveryType},
    {"minimum", Bit(ParamType::kInteger) | Bit(ParamType::kNumber)},
    {"maximum", Bit(ParamType::kInteger) | Bit(ParamType::kNumber)},
    {"values", Bit(ParamType::kEnum)},
    {"max_length", Bit(ParamType::kString) | Bit(ParamType::kStringList)},
    {"max_items", Bit(ParamType::kStringList)},
}};

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

std::string_view StringOf(const rapidjson::Value& json) {
  return {json.GetString(), json.GetStringLength()};
}

// Code points in valid UTF-8 text.
size_t CodePointCount(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// `text` in single quotes for a message: cut after kMaxQuotedCodePoints code points, with
// control characters and bytes that are not UTF-8 written as \xNN, so a message is always
// one line of valid UTF-8 whatever the user typed.
std::string Quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string quoted = "'";
  size_t code_points = 0;
  for (size_t at = 0; at < text.size();) {
    if (code_points == kMaxQuotedCodePoints) {
      quoted += "...";
      break;
    }
    const size_t length = Utf8SequenceLength(text, at);
    const auto byte = static_cast<unsigned char>(text[at]);
    if (length == 0 || byte < 0x20 || byte == 0x7F) {
      quoted += "\\x";
      quoted += kHex[byte >> 4];
      quoted += kHex[byte & 0x0F];
      ++at;
    } else {
      quoted.append(text, at, length);
      at += length;
    }
    ++code_points;
  }
  quoted += "'";
  return quoted;
}

std::string FormatDouble(double value) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

// A JSON value as a message shows it: 70, 70.5, true, null, 'text', an array.
std::string Describe(const rapidjson::Value& json) {
  switch (json.GetType()) {
    case rapidjson::kNullType: return "null";
    case rapidjson::kFalseType: return "false";
    case rapidjson::kTrueType: return "true";
    case rapidjson::kObjectType: return "an object";
    case rapidjson::kArrayType: return "an array";
    case rapidjson::kStringType: return Quote(StringOf(json));
    case rapidjson::kNumberType:
      if (json.IsInt64()) return std::to_string(json.GetInt64());
      if (json.IsUint64()) return std::to_string(json.GetUint64());
      return FormatDouble(json.GetDouble());
  }
  return "an unknown value";
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::string JoinValues(const std::vector<std::string>& values) {
  std::string joined;
  for (const std::string& value : values) {
    if (!joined.empty()) joined += ", ";
    joined += value;
  }
  return joined;
}

std::string NotOneOf(const ParamSpec& spec, const std::string& got) {
  return "must be one of: " + JoinValues(spec.values) + " (got " + got + ")";
}

// What is wrong with a string that crosses the C ABI as a NUL-terminated UTF-8 string.
std::optional<std::string_view> TextProblem(std::string_view text) {
  if (!IsValidUtf8(text)) return "is not valid UTF-8";
  if (text.find('\0') != std::string_view::npos) return "contains a NUL character";
  return std::nullopt;
}

// The three functions below return InvalidArgument with only the end of a message
// ("must be at most 100 (got 150)"); their callers put the parameter in front.

// A JSON value converted to the parameter's type; its limits are not checked yet.
Result<ParamValue> FromJson(const ParamSpec& spec, const rapidjson::Value& json) {
  switch (spec.type) {
    case ParamType::kInteger: {
      if (json.IsInt64()) return ParamValue(json.GetInt64());
      if (!json.IsNumber()) return InvalidArgument("must be an integer (got " + Describe(json) + ")");
      if (json.IsUint64()) {  // and not IsInt64(): above INT64_MAX
        return InvalidArgument("must be an integer in the 64-bit range (got " + Describe(json) + ")");
      }
      const double number = json.GetDouble();
      if (!std::isfinite(number) || std::trunc(number) != number) {
        return InvalidArgument("must be an integer (got " + Describe(json) + ")");
      }
      if (number < -kInt64Limit || number >= kInt64Limit) {
        return InvalidArgument("must be an integer in the 64-bit range (got " + Describe(json) + ")");
      }
      return ParamValue(static_cast<int64_t>(number));
    }
    case ParamType::kNumber:
      if (!json.IsNumber()) return InvalidArgument("must be a number (got " + Describe(json) + ")");
      return ParamValue(json.GetDouble());
    case ParamType::kBoolean:
      if (!json.IsBool()) return InvalidArgument("must be a boolean (got " + Describe(json) + ")");
      return ParamValue(json.GetBool());
    case ParamType::kString:
      if (!json.IsString()) return InvalidArgument("must be a string (got " + Describe(json) + ")");
      return ParamValue(std::string(StringOf(json)));
    case ParamType::kEnum:
      if (!json.IsString()) return InvalidArgument(NotOneOf(spec, Describe(json)));
      return ParamValue(std::string(StringOf(json)));
    case ParamType::kStringList: {
      if (!json.IsArray()) {
        return InvalidArgument("must be a list of strings (got " + Describe(json) + ")");
      }
      std::vector<std::string> items;
      items.reserve(std::min<size_t>(json.Size(), spec.max_items + 1));
      for (const rapidjson::Value& item : json.GetArray()) {
        if (!item.IsString()) {
          return InvalidArgument("must be a list of strings (got an item " + Describe(item) + ")");
        }
        items.emplace_back(StringOf(item));
      }
      return ParamValue(std::move(items));
    }
  }
  return Internal("unknown parameter type");
}

// CLI text converted to the parameter's type; its limits are not checked yet.
Result<ParamValue> FromText(const ParamSpec& spec, std::string_view raw) {
  switch (spec.type) {
    case ParamType::kInteger: {
      const std::string_view text = Trim(raw);
      int64_t value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error == std::errc::result_out_of_range && end == text.data() + text.size()) {
        return InvalidArgument("must be an integer in the 64-bit range (got " + Quote(raw) + ")");
      }
      if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return InvalidArgument("must be an integer (got " + Quote(raw) + ")");
      }
      return ParamValue(value);
    }
    case ParamType::kNumber: {
      // from_chars, unlike strtod, does not follow the C locale's decimal point.
      const std::string_view text = Trim(raw);
      double value = 0;
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error == std::errc::result_out_of_range && end == text.data() + text.size()) {
        return InvalidArgument("must be a number within the range of a double (got " + Quote(raw) + ")");
      }
      if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return InvalidArgument("must be a number (got " + Quote(raw) + ")");
      }
      if (!std::isfinite(value)) return InvalidArgument("must be a finite number (got " + Quote(raw) + ")");
      return ParamValue(value);
    }
    case ParamType::kBoolean: {
      std::string text(Trim(raw));
      for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (text == "true" || text == "yes" || text == "1") return ParamValue(true);
      if (text == "false" || text == "no" || text == "0") return ParamValue(false);
      return InvalidArgument("must be a boolean: true, false, yes, no, 1 or 0 (got " + Quote(raw) + ")");
    }
    case ParamType::kString:
    case ParamType::kEnum:
      return ParamValue(std::string(raw));
    case ParamType::kStringList: {
      std::vector<std::string> items;
      size_t start = 0;
      while (start <= raw.size()) {
        size_t comma = raw.find(',', start);
        if (comma == std::string_view::npos) comma = raw.size();
        const std::string_view item = Trim(raw.substr(start, comma - start));
        if (!item.empty()) items.emplace_back(item);
        start = comma + 1;
      }
      return ParamValue(std::move(items));
    }
  }
  return Internal("unknown parameter type");
}

// Checks a value of the parameter's type against the parameter's limits.
Status CheckLimits(const ParamSpec& spec, const ParamValue& value) {
  switch (spec.type) {
    case ParamType::kInteger: {
      const int64_t number = std::get<int64_t>(value);
      if (spec.minimum && number < static_cast<int64_t>(*spec.minimum)) {
        return InvalidArgument("must be at least " + std::to_string(static_cast<int64_t>(*spec.minimum)) +
                               " (got " + std::to_string(number) + ")");
      }
      if (spec.maximum && number > static_cast<int64_t>(*spec.maximum)) {
        return InvalidArgument("must be at most " + std::to_string(static_cast<int64_t>(*spec.maximum)) +
                               " (got " + std::to_string(number) + ")");
      }
      return Status::Ok();
    }
    case ParamType::kNumber: {
      const double number = std::get<double>(value);
      if (!std::isfinite(number)) {
        return InvalidArgument("must be a finite number (got " + FormatDouble(number) + ")");
      }
      if (spec.minimum && number < *spec.minimum) {
        return InvalidArgument("must be at least " + FormatDouble(*spec.minimum) + " (got " +
                               FormatDouble(number) + ")");
      }
      if (spec.maximum && number > *spec.maximum) {
        return InvalidArgument("must be at most " + FormatDouble(*spec.maximum) + " (got " +
                               FormatDouble(number) + ")");
      }
      return Status::Ok();
    }
    case ParamType::kBoolean:
      return Status::Ok();
    case ParamType::kString: {
      const std::string& text = std::get<std::string>(value);
      if (auto problem = TextProblem(text)) return InvalidArgument(std::string(*problem));
      if (CodePointCount(text) > spec.max_length) {
        return InvalidArgument("is longer than " + std::to_string(spec.max_length) + " characters");
      }
      return Status::Ok();
    }
    case ParamType::kEnum: {
      const std::string& text = std::get<std::string>(value);
      if (std::find(spec.values.begin(), spec.values.end(), text) == spec.values.end()) {
        return InvalidArgument(NotOneOf(spec, Quote(text)));
      }
      return Status::Ok();
    }
    case ParamType::kStringList: {
      const auto& items = std::get<std::vector<std::string>>(value);
      if (items.size() > spec.max_items) {
        return InvalidArgument("has " + std::to_string(items.size()) + " items; at most " +
                               std::to_string(spec.max_items) + " allowed");
      }
      for (const std::string& item : items) {
        if (auto problem = TextProblem(item)) {
          return InvalidArgument("has an item that " + std::string(*problem));
        }
        if (CodePointCount(item) > spec.max_length) {
          return InvalidArgument("has an item longer than " + std::to_string(spec.max_length) +
                                 " characters (got " + Quote(item) + ")");
        }
      }
      return Status::Ok();
    }
  }
  return Internal("unknown parameter type");
}

// Parses `json` into `document`; on failure the message starts with `failure_prefix`.
Status ParseJson(std::string_view json, const std::string& failure_prefix, rapidjson::Document& document) {
  // RapidJSON reads a NUL as the end of the text and would ignore whatever follows it.
  if (const size_t nul = json.find('\0'); nul != std::string_view::npos) {
    return InvalidArgument(failure_prefix + "NUL character at offset " + std::to_string(nul));
  }
  document.Parse<kParseFlags>(json.data(), json.size());
  if (!document.HasParseError()) return Status::Ok();
  std::string reason = rapidjson::GetParseError_En(document.GetParseError());
  if (!reason.empty() && reason.back() == '.') reason.pop_back();
  if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  return InvalidArgument(failure_prefix + reason + " at offset " + std::to_string(document.GetErrorOffset()));
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::optional<ParamType> ParamTypeFromName(std::string_view name) {
  for (ParamType type : kAllParamTypes) {
    if (ParamTypeName(type) == name) return type;
  }
  return std::nullopt;
}

std::string QuoteKey(std::string_view key) {
  std::string quoted = Quote(key);
  quoted.front() = '"';
  quoted.back() = '"';
  return quoted;
}

// "minimum" or "maximum" of an integer or number parameter.
Result<double> ParseBound(const ParamSpec& spec, std::string_view key, const rapidjson::Value& json) {
  const std::string prefix = "parameter " + Quote(spec.name) + ": " + QuoteKey(key);
  if (!json.IsNumber()) return InvalidArgument(prefix + " must be a number");
  if (spec.type == ParamType::kNumber) return json.GetDouble();
  const std::string not_exact = prefix + " must be a whole number between " + std::to_string(-kMaxExactInteger) +
                                " and " + std::to_string(kMaxExactInteger);
  if (json.IsInt64()) {
    const int64_t bound = json.GetInt64();
    if (bound < -kMaxExactInteger || bound > kMaxExactInteger) return InvalidArgument(not_exact);
    return static_cast<double>(bound);
  }
  if (json.IsUint64()) return InvalidArgument(not_exact);
  const double bound = json.GetDouble();
  if (std::trunc(bound) != bound || std::fabs(bound) > static_cast<double>(kMaxExactInteger)) {
    return InvalidArgument(not_exact);
  }
  return bound;
}

Result<size_t> ParsePositiveInteger(const ParamSpec& spec, std::string_view key, const rapidjson::Value& json) {
  if (!json.IsUint64() || json.GetUint64() == 0) {
    return InvalidArgument("parameter " + Quote(spec.name) + ": " + QuoteKey(key) + " must be a positive integer");
  }
  return static_cast<size_t>(json.GetUint64());
}

Status ParseEnumValues(ParamSpec& spec, const rapidjson::Value& json) {
  const std::string prefix = "parameter " + Quote(spec.name) + ": ";
  if (!json.IsArray() || json.Empty()) return InvalidArgument(prefix + "\"values\" must be a non-empty array of strings");
  std::unordered_set<std::string_view> seen;
  for (const rapidjson::Value& value : json.GetArray()) {
    if (!value.IsString()) return InvalidArgument(prefix + "\"values\" must be a non-empty array of strings");
    const std::string_view text = StringOf(value);
    if (text.empty()) return InvalidArgument(prefix + "\"values\" must not contain an empty string");
    if (auto problem = TextProblem(text)) {
      return InvalidArgument(prefix + "value " + Quote(text) + " " + std::string(*problem));
    }
    if (!seen.insert(text).second) return InvalidArgument(prefix + "duplicate value " + Quote(text) + " in \"values\"");
    spec.values.emplace_back(text);
  }
  return Status::Ok();
}

// One element of the schema array; `index` names it until its name is known.
Result<ParamSpec> ParseParam(const rapidjson::Value& json, size_t index) {
  const std::string at_index = "parameter " + std::to_string(index) + ": ";
  if (!json.IsObject()) return InvalidArgument(at_index + "must be a JSON object");

  ParamSpec spec;
  const auto name = json.FindMember("name");
  if (name == json.MemberEnd()) return InvalidArgument(at_index + "missing \"name\"");
  if (!name->value.IsString()) return InvalidArgument(at_index + "\"name\" must be a string");
  if (!IsValidName(StringOf(name->value))) {
    return InvalidArgument(at_index + "invalid name " + Quote(StringOf(name->value)) +
                           " (names match [a-z][a-z0-9_]{0,63})");
  }
  spec.name = StringOf(name->value);
  const std::string prefix = "parameter " + Quote(spec.name) + ": ";

  const auto type = json.FindMember("type");
  if (type == json.MemberEnd()) return InvalidArgument(prefix + "missing \"type\"");
  if (!type->value.IsString()) return InvalidArgument(prefix + "\"type\" must be a string");
  const std::optional<ParamType> parsed_type = ParamTypeFromName(StringOf(type->value));
  if (!parsed_type) {
    return InvalidArgument(prefix + "unknown type " + Quote(StringOf(type->value)) +
                           " (expected integer, number, boolean, string, enum or string_list)");
  }
  spec.type = *parsed_type;

  // Every key known, given once, and meaningful for the type: catches plugin authors' typos.
  uint32_t seen = 0;
  for (auto member = json.MemberBegin(); member != json.MemberEnd(); ++member) {
    const std::string_view key = StringOf(member->name);
    const auto known = std::find_if(kSchemaKeys.begin(), kSchemaKeys.end(),
                                    [key](const SchemaKey& candidate) { return candidate.name == key; });
    if (known == kSchemaKeys.end()) return InvalidArgument(prefix + "unknown key " + QuoteKey(key));
    const uint32_t bit = uint32_t{1} << static_cast<unsigned>(known - kSchemaKeys.begin());
    if ((seen & bit) != 0) return InvalidArgument(prefix + "duplicate key " + QuoteKey(key));
    seen |= bit;
    if ((known->types & Bit(spec.type)) == 0) {
      return InvalidArgument(prefix + QuoteKey(key) + " does not apply to type " +
                             std::string(ParamTypeName(spec.type)));
    }
  }

  if (const auto description = json.FindMember("description"); description != json.MemberEnd()) {
    if (!description->value.IsString()) return InvalidArgument(prefix + "\"description\" must be a string");
    spec.description = StringOf(description->value);
  }
  if (const auto required = json.FindMember("required"); required != json.MemberEnd()) {
    if (!required->value.IsBool()) return InvalidArgument(prefix + "\"required\" must be true or false");
    spec.required = required->value.GetBool();
  }
  for (const char* key : {"minimum", "maximum"}) {
    const auto bound_json = json.FindMember(key);
    if (bound_json == json.MemberEnd()) continue;
    auto bound = ParseBound(spec, key, bound_json->value);
    if (!bound) return bound.status();
    (std::string_view(key) == "minimum" ? spec.minimum : spec.maximum) = *bound;
  }
  if (spec.minimum && spec.maximum && *spec.minimum > *spec.maximum) {
    return InvalidArgument(prefix + "minimum is greater than maximum");
  }
  if (spec.type == ParamType::kEnum) {
    const auto values = json.FindMember("values");
    if (values == json.MemberEnd()) return InvalidArgument(prefix + "missing \"values\"");
    if (Status status = ParseEnumValues(spec, values->value); !status.ok()) return status;
  }
  if (spec.type == ParamType::kString || spec.type == ParamType::kStringList) {
    spec.max_length = kDefaultMaxLength;
    if (const auto max_length = json.FindMember("max_length"); max_length != json.MemberEnd()) {
      auto parsed = ParsePositiveInteger(spec, "max_length", max_length->value);
      if (!parsed) return parsed.status();
      spec.max_length = *parsed;
    }
  }
  if (spec.type == ParamType::kStringList) {
    spec.max_items = kDefaultMaxItems;
    if (const auto max_items = json.FindMember("max_items"); max_items != json.MemberEnd()) {
      auto parsed = ParsePositiveInteger(spec, "max_items", max_items->value);
      if (!parsed) return parsed.status();
      spec.max_items = *parsed;
    }
  }

  // Last, as the default is checked against every limit above, by the code that checks
  // user values.
  const auto default_json = json.FindMember("default");
  const bool has_default = default_json != json.MemberEnd();
  if (has_default && spec.required) {
    return InvalidArgument(prefix + "has both \"default\" and \"required\": true");
  }
  if (!has_default && !spec.required) {
    return InvalidArgument(prefix + "needs a \"default\" or \"required\": true");
  }
  if (has_default) {
    auto value = FromJson(spec, default_json->value);
    const Status problem = value ? CheckLimits(spec, *value) : value.status();
    if (!problem.ok()) return InvalidArgument(prefix + "default " + problem.message());
    spec.default_value = std::move(*value);
  }
  return spec;
}

void WriteString(JsonWriter& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteValue(JsonWriter& writer, const ParamValue& value) {
  std::visit(
      [&writer](const auto& alternative) {
        using T = std::decay_t<decltype(alternative)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          writer.Int64(alternative);
        } else if constexpr (std::is_same_v<T, double>) {
          writer.Double(alternative);
        } else if constexpr (std::is_same_v<T, bool>) {
          writer.Bool(alternative);
        } else if constexpr (std::is_same_v<T, std::string>) {
          WriteString(writer, alternative);
        } else {
          writer.StartArray();
          for (const std::string& item : alternative) WriteString(writer, item);
          writer.EndArray();
        }
      },
      value);
}

void WriteBound(JsonWriter& writer, const ParamSpec& spec, double bound) {
  if (spec.type == ParamType::kInteger) {
    writer.Int64(static_cast<int64_t>(bound));
  } else {
    writer.Double(bound);
  }
}

using Entries = std::vector<std::pair<std::string, ParamValue>>;

// The values of a run: given[i] is what the user gave for params[i] (nullptr: nothing),
// turned into a value by `convert`, then checked; defaults fill the gaps.
template <typename Given, typename Convert>
Result<Entries> Complete(const std::vector<ParamSpec>& params, const std::vector<const Given*>& given,
                         Convert convert) {
  Entries entries;
  entries.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamSpec& spec = params[i];
    if (given[i] == nullptr) {
      if (!spec.default_value) return InvalidArgument("missing required parameter " + Quote(spec.name), spec.name);
      entries.emplace_back(spec.name, *spec.default_value);
      continue;
    }
    Result<ParamValue> value = convert(spec, *given[i]);
    const Status problem = value ? CheckLimits(spec, *value) : value.status();
    if (!problem.ok()) {
      return InvalidArgument("parameter " + Quote(spec.name) + " " + problem.message(), spec.name);
    }
    entries.emplace_back(spec.name, std::move(*value));
  }
  return entries;
}

}  // namespace

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInteger: return "integer";
    case ParamType::kNumber: return "number";
    case ParamType::kBoolean: return "boolean";
    case ParamType::kString: return "string";
    case ParamType::kEnum: return "enum";
    case ParamType::kStringList: return "string_list";
  }
  return "unknown";
}

std::string ParamValueToJson(const ParamValue& value) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  WriteValue(writer, value);
  return std::string(buffer.GetString(), buffer.GetSize());
}

const ParamValue* ParameterValues::Find(std::string_view name) const {
  for (const auto& [entry_name, value] : entries_) {
    if (entry_name == name) return &value;
  }
  return nullptr;
}

std::string ParameterValues::ToJson() const {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  for (const auto& [name, value] : entries_) {
    WriteString(writer, name);
    WriteValue(writer, value);
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<ParameterSchema> ParameterSchema::Parse(std::string_view json) {
  rapidjson::Document document;
  if (Status status = ParseJson(json, "parameters schema is not valid JSON: ", document); !status.ok()) {
    return status;
  }
  if (!document.IsArray()) return InvalidArgument("parameters schema must be a JSON array");
  ParameterSchema schema;
  schema.params_.reserve(document.Size());
  for (rapidjson::SizeType i = 0; i < document.Size(); ++i) {
    auto spec = ParseParam(document[i], i);
    if (!spec) return spec.status();
    if (schema.Find(spec->name) != nullptr) return InvalidArgument("duplicate parameter " + Quote(spec->name));
    schema.params_.push_back(std::move(*spec));
  }
  return schema;
}

const ParamSpec* ParameterSchema::Find(std::string_view name) const {
  for (const ParamSpec& spec : params_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string ParameterSchema::ToJson() const {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartArray();
  for (const ParamSpec& spec : params_) {
    writer.StartObject();
    writer.Key("name");
    WriteString(writer, spec.name);
    writer.Key("type");
    WriteString(writer, ParamTypeName(spec.type));
    if (!spec.description.empty()) {
      writer.Key("description");
      WriteString(writer, spec.description);
    }
    if (spec.required) {
      writer.Key("required");
      writer.Bool(true);
    }
    if (spec.default_value) {
      writer.Key("default");
      WriteValue(writer, *spec.default_value);
    }
    if (spec.minimum) {
      writer.Key("minimum");
      WriteBound(writer, spec, *spec.minimum);
    }
    if (spec.maximum) {
      writer.Key("maximum");
      WriteBound(writer, spec, *spec.maximum);
    }
    if (spec.type == ParamType::kEnum) {
      writer.Key("values");
      writer.StartArray();
      for (const std::string& value : spec.values) WriteString(writer, value);
      writer.EndArray();
    }
    if (spec.type == ParamType::kString || spec.type == ParamType::kStringList) {
      writer.Key("max_length");
      writer.Uint64(spec.max_length);
    }
    if (spec.type == ParamType::kStringList) {
      writer.Key("max_items");
      writer.Uint64(spec.max_items);
    }
    writer.EndObject();
  }
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<ParameterValues> ParameterSchema::Validate(const rapidjson::Value& user_values) const {
  if (!user_values.IsNull() && !user_values.IsObject()) {
    return InvalidArgument("parameters must be a JSON object");
  }
  std::vector<const rapidjson::Value*> given(params_.size(), nullptr);
  if (user_values.IsObject()) {
    for (auto member = user_values.MemberBegin(); member != user_values.MemberEnd(); ++member) {
      const std::string_view name = StringOf(member->name);
      const ParamSpec* spec = Find(name);
      if (spec == nullptr) return InvalidArgument("unknown parameter " + Quote(name), std::string(name));
      given[static_cast<size_t>(spec - params_.data())] = &member->value;
    }
  }
  auto entries = Complete(params_, given, FromJson);
  if (!entries) return entries.status();
  return ParameterValues(std::move(*entries));
}

Result<ParameterValues> ParameterSchema::ValidateJson(std::string_view json) const {
  rapidjson::Document document;
  if (Status status = ParseJson(json, "parameters are not valid JSON: ", document); !status.ok()) {
    return status;
  }
  return Validate(document);
}

Result<ParameterValues> ParameterSchema::ValidateText(
    const std::vector<std::pair<std::string, std::string>>& name_text) const {
  std::vector<const std::string*> given(params_.size(), nullptr);
  for (const auto& [name, text] : name_text) {
    const ParamSpec* spec = Find(name);
    if (spec == nullptr) return InvalidArgument("unknown parameter " + Quote(name), name);
    given[static_cast<size_t>(spec - params_.data())] = &text;
  }
  auto entries = Complete(params_, given, [](const ParamSpec& spec, const std::string& text) {
    return FromText(spec, text);
  });
  if (!entries) return entries.status();
  return ParameterValues(std::move(*entries));
}

}  // namespace stratrun
