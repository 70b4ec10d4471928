// Terminal output of the CLI: the live progress display and the results table.
#pragma once

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "progress/progress_sink.h"
#include "store/run_store.h"

namespace stratrun {

enum class ProgressMode { kBar, kJson, kNone };
enum class OutputFormat { kTable, kJson, kCsv };

/// The width of the terminal `out` writes to; 0 when it is not a terminal (a pipe or a
/// file gets whole lines).
size_t TerminalColumns(std::FILE* out);

/// A duration as every output of the CLI shows it (the dashboard's form): "420 ms",
/// "9.4 s", "1 min 40 s", "2 h 5 min".
std::string FormatSeconds(double seconds);

/// Shows a run's progress on the terminal and keeps its result rows.
///   kBar:  one self-rewriting line on stderr (done/total, stage, ticker, rate, ETA,
///          passed), redrawn at most every 50 ms so that drawing never limits a run, and
///          cut to the terminal's width so that it never wraps.
///   kJson: the seed's `PROGRESS:{json}` line on stdout per event.
class TerminalSink : public ProgressSink {
 public:
  explicit TerminalSink(ProgressMode mode) : mode_(mode), width_(TerminalColumns(stderr)) {}
  void OnEvent(const ProgressEvent& event) noexcept override;
  void OnResult(const std::string& run_id, const ResultRow& row) noexcept override;

  /// The rows received so far, each ticker once (its last row).
  std::vector<ResultRow> TakeResults();

 private:
  ProgressMode mode_;
  size_t width_;  // 0: not a terminal
  std::mutex mutex_;
  std::vector<ResultRow> rows_;
  std::chrono::steady_clock::time_point last_draw_{};  // guarded by the run's call order
};

/// Highest score first, not-evaluated (NaN) rows last, ties by ticker.
void SortByScore(std::vector<ResultRow>& rows);

/// What a result table shows besides ticker, score, verdict and reasons.
struct ResultTable {
  /// What the rows are sorted by ("score", "ticker", "passed" or a metric name): a metric
  /// gets a column of its own, before the reasons.
  std::string sort_by = "score";
  /// Only the passing rows, then a summary line ("57 of 504 passed; --all shows every
  /// row") when some were left out.
  bool passed_only = false;
  /// Each line cut to this many columns (ending "…"), so that reasons never wrap; 0: whole
  /// lines.
  size_t width = 0;
};

/// Prints rows, in the given order, as a table (see ResultTable), JSON or CSV (every row,
/// every metric a column).
void PrintResults(const std::vector<ResultRow>& rows, OutputFormat format, std::FILE* out,
                  const ResultTable& table = {});

/// How long a run took, or has been running, as FormatSeconds; "-" before it started.
std::string FormatRunDuration(const RunRecord& run);

/// Prints runs as a table (run ids shortened to 8 characters, as the dashboard shows them;
/// any unique prefix names a run) or as a JSON array of the HTTP API's run objects.
void PrintRuns(const std::vector<RunRecord>& runs, bool json, std::FILE* out);

}  // namespace stratrun
