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

/// Shows a run's progress on the terminal and keeps its result rows.
///   kBar:  one self-rewriting line on stderr (done/total, stage, ticker, rate, ETA,
///          passed), redrawn at most every 50 ms so that drawing never limits a run.
///   kJson: the seed's `PROGRESS:{json}` line on stdout per event.
class TerminalSink : public ProgressSink {
 public:
  explicit TerminalSink(ProgressMode mode) : mode_(mode) {}
  void OnEvent(const ProgressEvent& event) noexcept override;
  void OnResult(const std::string& run_id, const ResultRow& row) noexcept override;

  /// The rows received so far, each ticker once (its last row).
  std::vector<ResultRow> TakeResults();

 private:
  ProgressMode mode_;
  std::mutex mutex_;
  std::vector<ResultRow> rows_;
  std::chrono::steady_clock::time_point last_draw_{};  // guarded by the run's call order
};

/// Prints rows as a table (ticker, score, verdict, reasons), JSON or CSV (every metric a
/// column). With `sort_by_score`, highest score first and not-evaluated rows last;
/// otherwise in the given order.
void PrintResults(std::vector<ResultRow> rows, OutputFormat format, std::FILE* out, bool sort_by_score = true);

/// How long a run took ("1.25s", "00:03:10"), or has been running; "-" before it started.
std::string FormatRunDuration(const RunRecord& run);

/// Prints runs as a table or as a JSON array of the HTTP API's run objects.
void PrintRuns(const std::vector<RunRecord>& runs, bool json, std::FILE* out);

}  // namespace stratrun
