// RunToJson: the run object the HTTP API and the lifecycle stream share.
#include "progress/run_json.h"

#include <gtest/gtest.h>

#include <rapidjson/document.h>

namespace stratrun {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

constexpr int64_t kStartMs = 1768473000000;  // 2026-01-15T10:30:00.000Z

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(kStartMs + ms)); }

RunRecord QueuedRun() {
  RunRecord run;
  run.run_id = "run-1";
  run.strategy_code = "sma_trend";
  run.plugin_version = "1.2.0";
  run.plugin_sha256 = "abc123";
  run.parameters_json = R"({"min_score":70,"tickers":["AAPL","MSFT"]})";
  run.priority = "high";
  run.source = "api";
  run.created_at = At(0);
  return run;
}

rapidjson::Document Parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

TEST(RunJson, QueuedRunHasNullTimesDurationStageAndError) {
  const std::string json = RunToJson(QueuedRun());
  EXPECT_EQ(json.find('\n'), std::string::npos);
  auto doc = Parse(json);
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["run_id"].GetString(), "run-1");
  EXPECT_STREQ(doc["strategy_code"].GetString(), "sma_trend");
  EXPECT_STREQ(doc["plugin_version"].GetString(), "1.2.0");
  EXPECT_STREQ(doc["plugin_sha256"].GetString(), "abc123");
  EXPECT_STREQ(doc["status"].GetString(), "queued");
  EXPECT_STREQ(doc["priority"].GetString(), "high");
  EXPECT_STREQ(doc["source"].GetString(), "api");
  EXPECT_STREQ(doc["created_at"].GetString(), "2026-01-15T10:30:00.000Z");
  EXPECT_TRUE(doc["started_at"].IsNull());
  EXPECT_TRUE(doc["finished_at"].IsNull());
  EXPECT_TRUE(doc["duration_seconds"].IsNull());
  EXPECT_EQ(doc["progress_percent"].GetDouble(), 0);
  EXPECT_TRUE(doc["current_stage"].IsNull());
  EXPECT_EQ(doc["total_items"].GetInt64(), 0);
  EXPECT_EQ(doc["completed_items"].GetInt64(), 0);
  EXPECT_EQ(doc["result_count"].GetInt64(), 0);
  EXPECT_EQ(doc["passed_count"].GetInt64(), 0);
  EXPECT_TRUE(doc["error"].IsNull());
  ASSERT_TRUE(doc["parameters"].IsObject());
  EXPECT_EQ(doc["parameters"]["min_score"].GetInt(), 70);
  EXPECT_EQ(doc["parameters"]["tickers"].Size(), 2u);
}

TEST(RunJson, FinishedRunHasTimesDurationCountsAndError) {
  RunRecord run = QueuedRun();
  run.status = RunState::kError;
  run.started_at = At(1000);
  run.finished_at = At(13500);
  run.progress_percent = 45.5;
  run.current_stage = "analysis";
  run.total_items = 500;
  run.completed_items = 227;
  run.result_count = 227;
  run.passed_count = 3;
  run.error_code = "timeout";
  run.error_message = "run exceeded 1800 s";
  auto doc = Parse(RunToJson(run));
  EXPECT_STREQ(doc["status"].GetString(), "error");
  EXPECT_STREQ(doc["started_at"].GetString(), "2026-01-15T10:30:01.000Z");
  EXPECT_STREQ(doc["finished_at"].GetString(), "2026-01-15T10:30:13.500Z");
  EXPECT_DOUBLE_EQ(doc["duration_seconds"].GetDouble(), 12.5);
  EXPECT_DOUBLE_EQ(doc["progress_percent"].GetDouble(), 45.5);
  EXPECT_STREQ(doc["current_stage"].GetString(), "analysis");
  EXPECT_EQ(doc["total_items"].GetInt64(), 500);
  EXPECT_EQ(doc["completed_items"].GetInt64(), 227);
  EXPECT_EQ(doc["result_count"].GetInt64(), 227);
  EXPECT_EQ(doc["passed_count"].GetInt64(), 3);
  ASSERT_TRUE(doc["error"].IsObject());
  EXPECT_STREQ(doc["error"]["code"].GetString(), "timeout");
  EXPECT_STREQ(doc["error"]["message"].GetString(), "run exceeded 1800 s");
}

TEST(RunJson, RunningRunDurationCountsFromStart) {
  RunRecord run = QueuedRun();
  run.status = RunState::kRunning;
  run.started_at = std::chrono::system_clock::now() - std::chrono::seconds(5);
  auto doc = Parse(RunToJson(run));
  EXPECT_TRUE(doc["finished_at"].IsNull());
  EXPECT_GE(doc["duration_seconds"].GetDouble(), 4.9);
  EXPECT_LT(doc["duration_seconds"].GetDouble(), 600);
}

TEST(RunJson, CancelReasonIsTheError) {
  RunRecord run = QueuedRun();
  run.status = RunState::kCancelled;
  run.error_code = "user";
  run.error_message = "cancelled";
  auto doc = Parse(RunToJson(run));
  EXPECT_STREQ(doc["error"]["code"].GetString(), "user");
}

TEST(RunJson, ParametersStayOneLineAndInvalidOnesBecomeEmpty) {
  RunRecord run = QueuedRun();
  run.parameters_json = "{\n  \"min_score\": 70,\n  \"name\": \"a\\nb\"\n}";
  std::string json = RunToJson(run);
  EXPECT_EQ(json.find('\n'), std::string::npos) << json;
  EXPECT_NE(json.find(R"("parameters":{"min_score":70,"name":"a\nb"})"), std::string::npos) << json;

  for (const char* bad : {"", "not json", "[1,2]", "{\"a\":"}) {
    run.parameters_json = bad;
    json = RunToJson(run);
    EXPECT_NE(json.find(R"("parameters":{})"), std::string::npos) << bad << " → " << json;
    Parse(json);
  }
}

TEST(RunJson, WriteRunWritesIntoAnArray) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  RunRecord a = QueuedRun();
  RunRecord b = QueuedRun();
  b.run_id = "run-2";
  WriteRun(w, a);
  WriteRun(w, b);
  w.EndArray();
  auto doc = Parse(buffer.GetString());
  ASSERT_TRUE(doc.IsArray());
  ASSERT_EQ(doc.Size(), 2u);
  EXPECT_STREQ(doc[1]["run_id"].GetString(), "run-2");
  EXPECT_EQ(std::string(buffer.GetString()), "[" + RunToJson(a) + "," + RunToJson(b) + "]");
}

}  // namespace
}  // namespace stratrun
