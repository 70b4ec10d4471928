// What a run emits: progress events (the seed's schema plus `seq`) and result rows, and
// their JSON forms.
//
// Event JSON: {"seq":42,"event_type":"progress","timestamp":"2026-01-15T10:30:00.123Z",
//   "run_id":"…","stage":"analysis","progress_percent":45.5,"current_item":"AAPL",
//   "total_items":500,"completed_items":227,"message":"…","metrics":{"tickers_per_second":
//   2.3,"estimated_remaining":"00:05:32","passed_count":3, …plugin metrics}}
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stratrun {

enum class EventType { kStarted, kProgress, kTickerCompleted, kStageCompleted, kCompleted, kError, kCancelled };

/// "started", "progress", "ticker_completed", ...
std::string_view EventTypeName(EventType type);
/// Completed, error and cancelled end a run; every run has exactly one of them.
bool IsTerminal(EventType type);

using Metrics = std::vector<std::pair<std::string, double>>;  // NaN values serialise as null

struct ProgressEvent {
  uint64_t seq = 0;  // per run, from 1, strictly increasing
  EventType type = EventType::kProgress;
  std::chrono::system_clock::time_point timestamp;
  std::string run_id;
  std::string stage;         // empty: none
  std::string current_item;  // empty: none
  std::string message;
  std::optional<double> progress_percent;
  std::optional<int64_t> total_items;
  std::optional<int64_t> completed_items;
  Metrics metrics;  // the plugin's own figures
  // Stamped by the host:
  std::optional<double> tickers_per_second;
  std::optional<double> eta_seconds;
  int64_t passed_count = 0;
  std::string error_code;  // error events: "plugin_error", "timeout", "interrupted", ...
};

/// The event as one line of JSON (no newline).
std::string ToJson(const ProgressEvent& event);

/// "HH:MM:SS" (hours may exceed 24).
std::string FormatDuration(double seconds);
/// "2026-01-15T10:30:00.123Z"
std::string FormatTimestamp(std::chrono::system_clock::time_point time);

struct ResultRow {
  std::string ticker;
  double score = 0;  // NaN: not evaluated
  bool passed = false;
  Metrics metrics;
  std::vector<std::string> reasons;
};

/// {"ticker":"AAPL","score":85,"passed":true,"metrics":{…},"reasons":[…]}
std::string ToJson(const ResultRow& row);

/// About how much memory an event or a row holds (its structs and texts): what bounds on
/// queues and pages in bytes count.
size_t MemoryBytes(const ProgressEvent& event);
size_t MemoryBytes(const ResultRow& row);

}  // namespace stratrun
