// RunRequest: what one run of a plugin is asked to do, and the one way it is made. The
// API, the CLI and recovery all start runs through MakeRunRequest and NewRunRecord, so a
// run means the same whichever way it was started.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "data/bar_series.h"
#include "plugins/parameter_schema.h"
#include "plugins/plugin.h"
#include "progress/run_record.h"

namespace stratrun {

struct RunRequest {
  std::string run_id;
  ParameterValues parameters;        // validated against the plugin's schema
  std::vector<std::string> tickers;  // resolved universe
  unsigned max_workers = 1;
};

/// The worker threads a run may use: its `max_workers` parameter, else one per core.
unsigned RunWorkers(const ParameterValues& parameters);

/// The request to run `run_id` with `parameters` (already validated against the plugin's
/// schema): its universe resolved against `data` (ResolveUniverse's error when it cannot
/// be) and its workers (RunWorkers).
Result<RunRequest> MakeRunRequest(std::string run_id, ParameterValues parameters, BarSource& data);

/// The strategy_run row of a new run of `plugin` for `request`, created now by this
/// process: `status` (queued, or starting for a run that starts at once), `source` ("api"
/// or "cli"), total_items the number of tickers. Priority and timeout are the caller's.
RunRecord NewRunRecord(const Plugin& plugin, const RunRequest& request, RunState status, std::string source);

}  // namespace stratrun
