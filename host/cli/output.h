// Terminal output of the CLI: the live progress display and the results table.
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "progress/progress_sink.h"

namespace stratrun {

enum class ProgressMode { kBar, kJson, kNone };
enum class OutputFormat { kTable, kJson, kCsv };

/// Shows a run's progress on the terminal and keeps its result rows.
///   kBar:  one self-rewriting line on stderr (done/total, ticker, rate, ETA).
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
};

/// Prints rows sorted by score (highest first, not-evaluated last).
void PrintResults(std::vector<ResultRow> rows, OutputFormat format, std::FILE* out);

}  // namespace stratrun
