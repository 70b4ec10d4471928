// The JSON forms of events and result rows: the seed's schema plus seq.
#include "progress/progress_event.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cmath>
#include <limits>

namespace stratrun {
namespace {

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

TEST(ProgressEventTest, SerialisesTheSeedSchemaWithSeqAndHostMetrics) {
  ProgressEvent e;
  e.seq = 42;
  e.type = EventType::kTickerCompleted;
  e.timestamp = std::chrono::system_clock::time_point(std::chrono::milliseconds(1768473000123));
  e.run_id = "abc";
  e.stage = "analysis";
  e.current_item = "AAPL";
  e.message = "said \"hi\"";
  e.progress_percent = 45.5;
  e.total_items = 500;
  e.completed_items = 227;
  e.metrics = {{"score", 85}, {"rsi", std::numeric_limits<double>::quiet_NaN()}};
  e.tickers_per_second = 2.345;
  e.eta_seconds = 332;
  e.passed_count = 3;

  auto doc = Parse(ToJson(e));
  EXPECT_EQ(doc["seq"].GetUint64(), 42u);
  EXPECT_STREQ(doc["event_type"].GetString(), "ticker_completed");
  EXPECT_STREQ(doc["timestamp"].GetString(), "2026-01-15T10:30:00.123Z");
  EXPECT_STREQ(doc["run_id"].GetString(), "abc");
  EXPECT_STREQ(doc["stage"].GetString(), "analysis");
  EXPECT_STREQ(doc["current_item"].GetString(), "AAPL");
  EXPECT_STREQ(doc["message"].GetString(), "said \"hi\"");
  EXPECT_DOUBLE_EQ(doc["progress_percent"].GetDouble(), 45.5);
  EXPECT_EQ(doc["total_items"].GetInt64(), 500);
  EXPECT_EQ(doc["completed_items"].GetInt64(), 227);
  const auto& m = doc["metrics"];
  EXPECT_DOUBLE_EQ(m["tickers_per_second"].GetDouble(), 2.35);
  EXPECT_STREQ(m["estimated_remaining"].GetString(), "00:05:32");
  EXPECT_EQ(m["passed_count"].GetInt64(), 3);
  EXPECT_DOUBLE_EQ(m["score"].GetDouble(), 85);
  EXPECT_TRUE(m["rsi"].IsNull());  // NaN is not valid JSON
  EXPECT_FALSE(doc.HasMember("error_code"));
}

TEST(ProgressEventTest, ErrorEventsCarryTheirCode) {
  ProgressEvent e;
  e.type = EventType::kError;
  e.error_code = "timeout";
  auto doc = Parse(ToJson(e));
  EXPECT_STREQ(doc["event_type"].GetString(), "error");
  EXPECT_STREQ(doc["error_code"].GetString(), "timeout");
  EXPECT_FALSE(doc.HasMember("stage"));
}

TEST(ProgressEventTest, APluginMetricCannotShadowAHostMetric) {
  ProgressEvent e;
  e.passed_count = 7;
  e.metrics = {{"passed_count", 1000}};
  auto doc = Parse(ToJson(e));
  int count = 0;
  for (auto it = doc["metrics"].MemberBegin(); it != doc["metrics"].MemberEnd(); ++it) {
    count += std::string_view(it->name.GetString()) == "passed_count";
  }
  EXPECT_EQ(count, 1);
  EXPECT_EQ(doc["metrics"]["passed_count"].GetInt64(), 7);
}

TEST(ProgressEventTest, FormatsDurations) {
  EXPECT_EQ(FormatDuration(0), "00:00:00");
  EXPECT_EQ(FormatDuration(332.4), "00:05:32");
  EXPECT_EQ(FormatDuration(90061), "25:01:01");
  EXPECT_EQ(FormatDuration(-5), "00:00:00");
  EXPECT_EQ(FormatDuration(std::numeric_limits<double>::infinity()), "00:00:00");
}

TEST(ResultRowTest, SerialisesScoreVerdictMetricsAndReasons) {
  ResultRow row{.ticker = "MSFT", .score = 70, .passed = true, .metrics = {{"sma50", 410.5}}, .reasons = {"close > SMA50"}};
  auto doc = Parse(ToJson(row));
  EXPECT_STREQ(doc["ticker"].GetString(), "MSFT");
  EXPECT_DOUBLE_EQ(doc["score"].GetDouble(), 70);
  EXPECT_TRUE(doc["passed"].GetBool());
  EXPECT_DOUBLE_EQ(doc["metrics"]["sma50"].GetDouble(), 410.5);
  ASSERT_EQ(doc["reasons"].Size(), 1u);
  EXPECT_STREQ(doc["reasons"][0].GetString(), "close > SMA50");

  row.score = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(Parse(ToJson(row))["score"].IsNull());
}

}  // namespace
}  // namespace stratrun
