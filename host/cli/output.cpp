#include "cli/output.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "progress/result_csv.h"

namespace stratrun {
namespace {

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

std::string Join(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace

void TerminalSink::OnEvent(const ProgressEvent& event) noexcept {
  try {
    if (mode_ == ProgressMode::kJson) {
      std::fprintf(stdout, "PROGRESS:%s\n", ToJson(event).c_str());
      std::fflush(stdout);
      return;
    }
    if (mode_ != ProgressMode::kBar) return;
    if (IsTerminal(event.type)) {
      std::fprintf(stderr, "\r\033[K");
      std::fflush(stderr);
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (event.type != EventType::kStageCompleted && event.type != EventType::kStarted &&
        now - last_draw_ < std::chrono::milliseconds(50)) {
      return;
    }
    last_draw_ = now;
    const double percent = event.progress_percent.value_or(0);
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(percent / 100.0 * kWidth);
    std::string bar(static_cast<size_t>(std::clamp(filled, 0, kWidth)), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r\033[K[%s] %5.1f%% %lld/%lld %s %-8s %7.1f/s ETA %s passed %lld", bar.c_str(), percent,
                 static_cast<long long>(event.completed_items.value_or(0)),
                 static_cast<long long>(event.total_items.value_or(0)), event.stage.c_str(), event.current_item.c_str(),
                 event.tickers_per_second.value_or(0), FormatDuration(event.eta_seconds.value_or(0)).c_str(),
                 static_cast<long long>(event.passed_count));
    std::fflush(stderr);
  } catch (...) {
  }
}

void TerminalSink::OnResult(const std::string&, const ResultRow& row) noexcept {
  try {
    std::lock_guard lock(mutex_);
    rows_.push_back(row);
  } catch (...) {
  }
}

std::vector<ResultRow> TerminalSink::TakeResults() {
  std::lock_guard lock(mutex_);
  std::unordered_map<std::string, size_t> last;
  for (size_t i = 0; i < rows_.size(); ++i) last[rows_[i].ticker] = i;
  std::vector<ResultRow> unique;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (last[rows_[i].ticker] == i) unique.push_back(std::move(rows_[i]));
  }
  rows_.clear();
  return unique;
}

void PrintResults(std::vector<ResultRow> rows, OutputFormat format, std::FILE* out, bool sort_by_score) {
  if (sort_by_score) std::stable_sort(rows.begin(), rows.end(), [](const ResultRow& a, const ResultRow& b) {
    const bool a_nan = std::isnan(a.score), b_nan = std::isnan(b.score);
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && a.score != b.score) return a.score > b.score;
    return a.ticker < b.ticker;
  });
  if (format == OutputFormat::kJson) {
    std::fprintf(out, "[");
    for (size_t i = 0; i < rows.size(); ++i) std::fprintf(out, "%s%s", i ? ",\n " : "", ToJson(rows[i]).c_str());
    std::fprintf(out, "]\n");
    return;
  }
  if (format == OutputFormat::kCsv) {
    std::fputs(ResultsToCsv(rows).c_str(), out);
    return;
  }
  std::fprintf(out, "%-8s %6s %-6s %s\n", "TICKER", "SCORE", "PASSED", "REASONS");
  for (const auto& row : rows) {
    std::fprintf(out, "%-8s %6s %-6s %s\n", row.ticker.c_str(),
                 std::isnan(row.score) ? "-" : FormatNumber(row.score).c_str(), row.passed ? "yes" : "no",
                 Join(row.reasons, "; ").c_str());
  }
}

void PrintRuns(const std::vector<RunRecord>& runs, bool json, std::FILE* out) {
  if (json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartArray();
    for (const auto& r : runs) {
      w.StartObject();
      w.Key("run_id");
      w.String(r.run_id.c_str());
      w.Key("strategy_code");
      w.String(r.strategy_code.c_str());
      w.Key("plugin_version");
      w.String(r.plugin_version.c_str());
      w.Key("status");
      w.String(std::string(RunStateName(r.status)).c_str());
      w.Key("created_at");
      w.String(FormatTimestamp(r.created_at).c_str());
      w.Key("started_at");
      r.started_at ? w.String(FormatTimestamp(*r.started_at).c_str()) : w.Null();
      w.Key("finished_at");
      r.finished_at ? w.String(FormatTimestamp(*r.finished_at).c_str()) : w.Null();
      w.Key("total_items");
      w.Int64(r.total_items);
      w.Key("completed_items");
      w.Int64(r.completed_items);
      w.Key("result_count");
      w.Int64(r.result_count);
      w.Key("passed_count");
      w.Int64(r.passed_count);
      w.Key("error_code");
      r.error_code.empty() ? w.Null() : w.String(r.error_code.c_str());
      w.Key("error_message");
      r.error_message.empty() ? w.Null() : w.String(r.error_message.c_str());
      w.Key("parameters");
      w.RawValue(r.parameters_json.c_str(), r.parameters_json.size(), rapidjson::kObjectType);
      w.EndObject();
    }
    w.EndArray();
    std::fprintf(out, "%s\n", buffer.GetString());
    return;
  }
  std::fprintf(out, "%-36s  %-18s %-10s %-24s %9s %7s %6s\n", "RUN ID", "STRATEGY", "STATUS", "CREATED", "DURATION",
               "RESULTS", "PASSED");
  for (const auto& r : runs) {
    std::string duration = "-";
    if (r.started_at && r.finished_at) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2fs", std::chrono::duration<double>(*r.finished_at - *r.started_at).count());
      duration = buf;
    }
    std::fprintf(out, "%-36s  %-18s %-10s %-24s %9s %7lld %6lld\n", r.run_id.c_str(), r.strategy_code.c_str(),
                 std::string(RunStateName(r.status)).c_str(), FormatTimestamp(r.created_at).c_str(), duration.c_str(),
                 static_cast<long long>(r.result_count), static_cast<long long>(r.passed_count));
  }
}

}  // namespace stratrun
