#include "cli/output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdarg>
#include <cstdlib>
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

/// `line` cut to `width` columns (counting UTF-8 code points), its end replaced by "…";
/// unchanged when it fits or `width` is 0.
std::string FitToWidth(std::string line, size_t width) {
  if (width == 0) return line;
  size_t columns = 0, cut = std::string::npos;
  for (size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;  // a continuation byte
    if (columns == width - 1) cut = i;
    if (++columns > width) {
      line.resize(cut);
      return line + "…";
    }
  }
  return line;
}

[[gnu::format(printf, 1, 2)]] std::string Printf(const char* format, ...) {
  va_list args, measure;
  va_start(args, format);
  va_copy(measure, args);
  const int size = std::vsnprintf(nullptr, 0, format, measure);
  va_end(measure);
  std::string text(static_cast<size_t>(std::max(size, 0)), '\0');
  std::vsnprintf(text.data(), text.size() + 1, format, args);
  va_end(args);
  return text;
}

}  // namespace

size_t TerminalColumns(std::FILE* out) {
  const int fd = fileno(out);
  if (fd < 0 || !::isatty(fd)) return 0;
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS"); columns && *columns) {
    const long value = std::strtol(columns, nullptr, 10);
    if (value > 0) return static_cast<size_t>(value);
  }
  return 80;
}

std::string FormatSeconds(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  if (seconds < 1) return Printf("%.0f ms", std::floor(seconds * 1000));
  if (seconds < 60) return Printf("%.1f s", std::floor(seconds * 10) / 10);
  const auto total = static_cast<long long>(std::llround(seconds));
  if (total < 3600) return Printf("%lld min %lld s", total / 60, total % 60);
  return Printf("%lld h %lld min", total / 3600, total / 60 % 60);
}

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
    const std::string eta = event.eta_seconds ? FormatSeconds(*event.eta_seconds) : "-";
    const std::string line =
        Printf("[%s] %5.1f%% %lld/%lld %s %-8s %7.1f/s ETA %s passed %lld", bar.c_str(), percent,
               static_cast<long long>(event.completed_items.value_or(0)),
               static_cast<long long>(event.total_items.value_or(0)), event.stage.c_str(), event.current_item.c_str(),
               event.tickers_per_second.value_or(0), eta.c_str(), static_cast<long long>(event.passed_count));
    // One column short of the width: a line that fills the last column wraps on some
    // terminals, and "\r" would then redraw only its second half.
    std::fprintf(stderr, "\r\033[K%s", FitToWidth(line, width_ > 1 ? width_ - 1 : width_).c_str());
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

void SortByScore(std::vector<ResultRow>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const ResultRow& a, const ResultRow& b) {
    const bool a_nan = std::isnan(a.score), b_nan = std::isnan(b.score);
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && a.score != b.score) return a.score > b.score;
    return a.ticker < b.ticker;
  });
}

void PrintResults(const std::vector<ResultRow>& rows, OutputFormat format, std::FILE* out, const ResultTable& table) {
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
  // The metric the rows are sorted by, if any, gets a column before the reasons.
  const bool metric_column = table.sort_by != "score" && table.sort_by != "ticker" && table.sort_by != "passed" &&
                             !table.sort_by.empty();
  std::string metric_header = table.sort_by;
  for (char& c : metric_header) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const int metric_width = static_cast<int>(std::max<size_t>(metric_header.size(), 9));
  const auto line = [&](const std::string& ticker, const std::string& score, const std::string& passed,
                        const std::string& metric, const std::string& reasons) {
    std::string text = Printf("%-8s %6s %-6s", ticker.c_str(), score.c_str(), passed.c_str());
    if (metric_column) text += Printf(" %*s", metric_width, metric.c_str());
    text += " " + reasons;
    while (!text.empty() && text.back() == ' ') text.pop_back();
    std::fprintf(out, "%s\n", FitToWidth(std::move(text), table.width).c_str());
  };
  line("TICKER", "SCORE", "PASSED", metric_header, "REASONS");
  size_t shown = 0, passed = 0;
  for (const auto& row : rows) {
    passed += row.passed;
    if (table.passed_only && !row.passed) continue;
    ++shown;
    std::string metric;
    for (const auto& [name, value] : row.metrics) {
      if (name == table.sort_by) metric = FormatNumber(value);
    }
    line(row.ticker, std::isnan(row.score) ? "-" : FormatNumber(row.score), row.passed ? "yes" : "no",
         metric.empty() ? "-" : metric, Join(row.reasons, "; "));
  }
  if (shown < rows.size()) std::fprintf(out, "%zu of %zu passed; --all shows every row\n", passed, rows.size());
}

std::string FormatRunDuration(const RunRecord& run) {
  if (!run.started_at) return "-";
  const auto end = run.finished_at.value_or(std::chrono::system_clock::now());
  return FormatSeconds(std::chrono::duration<double>(end - *run.started_at).count());
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
  // Widths fit the rows, so that the usual table fits 80 columns.
  constexpr size_t kShortId = 8;
  std::vector<std::string> durations;
  int strategy_width = 8, duration_width = 8;
  for (const auto& r : runs) {
    durations.push_back(FormatRunDuration(r));
    strategy_width = std::max(strategy_width, static_cast<int>(r.strategy_code.size()));
    duration_width = std::max(duration_width, static_cast<int>(durations.back().size()));
  }
  const auto created = [](std::chrono::system_clock::time_point time) {
    std::string text = FormatTimestamp(time);  // "2026-01-15T10:30:00.123Z"
    text[10] = ' ';
    return text.substr(0, 19);
  };
  std::fprintf(out, "%-8s %-*s %-10s %-19s %*s %7s %6s\n", "RUN", strategy_width, "STRATEGY", "STATUS",
               "CREATED (UTC)", duration_width, "DURATION", "RESULTS", "PASSED");
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& r = runs[i];
    std::fprintf(out, "%-8s %-*s %-10s %-19s %*s %7lld %6lld\n", r.run_id.substr(0, kShortId).c_str(), strategy_width,
                 r.strategy_code.c_str(), std::string(RunStateName(r.status)).c_str(), created(r.created_at).c_str(),
                 duration_width, durations[i].c_str(), static_cast<long long>(r.result_count),
                 static_cast<long long>(r.passed_count));
  }
}

}  // namespace stratrun
