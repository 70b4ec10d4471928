// Sample runs, events and result rows for the run store tests, and the check that a run
// read back equals the one written.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "progress/progress_event.h"
#include "progress/run_record.h"

namespace stratrun::testing {

using TimePoint = std::chrono::system_clock::time_point;

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A time every store keeps exactly (they store milliseconds).
inline TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

inline constexpr int64_t kJan15 = 1768473000123;  // 2026-01-15T10:30:00.123Z

inline RunRecord MakeRun(const std::string& id, const std::string& code = "bullish_breakout",
                         int64_t created_ms = kJan15) {
  RunRecord run;
  run.run_id = id;
  run.strategy_code = code;
  run.plugin_version = "1.2.0";
  run.plugin_sha256 = std::string(64, 'a');
  run.parameters_json = R"({"lookback":20})";
  run.created_at = At(created_ms);
  return run;
}

inline void ExpectSameRun(const RunRecord& got, const RunRecord& want) {
  EXPECT_EQ(got.run_id, want.run_id);
  EXPECT_EQ(got.strategy_code, want.strategy_code);
  EXPECT_EQ(got.plugin_version, want.plugin_version);
  EXPECT_EQ(got.plugin_sha256, want.plugin_sha256);
  EXPECT_EQ(got.parameters_json, want.parameters_json);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.priority, want.priority);
  EXPECT_EQ(got.source, want.source);
  EXPECT_EQ(got.error_code, want.error_code);
  EXPECT_EQ(got.error_message, want.error_message);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.started_at, want.started_at);
  EXPECT_EQ(got.finished_at, want.finished_at);
  EXPECT_EQ(got.total_items, want.total_items);
  EXPECT_EQ(got.completed_items, want.completed_items);
  EXPECT_EQ(got.result_count, want.result_count);
  EXPECT_EQ(got.passed_count, want.passed_count);
  EXPECT_DOUBLE_EQ(got.progress_percent, want.progress_percent);
  EXPECT_EQ(got.current_stage, want.current_stage);
  EXPECT_EQ(got.owner, want.owner);
  EXPECT_EQ(got.timeout_seconds, want.timeout_seconds);
}

inline ProgressEvent MakeEvent(const std::string& run_id, uint64_t seq, EventType type = EventType::kTickerCompleted) {
  ProgressEvent e;
  e.seq = seq;
  e.type = type;
  e.run_id = run_id;
  e.timestamp = At(kJan15 + static_cast<int64_t>(seq));
  e.stage = "analysis";
  e.current_item = "T" + std::to_string(seq);
  e.completed_items = static_cast<int64_t>(seq);
  e.total_items = 100;
  e.progress_percent = static_cast<double>(seq);
  e.message = "ticker " + std::to_string(seq);
  e.metrics = {{"rsi", 55.5}};
  return e;
}

inline ResultRow MakeRow(const std::string& ticker, double score, bool passed, Metrics metrics = {}) {
  ResultRow row;
  row.ticker = ticker;
  row.score = score;
  row.passed = passed;
  row.metrics = std::move(metrics);
  row.reasons = {"reason of " + ticker};
  return row;
}

inline std::vector<std::string> Tickers(const std::vector<ResultRow>& rows) {
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.ticker);
  return out;
}

inline std::vector<std::string> Ids(const std::vector<RunRecord>& runs) {
  std::vector<std::string> out;
  for (const auto& run : runs) out.push_back(run.run_id);
  return out;
}

}  // namespace stratrun::testing
