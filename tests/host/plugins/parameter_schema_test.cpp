#include "plugins/parameter_schema.h"

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "common/status.h"

namespace stratrun {
namespace {

using Strings = std::vector<std::string>;
using TextPairs = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kExampleSchema = R"json([
  {"name": "min_score", "type": "integer", "default": 70, "minimum": 0, "maximum": 100,
   "description": "Minimum score (0-100) to pass"},
  {"name": "min_volume_multiple", "type": "number", "default": 1.0, "minimum": 0},
  {"name": "require_breakout", "type": "boolean", "default": true},
  {"name": "label", "type": "string", "default": "", "max_length": 64},
  {"name": "universe_source", "type": "enum", "values": ["sp500", "all"], "default": "sp500"},
  {"name": "tickers", "type": "string_list", "default": [], "max_items": 2000, "max_length": 16},
  {"name": "dte_days", "type": "integer", "required": true, "minimum": 30}
])json";

ParameterSchema MustParse(std::string_view json) {
  auto schema = ParameterSchema::Parse(json);
  if (!schema) {
    ADD_FAILURE() << "schema rejected: " << schema.status().message();
    return {};
  }
  return std::move(*schema);
}

ParameterSchema Example() { return MustParse(kExampleSchema); }

// The error ParameterSchema::Parse gives for a schema of the one parameter `param`.
Status ErrorForParam(std::string_view param) {
  return ParameterSchema::Parse("[" + std::string(param) + "]").status();
}

::testing::AssertionResult IsSchemaError(const Status& status, std::string_view message) {
  if (status.ok()) return ::testing::AssertionFailure() << "schema accepted";
  if (status.code() != StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "code " << StatusCodeName(status.code()) << ": "
                                         << status.message();
  }
  if (status.message() != message) {
    return ::testing::AssertionFailure() << "message is \"" << status.message() << "\"";
  }
  if (!status.field().empty()) return ::testing::AssertionFailure() << "field is " << status.field();
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IsInvalid(const Result<ParameterValues>& values, std::string_view field,
                                     std::string_view message) {
  if (values.ok()) return ::testing::AssertionFailure() << "values accepted: " << values->ToJson();
  const Status& status = values.status();
  if (status.code() != StatusCode::kInvalidArgument) {
    return ::testing::AssertionFailure() << "code " << StatusCodeName(status.code()) << ": "
                                         << status.message();
  }
  if (status.message() != message) {
    return ::testing::AssertionFailure() << "message is \"" << status.message() << "\"";
  }
  if (status.field() != field) return ::testing::AssertionFailure() << "field is '" << status.field() << "'";
  return ::testing::AssertionSuccess();
}

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// The value the JSON `user_values` give `name` under `schema`, or a test failure.
ParamValue ValueOf(const ParameterSchema& schema, std::string_view user_values, std::string_view name) {
  auto values = schema.ValidateJson(user_values);
  if (!values) {
    ADD_FAILURE() << user_values << " rejected: " << values.status().message();
    return {};
  }
  const ParamValue* value = values->Find(name);
  if (value == nullptr) {
    ADD_FAILURE() << "no value for " << name;
    return {};
  }
  return *value;
}

ParamValue TextValueOf(const ParameterSchema& schema, std::string_view name, std::string_view text,
                       const TextPairs& others = {{"dte_days", "45"}}) {
  TextPairs pairs = others;
  pairs.emplace_back(name, text);
  auto values = schema.ValidateText(pairs);
  if (!values) {
    ADD_FAILURE() << name << "=" << text << " rejected: " << values.status().message();
    return {};
  }
  return *values->Find(name);
}

// ---- ParamTypeName ---------------------------------------------------------------------

TEST(ParamTypeNameTest, SpellsEveryTypeAsTheSchemaDoes) {
  EXPECT_EQ(ParamTypeName(ParamType::kInteger), "integer");
  EXPECT_EQ(ParamTypeName(ParamType::kNumber), "number");
  EXPECT_EQ(ParamTypeName(ParamType::kBoolean), "boolean");
  EXPECT_EQ(ParamTypeName(ParamType::kString), "string");
  EXPECT_EQ(ParamTypeName(ParamType::kEnum), "enum");
  EXPECT_EQ(ParamTypeName(ParamType::kStringList), "string_list");
}

// ---- Parse: accepted schemas -----------------------------------------------------------

TEST(ParameterSchemaParseTest, ReadsEveryTypeWithItsKeysInOrder) {
  const ParameterSchema schema = Example();
  const auto& params = schema.params();
  ASSERT_EQ(params.size(), 7u);

  const ParamSpec& min_score = params[0];
  EXPECT_EQ(min_score.name, "min_score");
  EXPECT_EQ(min_score.type, ParamType::kInteger);
  EXPECT_EQ(min_score.description, "Minimum score (0-100) to pass");
  EXPECT_FALSE(min_score.required);
  EXPECT_EQ(min_score.default_value, ParamValue(int64_t{70}));
  EXPECT_EQ(min_score.minimum, 0.0);
  EXPECT_EQ(min_score.maximum, 100.0);

  const ParamSpec& volume = params[1];
  EXPECT_EQ(volume.type, ParamType::kNumber);
  EXPECT_EQ(volume.default_value, ParamValue(1.0));
  EXPECT_EQ(volume.minimum, 0.0);
  EXPECT_FALSE(volume.maximum.has_value());
  EXPECT_TRUE(volume.description.empty());

  EXPECT_EQ(params[2].type, ParamType::kBoolean);
  EXPECT_EQ(params[2].default_value, ParamValue(true));

  EXPECT_EQ(params[3].type, ParamType::kString);
  EXPECT_EQ(params[3].default_value, ParamValue(std::string()));
  EXPECT_EQ(params[3].max_length, 64u);

  EXPECT_EQ(params[4].type, ParamType::kEnum);
  EXPECT_EQ(params[4].values, (Strings{"sp500", "all"}));
  EXPECT_EQ(params[4].default_value, ParamValue(std::string("sp500")));

  EXPECT_EQ(params[5].type, ParamType::kStringList);
  EXPECT_EQ(params[5].default_value, ParamValue(Strings{}));
  EXPECT_EQ(params[5].max_items, 2000u);
  EXPECT_EQ(params[5].max_length, 16u);

  const ParamSpec& dte = params[6];
  EXPECT_TRUE(dte.required);
  EXPECT_FALSE(dte.default_value.has_value());
  EXPECT_EQ(dte.minimum, 30.0);
}

TEST(ParameterSchemaParseTest, FindsParametersByName) {
  const ParameterSchema schema = Example();
  ASSERT_NE(schema.Find("tickers"), nullptr);
  EXPECT_EQ(schema.Find("tickers")->type, ParamType::kStringList);
  EXPECT_EQ(schema.Find("ticker"), nullptr);
  EXPECT_EQ(schema.Find(""), nullptr);
}

TEST(ParameterSchemaParseTest, AppliesBuiltInLimitsWhenNoneAreGiven) {
  const ParameterSchema schema = MustParse(R"([
    {"name": "s", "type": "string", "default": "x"},
    {"name": "l", "type": "string_list", "default": ["a"]},
    {"name": "i", "type": "integer", "default": 1}])");
  EXPECT_EQ(schema.params()[0].max_length, kDefaultMaxLength);
  EXPECT_EQ(kDefaultMaxLength, 1024u);
  EXPECT_EQ(schema.params()[0].max_items, 0u);
  EXPECT_EQ(schema.params()[1].max_length, kDefaultMaxLength);
  EXPECT_EQ(schema.params()[1].max_items, kDefaultMaxItems);
  EXPECT_EQ(kDefaultMaxItems, 10000u);
  EXPECT_EQ(schema.params()[2].max_length, 0u);
  EXPECT_FALSE(schema.params()[2].minimum.has_value());
}

TEST(ParameterSchemaParseTest, EmptyArrayDeclaresNoParameters) {
  const ParameterSchema schema = MustParse(" [ ] ");
  EXPECT_TRUE(schema.params().empty());
  auto values = schema.ValidateJson("{}");
  ASSERT_TRUE(values.ok()) << values.status().message();
  EXPECT_TRUE(values->entries().empty());
  EXPECT_EQ(values->ToJson(), "{}");
}

TEST(ParameterSchemaParseTest, DefaultConstructedSchemaHasNoParameters) {
  const ParameterSchema schema;
  EXPECT_TRUE(schema.params().empty());
  EXPECT_EQ(schema.ToJson(), "[]");
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"x": 1})"), "x", "unknown parameter 'x'"));
}

TEST(ParameterSchemaParseTest, AcceptsWholeDoubleAsIntegerDefaultAndIntegerAsNumberDefault) {
  const ParameterSchema schema = MustParse(R"([
    {"name": "i", "type": "integer", "default": 70.0},
    {"name": "n", "type": "number", "default": 2}])");
  EXPECT_EQ(schema.params()[0].default_value, ParamValue(int64_t{70}));
  EXPECT_EQ(schema.params()[1].default_value, ParamValue(2.0));
}

TEST(ParameterSchemaParseTest, AcceptsRequiredFalseWithDefaultAndEqualBounds) {
  const ParameterSchema schema =
      MustParse(R"([{"name": "x", "type": "integer", "required": false, "default": 5, "minimum": 5, "maximum": 5}])");
  EXPECT_FALSE(schema.params()[0].required);
  EXPECT_EQ(schema.params()[0].default_value, ParamValue(int64_t{5}));
}

TEST(ParameterSchemaParseTest, AcceptsNamesOfOneAndOfSixtyFourCharacters) {
  const std::string longest = "a" + std::string(62, '0') + "_";
  ASSERT_EQ(longest.size(), 64u);
  EXPECT_TRUE(ErrorForParam(R"({"name": "a", "type": "boolean", "default": false})").ok());
  EXPECT_TRUE(ErrorForParam(R"({"name": ")" + longest + R"(", "type": "boolean", "default": false})").ok());
}

TEST(ParameterSchemaParseTest, AcceptsIntegerBoundsUpToTwoToTheFiftyThird) {
  const ParameterSchema schema = MustParse(
      R"([{"name": "x", "type": "integer", "default": 0,
           "minimum": -9007199254740992, "maximum": 9007199254740992}])");
  EXPECT_EQ(schema.params()[0].maximum, 9007199254740992.0);
  EXPECT_EQ(schema.params()[0].minimum, -9007199254740992.0);
}

// ---- Parse: rejected schemas -----------------------------------------------------------

TEST(ParameterSchemaParseTest, RejectsTextThatIsNotJson) {
  EXPECT_TRUE(IsSchemaError(ParameterSchema::Parse("[1,]").status(),
                            "parameters schema is not valid JSON: invalid value at offset 3"));
  EXPECT_TRUE(IsSchemaError(ParameterSchema::Parse("").status(),
                            "parameters schema is not valid JSON: the document is empty at offset 0"));
  const Status trailing = ParameterSchema::Parse("[] []").status();
  EXPECT_EQ(trailing.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(trailing.message(), "parameters schema is not valid JSON: ")) << trailing.message();
  EXPECT_TRUE(Contains(trailing.message(), " at offset 3")) << trailing.message();
}

TEST(ParameterSchemaParseTest, RejectsNulCharacterInsteadOfIgnoringWhatFollows) {
  const std::string text("[]\0garbage", 10);
  EXPECT_TRUE(IsSchemaError(ParameterSchema::Parse(text).status(),
                            "parameters schema is not valid JSON: NUL character at offset 2"));
}

TEST(ParameterSchemaParseTest, RejectsInvalidUtf8) {
  const Status status = ParameterSchema::Parse(
      "[{\"name\": \"x\", \"type\": \"string\", \"default\": \"\xff\"}]").status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(status.message(), "not valid JSON: invalid encoding")) << status.message();
}

TEST(ParameterSchemaParseTest, RejectsRootThatIsNotAnArray) {
  for (const char* root : {"{}", "null", "\"[]\"", "3"}) {
    EXPECT_TRUE(IsSchemaError(ParameterSchema::Parse(root).status(), "parameters schema must be a JSON array"))
        << root;
  }
}

TEST(ParameterSchemaParseTest, RejectsParameterThatIsNotAnObjectByIndex) {
  EXPECT_TRUE(IsSchemaError(
      ParameterSchema::Parse(R"([{"name": "a", "type": "boolean", "default": true}, "b"])").status(),
      "parameter 1: must be a JSON object"));
}

TEST(ParameterSchemaParseTest, RejectsMissingNameByIndex) {
  EXPECT_TRUE(IsSchemaError(ParameterSchema::Parse(R"([
      {"name": "a", "type": "boolean", "default": true},
      {"name": "b", "type": "boolean", "default": true},
      {"name": "c", "type": "boolean", "default": true},
      {"type": "integer", "default": 1}])").status(),
                            "parameter 3: missing \"name\""));
}

TEST(ParameterSchemaParseTest, RejectsNameThatIsNotAString) {
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": 5, "type": "integer", "default": 1})"),
                            "parameter 0: \"name\" must be a string"));
}

TEST(ParameterSchemaParseTest, RejectsNamesOutsideThePattern) {
  const std::string too_long(65, 'a');
  for (const std::string& name : {std::string("Min"), std::string("1x"), std::string("_x"), std::string("a-b"),
                                  std::string("a b"), std::string(""), too_long}) {
    EXPECT_TRUE(IsSchemaError(
        ErrorForParam(R"({"name": ")" + name + R"(", "type": "integer", "default": 1})"),
        "parameter 0: invalid name '" + (name.size() > 40 ? name.substr(0, 40) + "..." : name) +
            "' (names match [a-z][a-z0-9_]{0,63})"))
        << name;
  }
}

TEST(ParameterSchemaParseTest, RejectsMissingOrUnknownType) {
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "default": 1})"), "parameter 'x': missing \"type\""));
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": 1, "default": 1})"),
                            "parameter 'x': \"type\" must be a string"));
  EXPECT_TRUE(IsSchemaError(
      ErrorForParam(R"({"name": "x", "type": "int", "default": 1})"),
      "parameter 'x': unknown type 'int' (expected integer, number, boolean, string, enum or string_list)"));
}

TEST(ParameterSchemaParseTest, RejectsUnknownKeySoTyposAreCaught) {
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": "integer", "default": 1, "maximun": 5})"),
                            "parameter 'x': unknown key \"maximun\""));
}

TEST(ParameterSchemaParseTest, RejectsKeysThatDoNotFitTheType) {
  struct Case {
    const char* param;
    const char* message;
  };
  const Case cases[] = {
      {R"({"name": "x", "type": "integer", "default": 1, "values": ["a"]})",
       "parameter 'x': \"values\" does not apply to type integer"},
      {R"({"name": "x", "type": "string", "default": "", "minimum": 0})",
       "parameter 'x': \"minimum\" does not apply to type string"},
      {R"({"name": "x", "type": "boolean", "default": true, "maximum": 1})",
       "parameter 'x': \"maximum\" does not apply to type boolean"},
      {R"({"name": "x", "type": "string", "default": "", "max_items": 3})",
       "parameter 'x': \"max_items\" does not apply to type string"},
      {R"({"name": "x", "type": "integer", "default": 1, "max_length": 3})",
       "parameter 'x': \"max_length\" does not apply to type integer"},
      {R"({"name": "x", "type": "enum", "values": ["a"], "default": "a", "max_length": 3})",
       "parameter 'x': \"max_length\" does not apply to type enum"},
      {R"({"name": "x", "type": "string_list", "default": [], "minimum": 0})",
       "parameter 'x': \"minimum\" does not apply to type string_list"},
  };
  for (const Case& c : cases) EXPECT_TRUE(IsSchemaError(ErrorForParam(c.param), c.message)) << c.param;
}

TEST(ParameterSchemaParseTest, RejectsKeyGivenTwice) {
  EXPECT_TRUE(IsSchemaError(
      ErrorForParam(R"({"name": "x", "type": "integer", "default": 1, "minimum": 0, "minimum": 2})"),
      "parameter 'x': duplicate key \"minimum\""));
}

TEST(ParameterSchemaParseTest, RejectsDuplicateParameter) {
  EXPECT_TRUE(IsSchemaError(ParameterSchema::Parse(R"([
      {"name": "x", "type": "integer", "default": 1},
      {"name": "y", "type": "integer", "default": 1},
      {"name": "x", "type": "number", "default": 1}])").status(),
                            "duplicate parameter 'x'"));
}

TEST(ParameterSchemaParseTest, RejectsBothOrNeitherOfDefaultAndRequired) {
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": "integer", "default": 1, "required": true})"),
                            "parameter 'x': has both \"default\" and \"required\": true"));
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": "integer"})"),
                            "parameter 'x': needs a \"default\" or \"required\": true"));
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": "integer", "required": false})"),
                            "parameter 'x': needs a \"default\" or \"required\": true"));
}

TEST(ParameterSchemaParseTest, RejectsRequiredAndDescriptionOfTheWrongType) {
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": "integer", "required": "yes"})"),
                            "parameter 'x': \"required\" must be true or false"));
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": "integer", "default": 1, "description": 5})"),
                            "parameter 'x': \"description\" must be a string"));
}

TEST(ParameterSchemaParseTest, RejectsMinimumGreaterThanMaximum) {
  EXPECT_TRUE(IsSchemaError(
      ErrorForParam(R"({"name": "min_score", "type": "integer", "default": 50, "minimum": 100, "maximum": 0})"),
      "parameter 'min_score': minimum is greater than maximum"));
  EXPECT_TRUE(IsSchemaError(
      ErrorForParam(R"({"name": "ratio", "type": "number", "required": true, "minimum": 0.5, "maximum": 0.25})"),
      "parameter 'ratio': minimum is greater than maximum"));
}

TEST(ParameterSchemaParseTest, RejectsBoundsThatAreNotNumbers) {
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": "number", "default": 1, "minimum": "0"})"),
                            "parameter 'x': \"minimum\" must be a number"));
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "x", "type": "integer", "default": 1, "maximum": null})"),
                            "parameter 'x': \"maximum\" must be a number"));
}

TEST(ParameterSchemaParseTest, RejectsIntegerBoundsThatAreNotExactWholeNumbers) {
  const std::string message =
      "parameter 'x': \"minimum\" must be a whole number between -9007199254740992 and 9007199254740992";
  for (const char* bound : {"0.5", "9007199254740993", "-9007199254740993", "1e300", "18446744073709551615"}) {
    EXPECT_TRUE(IsSchemaError(
        ErrorForParam(std::string(R"({"name": "x", "type": "integer", "required": true, "minimum": )") + bound + "}"),
        message))
        << bound;
  }
}

TEST(ParameterSchemaParseTest, RejectsBadEnumValues) {
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "u", "type": "enum", "default": "a"})"),
                            "parameter 'u': missing \"values\""));
  for (const char* values : {"[]", "\"a\"", "[\"a\", 1]"}) {
    EXPECT_TRUE(IsSchemaError(
        ErrorForParam(std::string(R"({"name": "u", "type": "enum", "default": "a", "values": )") + values + "}"),
        "parameter 'u': \"values\" must be a non-empty array of strings"))
        << values;
  }
  EXPECT_TRUE(IsSchemaError(ErrorForParam(R"({"name": "u", "type": "enum", "default": "a", "values": ["a", ""]})"),
                            "parameter 'u': \"values\" must not contain an empty string"));
  EXPECT_TRUE(IsSchemaError(
      ErrorForParam(R"({"name": "u", "type": "enum", "default": "a", "values": ["a", "b", "a"]})"),
      "parameter 'u': duplicate value 'a' in \"values\""));
  EXPECT_TRUE(IsSchemaError(
      ErrorForParam(R"({"name": "u", "type": "enum", "default": "a", "values": ["a", "b\u0000c"]})"),
      "parameter 'u': value 'b\\x00c' contains a NUL character"));
}

TEST(ParameterSchemaParseTest, RejectsLimitsThatAreNotPositiveIntegers) {
  for (const char* limit : {"0", "-1", "1.5", "16.0", "\"16\"", "true"}) {
    EXPECT_TRUE(IsSchemaError(
        ErrorForParam(std::string(R"({"name": "s", "type": "string", "default": "", "max_length": )") + limit + "}"),
        "parameter 's': \"max_length\" must be a positive integer"))
        << limit;
    EXPECT_TRUE(IsSchemaError(
        ErrorForParam(std::string(R"({"name": "l", "type": "string_list", "default": [], "max_items": )") + limit +
                      "}"),
        "parameter 'l': \"max_items\" must be a positive integer"))
        << limit;
  }
}

TEST(ParameterSchemaParseTest, RejectsDefaultsThatBreakTheParametersOwnLimits) {
  struct Case {
    const char* param;
    const char* message;
  };
  const Case cases[] = {
      {R"({"name": "min_score", "type": "integer", "default": 150, "minimum": 0, "maximum": 100})",
       "parameter 'min_score': default must be at most 100 (got 150)"},
      {R"({"name": "min_score", "type": "integer", "default": -1, "minimum": 0})",
       "parameter 'min_score': default must be at least 0 (got -1)"},
      {R"({"name": "min_score", "type": "integer", "default": 70.5})",
       "parameter 'min_score': default must be an integer (got 70.5)"},
      {R"({"name": "min_score", "type": "integer", "default": "70"})",
       "parameter 'min_score': default must be an integer (got '70')"},
      {R"({"name": "ratio", "type": "number", "default": -0.5, "minimum": 0})",
       "parameter 'ratio': default must be at least 0 (got -0.5)"},
      {R"({"name": "flag", "type": "boolean", "default": "yes"})",
       "parameter 'flag': default must be a boolean (got 'yes')"},
      {R"({"name": "label", "type": "string", "default": "abcdef", "max_length": 5})",
       "parameter 'label': default is longer than 5 characters"},
      {R"({"name": "universe_source", "type": "enum", "values": ["sp500", "all"], "default": "nasdaq"})",
       "parameter 'universe_source': default must be one of: sp500, all (got 'nasdaq')"},
      {R"({"name": "tickers", "type": "string_list", "default": ["A", "B", "C"], "max_items": 2})",
       "parameter 'tickers': default has 3 items; at most 2 allowed"},
      {R"({"name": "tickers", "type": "string_list", "default": "AAPL"})",
       "parameter 'tickers': default must be a list of strings (got 'AAPL')"},
      {R"({"name": "tickers", "type": "string_list", "default": ["ABCDE"], "max_length": 4})",
       "parameter 'tickers': default has an item longer than 4 characters (got 'ABCDE')"},
  };
  for (const Case& c : cases) EXPECT_TRUE(IsSchemaError(ErrorForParam(c.param), c.message)) << c.param;
}

// ---- Validate (JSON) -------------------------------------------------------------------

TEST(ParameterSchemaValidateTest, FillsDefaultsAndKeepsSchemaOrder) {
  const ParameterSchema schema = Example();
  auto values = schema.ValidateJson(R"({"dte_days": 45, "label": "weekly", "min_score": 80})");
  ASSERT_TRUE(values.ok()) << values.status().message();
  const auto& entries = values->entries();
  ASSERT_EQ(entries.size(), 7u);
  const Strings expected_order = {"min_score", "min_volume_multiple", "require_breakout", "label",
                                  "universe_source", "tickers", "dte_days"};
  for (size_t i = 0; i < entries.size(); ++i) EXPECT_EQ(entries[i].first, expected_order[i]);
  EXPECT_EQ(entries[0].second, ParamValue(int64_t{80}));
  EXPECT_EQ(entries[1].second, ParamValue(1.0));
  EXPECT_EQ(entries[2].second, ParamValue(true));
  EXPECT_EQ(entries[3].second, ParamValue(std::string("weekly")));
  EXPECT_EQ(entries[4].second, ParamValue(std::string("sp500")));
  EXPECT_EQ(entries[5].second, ParamValue(Strings{}));
  EXPECT_EQ(entries[6].second, ParamValue(int64_t{45}));
}

TEST(ParameterSchemaValidateTest, FindReturnsValueOrNull) {
  auto values = Example().ValidateJson(R"({"dte_days": 45})");
  ASSERT_TRUE(values.ok()) << values.status().message();
  ASSERT_NE(values->Find("universe_source"), nullptr);
  EXPECT_EQ(*values->Find("universe_source"), ParamValue(std::string("sp500")));
  EXPECT_EQ(values->Find("nope"), nullptr);
}

TEST(ParameterSchemaValidateTest, NullMeansNoValuesGiven) {
  const rapidjson::Value null_value;
  EXPECT_TRUE(IsInvalid(Example().Validate(null_value), "dte_days", "missing required parameter 'dte_days'"));

  const ParameterSchema optional_only = MustParse(R"([{"name": "x", "type": "integer", "default": 3}])");
  auto values = optional_only.Validate(null_value);
  ASSERT_TRUE(values.ok()) << values.status().message();
  EXPECT_EQ(values->ToJson(), R"({"x":3})");
}

TEST(ParameterSchemaValidateTest, RejectsValuesThatAreNotAnObject) {
  for (const char* json : {"[]", "\"min_score=5\"", "5", "true"}) {
    EXPECT_TRUE(IsInvalid(Example().ValidateJson(json), "", "parameters must be a JSON object")) << json;
  }
}

TEST(ParameterSchemaValidateTest, RejectsUnknownParameter) {
  EXPECT_TRUE(IsInvalid(Example().ValidateJson(R"({"dte_days": 45, "foo": 1})"), "foo", "unknown parameter 'foo'"));
}

TEST(ParameterSchemaValidateTest, RejectsMissingRequiredParameter) {
  EXPECT_TRUE(IsInvalid(Example().ValidateJson(R"({"min_score": 80})"), "dte_days",
                        "missing required parameter 'dte_days'"));
}

TEST(ParameterSchemaValidateTest, RejectsNullForAParameterInsteadOfUsingTheDefault) {
  EXPECT_TRUE(IsInvalid(Example().ValidateJson(R"({"dte_days": 45, "min_score": null})"), "min_score",
                        "parameter 'min_score' must be an integer (got null)"));
}

TEST(ParameterSchemaValidateTest, LastOfARepeatedNameWins) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "min_score": "bad", "min_score": 90})", "min_score"),
            ParamValue(int64_t{90}));
}

TEST(ParameterSchemaValidateTest, IntegerAcceptsWholeNumbersIncludingWholeDoubles) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "min_score": 70})", "min_score"), ParamValue(int64_t{70}));
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "min_score": 70.0})", "min_score"), ParamValue(int64_t{70}));
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "min_score": 7e1})", "min_score"), ParamValue(int64_t{70}));
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 9223372036854775807})", "dte_days"),
            ParamValue(int64_t{9223372036854775807}));
}

TEST(ParameterSchemaValidateTest, IntegerBoundsAreInclusive) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 30, "min_score": 0})", "min_score"), ParamValue(int64_t{0}));
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 30, "min_score": 100})", "min_score"), ParamValue(int64_t{100}));
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 30})", "dte_days"), ParamValue(int64_t{30}));
}

TEST(ParameterSchemaValidateTest, IntegerRejectsOtherValues) {
  const ParameterSchema schema = Example();
  struct Case {
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"150", "parameter 'min_score' must be at most 100 (got 150)"},
      {"-1", "parameter 'min_score' must be at least 0 (got -1)"},
      {"70.5", "parameter 'min_score' must be an integer (got 70.5)"},
      {"\"70\"", "parameter 'min_score' must be an integer (got '70')"},
      {"true", "parameter 'min_score' must be an integer (got true)"},
      {"[70]", "parameter 'min_score' must be an integer (got an array)"},
      {"{}", "parameter 'min_score' must be an integer (got an object)"},
      {"1e19", "parameter 'min_score' must be an integer in the 64-bit range (got 1e+19)"},
      {"9223372036854775808", "parameter 'min_score' must be an integer in the 64-bit range (got 9223372036854775808)"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(IsInvalid(schema.ValidateJson(std::string(R"({"dte_days": 45, "min_score": )") + c.value + "}"),
                          "min_score", c.message))
        << c.value;
  }
}

TEST(ParameterSchemaValidateTest, NumberAcceptsAnyNumberWithinBounds) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "min_volume_multiple": 2})", "min_volume_multiple"), ParamValue(2.0));
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "min_volume_multiple": 0.1})", "min_volume_multiple"),
            ParamValue(0.1));
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "min_volume_multiple": 0})", "min_volume_multiple"), ParamValue(0.0));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "min_volume_multiple": -0.5})"),
                        "min_volume_multiple", "parameter 'min_volume_multiple' must be at least 0 (got -0.5)"));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "min_volume_multiple": "2"})"),
                        "min_volume_multiple", "parameter 'min_volume_multiple' must be a number (got '2')"));
}

TEST(ParameterSchemaValidateTest, NumberMaximumIsEnforced) {
  const ParameterSchema schema =
      MustParse(R"([{"name": "ratio", "type": "number", "default": 0.5, "minimum": 0, "maximum": 1.5}])");
  EXPECT_EQ(ValueOf(schema, R"({"ratio": 1.5})", "ratio"), ParamValue(1.5));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"ratio": 1.75})"), "ratio",
                        "parameter 'ratio' must be at most 1.5 (got 1.75)"));
}

TEST(ParameterSchemaValidateTest, NumberRejectsNonFiniteValueBuiltInMemory) {
  const ParameterSchema schema = Example();
  rapidjson::Document user;
  user.SetObject();
  user.AddMember("dte_days", 45, user.GetAllocator());
  user.AddMember("min_volume_multiple", std::numeric_limits<double>::infinity(), user.GetAllocator());
  EXPECT_TRUE(IsInvalid(schema.Validate(user), "min_volume_multiple",
                        "parameter 'min_volume_multiple' must be a finite number (got inf)"));
}

TEST(ParameterSchemaValidateTest, BooleanAcceptsOnlyJsonBooleans) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "require_breakout": false})", "require_breakout"),
            ParamValue(false));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "require_breakout": 1})"), "require_breakout",
                        "parameter 'require_breakout' must be a boolean (got 1)"));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "require_breakout": "true"})"), "require_breakout",
                        "parameter 'require_breakout' must be a boolean (got 'true')"));
}

TEST(ParameterSchemaValidateTest, StringLengthCountsCharactersNotBytes) {
  const ParameterSchema schema = Example();
  std::string accented;
  for (int i = 0; i < 64; ++i) accented += "\xc3\xa9";  // é: two bytes, one character
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "label": ")" + accented + R"("})", "label"), ParamValue(accented));
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "label": ")" + std::string(64, 'x') + R"("})", "label"),
            ParamValue(std::string(64, 'x')));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "label": ")" + std::string(65, 'x') + R"("})"),
                        "label", "parameter 'label' is longer than 64 characters"));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "label": ")" + accented + R"(e"})"), "label",
                        "parameter 'label' is longer than 64 characters"));
}

TEST(ParameterSchemaValidateTest, StringRejectsOtherTypesNulAndInvalidUtf8) {
  const ParameterSchema schema = Example();
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "label": 5})"), "label",
                        "parameter 'label' must be a string (got 5)"));
  // The plugin receives a NUL-terminated string; a NUL inside would silently cut it.
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "label": "a\u0000b"})"), "label",
                        "parameter 'label' contains a NUL character"));
  rapidjson::Document user;
  user.SetObject();
  user.AddMember("dte_days", 45, user.GetAllocator());
  rapidjson::Value bad_utf8;
  bad_utf8.SetString("ab\xff", 3, user.GetAllocator());
  user.AddMember("label", bad_utf8, user.GetAllocator());
  EXPECT_TRUE(IsInvalid(schema.Validate(user), "label", "parameter 'label' is not valid UTF-8"));
}

TEST(ParameterSchemaValidateTest, EnumAcceptsOnlyItsValues) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "universe_source": "all"})", "universe_source"),
            ParamValue(std::string("all")));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "universe_source": "nasdaq"})"), "universe_source",
                        "parameter 'universe_source' must be one of: sp500, all (got 'nasdaq')"));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "universe_source": "SP500"})"), "universe_source",
                        "parameter 'universe_source' must be one of: sp500, all (got 'SP500')"));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "universe_source": 1})"), "universe_source",
                        "parameter 'universe_source' must be one of: sp500, all (got 1)"));
}

TEST(ParameterSchemaValidateTest, StringListAcceptsArrayOfStrings) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(ValueOf(schema, R"({"dte_days": 45, "tickers": ["AAPL", "MSFT"]})", "tickers"),
            ParamValue(Strings{"AAPL", "MSFT"}));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "tickers": "AAPL,MSFT"})"), "tickers",
                        "parameter 'tickers' must be a list of strings (got 'AAPL,MSFT')"));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "tickers": ["AAPL", 5]})"), "tickers",
                        "parameter 'tickers' must be a list of strings (got an item 5)"));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "tickers": ["AAPL", "ABCDEFGHIJKLMNOPQ"]})"),
                        "tickers", "parameter 'tickers' has an item longer than 16 characters (got 'ABCDEFGHIJKLMNOPQ')"));
}

std::string JsonListOf(size_t count) {
  std::string json = "[";
  for (size_t i = 0; i < count; ++i) json += i == 0 ? "\"T\"" : ",\"T\"";
  return json + "]";
}

TEST(ParameterSchemaValidateTest, StringListEnforcesItemCount) {
  const ParameterSchema schema = Example();  // max_items 2000
  auto at_limit = schema.ValidateJson(R"({"dte_days": 45, "tickers": )" + JsonListOf(2000) + "}");
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().message();
  EXPECT_EQ(std::get<Strings>(*at_limit->Find("tickers")).size(), 2000u);
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "tickers": )" + JsonListOf(2001) + "}"), "tickers",
                        "parameter 'tickers' has 2001 items; at most 2000 allowed"));

  const ParameterSchema built_in = MustParse(R"([{"name": "tickers", "type": "string_list", "default": []}])");
  EXPECT_TRUE(IsInvalid(built_in.ValidateJson(R"({"tickers": )" + JsonListOf(20001) + "}"), "tickers",
                        "parameter 'tickers' has 20001 items; at most 10000 allowed"));
}

TEST(ParameterSchemaValidateTest, ValidateJsonReportsInvalidJson) {
  const auto values = Example().ValidateJson(R"({"dte_days": 45,})");
  EXPECT_TRUE(IsInvalid(values, "", "parameters are not valid JSON: missing a name for object member at offset 16"));
}

TEST(ParameterSchemaValidateTest, DeeplyNestedInputIsRejectedWithoutExhaustingTheStack) {
  const ParameterSchema schema = Example();
  const size_t depth = 200000;
  const std::string nested = std::string(depth, '[') + std::string(depth, ']');
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(R"({"dte_days": 45, "label": )" + nested + "}"), "label",
                        "parameter 'label' must be a string (got an array)"));
  EXPECT_TRUE(IsInvalid(schema.ValidateJson(nested), "", "parameters must be a JSON object"));
  EXPECT_TRUE(IsSchemaError(ParameterSchema::Parse("[" + nested + "]").status(), "parameter 0: must be a JSON object"));
}

TEST(ParameterSchemaValidateTest, ValuesToJsonRoundTripsThroughValidate) {
  const ParameterSchema schema = Example();
  auto values = schema.ValidateJson(
      R"({"dte_days": 45, "min_volume_multiple": 2, "label": "a \"quoted\" é", "tickers": ["AAPL", "MSFT"]})");
  ASSERT_TRUE(values.ok()) << values.status().message();
  EXPECT_EQ(values->ToJson(),
            R"({"min_score":70,"min_volume_multiple":2.0,"require_breakout":true,"label":"a \"quoted\" é",)"
            R"("universe_source":"sp500","tickers":["AAPL","MSFT"],"dte_days":45})");
  auto again = schema.ValidateJson(values->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->entries(), values->entries());
}

// ---- ValidateText (CLI --set) ----------------------------------------------------------

TEST(ParameterSchemaValidateTextTest, ConvertsIntegers) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(TextValueOf(schema, "min_score", "70"), ParamValue(int64_t{70}));
  EXPECT_EQ(TextValueOf(schema, "min_score", " 80 "), ParamValue(int64_t{80}));
  EXPECT_EQ(TextValueOf(schema, "min_score", "-0"), ParamValue(int64_t{0}));
  EXPECT_EQ(TextValueOf(schema, "dte_days", "9223372036854775807", {}), ParamValue(int64_t{9223372036854775807}));
}

TEST(ParameterSchemaValidateTextTest, RejectsBadIntegerText) {
  const ParameterSchema schema = Example();
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"7x", "parameter 'min_score' must be an integer (got '7x')"},
      {"", "parameter 'min_score' must be an integer (got '')"},
      {"70.0", "parameter 'min_score' must be an integer (got '70.0')"},
      {"+5", "parameter 'min_score' must be an integer (got '+5')"},
      {"0x10", "parameter 'min_score' must be an integer (got '0x10')"},
      {"99999999999999999999", "parameter 'min_score' must be an integer in the 64-bit range (got '99999999999999999999')"},
      {"150", "parameter 'min_score' must be at most 100 (got 150)"},
      {"-1", "parameter 'min_score' must be at least 0 (got -1)"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(IsInvalid(schema.ValidateText({{"dte_days", "45"}, {"min_score", c.text}}), "min_score", c.message))
        << c.text;
  }
}

TEST(ParameterSchemaValidateTextTest, ConvertsNumbers) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(TextValueOf(schema, "min_volume_multiple", "1.5"), ParamValue(1.5));
  EXPECT_EQ(TextValueOf(schema, "min_volume_multiple", "2"), ParamValue(2.0));
  EXPECT_EQ(TextValueOf(schema, "min_volume_multiple", " 2e-3\t"), ParamValue(0.002));
}

TEST(ParameterSchemaValidateTextTest, RejectsBadNumberText) {
  const ParameterSchema schema = Example();
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"abc", "parameter 'min_volume_multiple' must be a number (got 'abc')"},
      {"1.5x", "parameter 'min_volume_multiple' must be a number (got '1.5x')"},
      {"1,5", "parameter 'min_volume_multiple' must be a number (got '1,5')"},
      {"", "parameter 'min_volume_multiple' must be a number (got '')"},
      {"inf", "parameter 'min_volume_multiple' must be a finite number (got 'inf')"},
      {"nan", "parameter 'min_volume_multiple' must be a finite number (got 'nan')"},
      {"1e400", "parameter 'min_volume_multiple' must be a number within the range of a double (got '1e400')"},
      {"-0.25", "parameter 'min_volume_multiple' must be at least 0 (got -0.25)"},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(IsInvalid(schema.ValidateText({{"dte_days", "45"}, {"min_volume_multiple", c.text}}),
                          "min_volume_multiple", c.message))
        << c.text;
  }
}

TEST(ParameterSchemaValidateTextTest, ConvertsBooleanWords) {
  const ParameterSchema schema = Example();
  for (const char* text : {"true", "TRUE", "yes", "Yes", "1", " true "}) {
    EXPECT_EQ(TextValueOf(schema, "require_breakout", text), ParamValue(true)) << text;
  }
  for (const char* text : {"false", "False", "no", "NO", "0"}) {
    EXPECT_EQ(TextValueOf(schema, "require_breakout", text), ParamValue(false)) << text;
  }
  EXPECT_TRUE(IsInvalid(schema.ValidateText({{"dte_days", "45"}, {"require_breakout", "maybe"}}), "require_breakout",
                        "parameter 'require_breakout' must be a boolean: true, false, yes, no, 1 or 0 (got 'maybe')"));
}

TEST(ParameterSchemaValidateTextTest, TakesStringAndEnumTextAsIs) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(TextValueOf(schema, "label", " a, b "), ParamValue(std::string(" a, b ")));
  EXPECT_EQ(TextValueOf(schema, "label", ""), ParamValue(std::string()));
  EXPECT_EQ(TextValueOf(schema, "universe_source", "all"), ParamValue(std::string("all")));
  EXPECT_TRUE(IsInvalid(schema.ValidateText({{"dte_days", "45"}, {"universe_source", " all"}}), "universe_source",
                        "parameter 'universe_source' must be one of: sp500, all (got ' all')"));
  EXPECT_TRUE(IsInvalid(schema.ValidateText({{"dte_days", "45"}, {"label", std::string(65, 'x')}}), "label",
                        "parameter 'label' is longer than 64 characters"));
  EXPECT_TRUE(IsInvalid(schema.ValidateText({{"dte_days", "45"}, {"label", "\xc3("}}), "label",
                        "parameter 'label' is not valid UTF-8"));
}

TEST(ParameterSchemaValidateTextTest, SplitsStringListOnCommasTrimmingAndDroppingEmpties) {
  const ParameterSchema schema = Example();
  EXPECT_EQ(TextValueOf(schema, "tickers", "AAPL, MSFT,, GOOG ,"), ParamValue(Strings{"AAPL", "MSFT", "GOOG"}));
  EXPECT_EQ(TextValueOf(schema, "tickers", "AAPL"), ParamValue(Strings{"AAPL"}));
  EXPECT_EQ(TextValueOf(schema, "tickers", ""), ParamValue(Strings{}));
  EXPECT_EQ(TextValueOf(schema, "tickers", " , ,"), ParamValue(Strings{}));
  EXPECT_TRUE(IsInvalid(schema.ValidateText({{"dte_days", "45"}, {"tickers", "AAPL, ABCDEFGHIJKLMNOPQ"}}), "tickers",
                        "parameter 'tickers' has an item longer than 16 characters (got 'ABCDEFGHIJKLMNOPQ')"));
}

TEST(ParameterSchemaValidateTextTest, StringListTextEnforcesItemCount) {
  const ParameterSchema schema = MustParse(R"([{"name": "tickers", "type": "string_list", "default": [],
                                               "max_items": 3}])");
  EXPECT_EQ(TextValueOf(schema, "tickers", "A,B,C", {}), ParamValue(Strings{"A", "B", "C"}));
  EXPECT_TRUE(IsInvalid(schema.ValidateText({{"tickers", "A,B,C,D"}}), "tickers",
                        "parameter 'tickers' has 4 items; at most 3 allowed"));
}

TEST(ParameterSchemaValidateTextTest, RejectsUnknownAndMissingParameters) {
  const ParameterSchema schema = Example();
  EXPECT_TRUE(IsInvalid(schema.ValidateText({{"dte_days", "45"}, {"min_scroe", "5"}}), "min_scroe",
                        "unknown parameter 'min_scroe'"));
  EXPECT_TRUE(IsInvalid(schema.ValidateText({{"min_score", "5"}}), "dte_days", "missing required parameter 'dte_days'"));
  EXPECT_TRUE(IsInvalid(schema.ValidateText({}), "dte_days", "missing required parameter 'dte_days'"));
}

TEST(ParameterSchemaValidateTextTest, LastSetOfANameWins) {
  const ParameterSchema schema = Example();
  auto values = schema.ValidateText({{"dte_days", "x"}, {"min_score", "10"}, {"dte_days", "60"}, {"min_score", "20"}});
  ASSERT_TRUE(values.ok()) << values.status().message();
  EXPECT_EQ(*values->Find("min_score"), ParamValue(int64_t{20}));
  EXPECT_EQ(*values->Find("dte_days"), ParamValue(int64_t{60}));
}

TEST(ParameterSchemaValidateTextTest, QuotesUserTextSafelyInMessages) {
  const ParameterSchema schema = Example();
  const auto control = schema.ValidateText({{"dte_days", "45"}, {"min_score", "7\x01\n8"}});
  EXPECT_TRUE(IsInvalid(control, "min_score", "parameter 'min_score' must be an integer (got '7\\x01\\x0a8')"));
  const auto long_text = schema.ValidateText({{"dte_days", std::string(100, 'z')}});
  EXPECT_TRUE(IsInvalid(long_text, "dte_days",
                        "parameter 'dte_days' must be an integer (got '" + std::string(40, 'z') + "...')"));
}

// ---- ToJson ------------------------------------------------------------------------------

TEST(ParameterSchemaToJsonTest, SpellsOutDefaultsLimitsAndRequiredInAFixedKeyOrder) {
  const ParameterSchema schema = MustParse(R"([
    {"default": 70, "maximum": 100, "type": "integer", "name": "min_score", "minimum": 0, "description": "Min"},
    {"name": "ratio", "type": "number", "default": 1, "minimum": 0.5},
    {"name": "label", "type": "string", "default": "x"},
    {"name": "universe_source", "type": "enum", "values": ["sp500", "all"], "default": "all"},
    {"name": "tickers", "type": "string_list", "default": ["AAPL"], "max_length": 8},
    {"name": "dte_days", "type": "integer", "required": true}
  ])");
  EXPECT_EQ(schema.ToJson(),
            R"([{"name":"min_score","type":"integer","description":"Min","default":70,"minimum":0,"maximum":100},)"
            R"({"name":"ratio","type":"number","default":1.0,"minimum":0.5},)"
            R"({"name":"label","type":"string","default":"x","max_length":1024},)"
            R"({"name":"universe_source","type":"enum","default":"all","values":["sp500","all"]},)"
            R"({"name":"tickers","type":"string_list","default":["AAPL"],"max_length":8,"max_items":10000},)"
            R"({"name":"dte_days","type":"integer","required":true}])");
}

TEST(ParameterSchemaToJsonTest, RoundTripsThroughParse) {
  const ParameterSchema schema = MustParse(R"([
    {"name": "min_score", "type": "integer", "default": 70, "minimum": -9007199254740992, "maximum": 100,
     "description": "Minimum \"score\" — 0 to 100\n"},
    {"name": "ratio", "type": "number", "default": 0.1, "minimum": 1e-7, "maximum": 1.7976931348623157e308},
    {"name": "big", "type": "integer", "default": -9223372036854775808},
    {"name": "flag", "type": "boolean", "required": true},
    {"name": "label", "type": "string", "default": "naïve", "max_length": 5},
    {"name": "universe_source", "type": "enum", "values": ["sp500", "all", "Ünïcode"], "default": "Ünïcode"},
    {"name": "tickers", "type": "string_list", "default": ["AAPL", "MSFT"], "max_items": 2000, "max_length": 16}
  ])");
  ASSERT_EQ(schema.params().size(), 7u);
  for (const ParameterSchema& original : {schema, Example()}) {
    const std::string json = original.ToJson();
    auto reparsed = ParameterSchema::Parse(json);
    ASSERT_TRUE(reparsed.ok()) << reparsed.status().message() << "\n" << json;
    EXPECT_EQ(reparsed->params(), original.params()) << json;
    EXPECT_EQ(reparsed->ToJson(), json);
  }
}

TEST(ParamValueToJsonTest, WritesEachAlternativeAsJson) {
  EXPECT_EQ(ParamValueToJson(int64_t{-70}), "-70");
  EXPECT_EQ(ParamValueToJson(1.5), "1.5");
  EXPECT_EQ(ParamValueToJson(2.0), "2.0");
  EXPECT_EQ(ParamValueToJson(true), "true");
  EXPECT_EQ(ParamValueToJson(std::string("say \"hi\"\n")), R"("say \"hi\"\n")");
  EXPECT_EQ(ParamValueToJson(Strings{"AAPL", "MSFT"}), R"(["AAPL","MSFT"])");
  EXPECT_EQ(ParamValueToJson(Strings{}), "[]");
}

}  // namespace
}  // namespace stratrun
