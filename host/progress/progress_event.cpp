#include "progress/progress_event.h"

#include <cmath>
#include <ctime>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace stratrun {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void Number(Writer& w, double value) {
  if (std::isfinite(value)) {
    w.Double(value);
  } else {
    w.Null();
  }
}

/// Host metrics of an event; a plugin metric of the same name is dropped.
bool IsHostMetric(std::string_view name) {
  return name == "tickers_per_second" || name == "estimated_remaining" || name == "passed_count";
}

void WriteMetrics(Writer& w, const Metrics& metrics, bool skip_host_names) {
  for (const auto& [name, value] : metrics) {
    if (skip_host_names && IsHostMetric(name)) continue;
    Str(w, name);
    Number(w, value);
  }
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kStarted: return "started";
    case EventType::kProgress: return "progress";
    case EventType::kTickerCompleted: return "ticker_completed";
    case EventType::kStageCompleted: return "stage_completed";
    case EventType::kCompleted: return "completed";
    case EventType::kError: return "error";
    case EventType::kCancelled: return "cancelled";
  }
  return "progress";
}

bool IsTerminal(EventType type) {
  return type == EventType::kCompleted || type == EventType::kError || type == EventType::kCancelled;
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  const auto total = static_cast<long long>(std::llround(seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  return buf;
}

std::string FormatTimestamp(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[96];  // sized for any int fields, so the compiler can see no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string ToJson(const ProgressEvent& e) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("seq");
  w.Uint64(e.seq);
  w.Key("event_type");
  Str(w, EventTypeName(e.type));
  w.Key("timestamp");
  Str(w, FormatTimestamp(e.timestamp));
  w.Key("run_id");
  Str(w, e.run_id);
  if (!e.stage.empty()) {
    w.Key("stage");
    Str(w, e.stage);
  }
  if (e.progress_percent) {
    w.Key("progress_percent");
    Number(w, *e.progress_percent);
  }
  if (!e.current_item.empty()) {
    w.Key("current_item");
    Str(w, e.current_item);
  }
  if (e.total_items) {
    w.Key("total_items");
    w.Int64(*e.total_items);
  }
  if (e.completed_items) {
    w.Key("completed_items");
    w.Int64(*e.completed_items);
  }
  w.Key("message");
  Str(w, e.message);
  if (!e.error_code.empty()) {
    w.Key("error_code");
    Str(w, e.error_code);
  }
  w.Key("metrics");
  w.StartObject();
  if (e.tickers_per_second) {
    w.Key("tickers_per_second");
    Number(w, std::round(*e.tickers_per_second * 100) / 100);
  }
  if (e.eta_seconds) {
    w.Key("estimated_remaining");
    Str(w, FormatDuration(*e.eta_seconds));
  }
  w.Key("passed_count");
  w.Int64(e.passed_count);
  WriteMetrics(w, e.metrics, true);
  w.EndObject();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string ToJson(const ResultRow& row) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("ticker");
  Str(w, row.ticker);
  w.Key("score");
  Number(w, row.score);
  w.Key("passed");
  w.Bool(row.passed);
  w.Key("metrics");
  w.StartObject();
  WriteMetrics(w, row.metrics, false);
  w.EndObject();
  w.Key("reasons");
  w.StartArray();
  for (const auto& reason : row.reasons) Str(w, reason);
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

size_t MemoryBytes(const ProgressEvent& event) {
  size_t bytes = sizeof event + event.run_id.size() + event.stage.size() + event.current_item.size() +
                 event.message.size() + event.error_code.size();
  for (const auto& metric : event.metrics) bytes += sizeof metric + metric.first.size();
  return bytes;
}

size_t MemoryBytes(const ResultRow& row) {
  size_t bytes = sizeof row + row.ticker.size();
  for (const auto& metric : row.metrics) bytes += sizeof metric + metric.first.size();
  for (const auto& reason : row.reasons) bytes += sizeof reason + reason.size();
  return bytes;
}

}  // namespace stratrun
