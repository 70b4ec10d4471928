#include "cli/output.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

namespace stratrun {
namespace {

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

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
    const double percent = event.progress_percent.value_or(0);
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(percent / 100.0 * kWidth);
    std::string bar(static_cast<size_t>(std::clamp(filled, 0, kWidth)), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r\033[K[%s] %5.1f%% %lld/%lld %-8s %7.1f/s ETA %s", bar.c_str(), percent,
                 static_cast<long long>(event.completed_items.value_or(0)),
                 static_cast<long long>(event.total_items.value_or(0)), event.current_item.c_str(),
                 event.tickers_per_second.value_or(0), FormatDuration(event.eta_seconds.value_or(0)).c_str());
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

void PrintResults(std::vector<ResultRow> rows, OutputFormat format, std::FILE* out) {
  std::stable_sort(rows.begin(), rows.end(), [](const ResultRow& a, const ResultRow& b) {
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
    std::vector<std::string> metric_names;  // union, in first-seen order
    for (const auto& row : rows) {
      for (const auto& [name, value] : row.metrics) {
        if (std::find(metric_names.begin(), metric_names.end(), name) == metric_names.end()) {
          metric_names.push_back(name);
        }
      }
    }
    std::fprintf(out, "ticker,score,passed");
    for (const auto& name : metric_names) std::fprintf(out, ",%s", CsvField(name).c_str());
    std::fprintf(out, ",reasons\n");
    for (const auto& row : rows) {
      std::map<std::string, double> values(row.metrics.begin(), row.metrics.end());
      std::fprintf(out, "%s,%s,%s", CsvField(row.ticker).c_str(), FormatNumber(row.score).c_str(),
                   row.passed ? "true" : "false");
      for (const auto& name : metric_names) {
        auto it = values.find(name);
        std::fprintf(out, ",%s", it == values.end() ? "" : FormatNumber(it->second).c_str());
      }
      std::fprintf(out, ",%s\n", CsvField(Join(row.reasons, "; ")).c_str());
    }
    return;
  }
  std::fprintf(out, "%-8s %6s %-6s %s\n", "TICKER", "SCORE", "PASSED", "REASONS");
  for (const auto& row : rows) {
    std::fprintf(out, "%-8s %6s %-6s %s\n", row.ticker.c_str(),
                 std::isnan(row.score) ? "-" : FormatNumber(row.score).c_str(), row.passed ? "yes" : "no",
                 Join(row.reasons, "; ").c_str());
  }
}

}  // namespace stratrun
