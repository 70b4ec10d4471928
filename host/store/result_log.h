// ResultLog: the per-ticker result rows of every run, by (run_id, ticker), queried the
// way the dashboard's table and `stratrun results` sort and page them.
//
//   auto top = results.Results(run_id, {.passed_only = true, .sort_by = "score", .limit = 20});
//
// Implementations are thread-safe and report failures as a Status (never throw).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "progress/progress_event.h"

namespace stratrun {

/// Which result rows Results() returns, and in what order. sort_by is "score", "ticker",
/// "passed" (passed rows first when descending, then by score) or the name of a metric.
/// Rows whose score or metric is NaN or missing always come last; ties are broken by
/// ticker (ascending). A negative limit means no limit. Reading stops once the rows read
/// hold `max_bytes` (MemoryBytes; at least one row is read), so a caller's memory is
/// bounded by max_bytes plus one row whatever the rows' sizes.
struct ResultQuery {
  bool passed_only = false;
  std::string sort_by = "score";
  bool descending = true;
  int64_t limit = -1;
  int64_t offset = 0;
  size_t max_bytes = SIZE_MAX;
};

class ResultLog {
 public:
  virtual ~ResultLog() = default;

  /// Inserts or replaces rows by (run_id, ticker), in one transaction. kNotFound for an
  /// unknown run.
  virtual Status AppendResults(const std::string& run_id, std::span<const ResultRow> rows) = 0;
  /// kInvalidArgument (field "sort_by") for a metric name the store cannot sort by.
  virtual Result<std::vector<ResultRow>> Results(const std::string& run_id, const ResultQuery& query) = 0;
  virtual Result<int64_t> CountResults(const std::string& run_id, bool passed_only) = 0;
};

}  // namespace stratrun
