#include "cli/output.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "progress/result_csv.h"
#include "progress/run_json.h"

namespace stratrun {
namespace {

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

std::string FormatRunDuration(const RunRecord& run) {
  if (!run.started_at) return "-";
  const auto end = run.finished_at.value_or(std::chrono::system_clock::now());
  const double seconds = std::chrono::duration<double>(end - *run.started_at).count();
  if (seconds >= 60) return FormatDuration(seconds);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", seconds);
  return buf;
}

void PrintRuns(const std::vector<RunRecord>& runs, bool json, std::FILE* out) {
  if (json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartArray();
    for (const auto& r : runs) WriteRun(w, r);  // the same shape as the HTTP API's runs
    w.EndArray();
    std::fprintf(out, "%s\n", buffer.GetString());
    return;
  }
  std::fprintf(out, "%-36s  %-18s %-10s %-24s %9s %7s %6s\n", "RUN ID", "STRATEGY", "STATUS", "CREATED", "DURATION",
               "RESULTS", "PASSED");
  for (const auto& r : runs) {
    const std::string duration = FormatRunDuration(r);
    std::fprintf(out, "%-36s  %-18s %-10s %-24s %9s %7lld %6lld\n", r.run_id.c_str(), r.strategy_code.c_str(),
                 std::string(RunStateName(r.status)).c_str(), FormatTimestamp(r.created_at).c_str(), duration.c_str(),
                 static_cast<long long>(r.result_count), static_cast<long long>(r.passed_count));
  }
}

}  // namespace stratrun
