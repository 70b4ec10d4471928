// The JSON bodies of the API's answers: health, a strategy, the queue, run lists, a run's
// status, events and results, a submitted or cancelled run, and a ticker's bars.
//
//   SendJson(response, Code::Ok, RunStatusJson(run, position));
//
// Each function only formats what it is given (HealthJson reads the services' live
// counters); none answers a request or fails. Times are ISO 8601 UTC (FormatTimestamp);
// a missing optional value is null; ids and codes pass through JsonString or RapidJSON's
// writer. The field names are the API's contract (README's API table).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/bar_series.h"
#include "exec/run_scheduler.h"
#include "plugins/plugin.h"
#include "progress/progress_event.h"
#include "store/run_store.h"

namespace stratrun::http {

struct ApiState;

/// GET /api/health: status ("ok" or "shutting_down"), version, uptime, catalog and queue
/// counts, subscribers, market_data. Thread-safe.
std::string HealthJson(const ApiState& state);
/// GET /api/strategies/{code}: the plugin's descriptor with its parameter schema.
std::string StrategyJson(const Plugin& plugin);
/// GET /api/strategies/queue: the entries as Executor::Queue() gives them, totals and limits.
std::string QueueJson(const std::vector<QueueEntry>& queue, const SchedulerLimits& options);
/// GET /api/strategies/runs: `runs` (already the live views) with the paging echoed.
std::string RunListJson(const std::vector<RunRecord>& runs, int64_t total, int64_t limit, int64_t offset);
/// GET …/runs/{id}/status: progress (100 once completed), times, an estimated completion
/// and rate from the progress so far (now, for a running run), `position_in_queue` while
/// active, error and metrics.
std::string RunStatusJson(const RunRecord& run, std::optional<int64_t> position_in_queue);
/// GET …/runs/{id}/events: the stored events' JSON, in order; `more`: the log goes on after them.
std::string RunEventsJson(const std::string& run_id, RunState status, const std::vector<StoredEvent>& events,
                          bool more);
/// GET …/runs/{id}/results (format=json); `more`: rows of the query follow this page.
std::string RunResultsJson(const std::string& run_id, RunState status, int64_t total, const std::vector<ResultRow>& rows,
                           bool more);
/// POST /api/strategies/execute (202): the run id, status, queue position, estimated
/// start and the SSE endpoint to follow it on.
std::string SubmittedJson(const SubmitResult& submitted);
/// POST …/runs/{id}/cancel.
std::string CancelledJson(const std::string& run_id);
/// GET …/runs/{id}/bars/{ticker}: the last `days` bars of `series`, dates as YYYY-MM-DD.
std::string BarsJson(const std::string& ticker, const BarSeries& series, int64_t days);

}  // namespace stratrun::http
