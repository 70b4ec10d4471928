// `runs` and `results`: reading the run log.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "exec/recovery.h"

namespace stratrun {
namespace {

/// OK for score, ticker, passed, or a metric at least one row has (any key for no rows);
/// otherwise InvalidArgument naming the metrics there are.
Status CheckSortKey(const std::string& sort_by, const std::vector<ResultRow>& rows) {
  if (sort_by == "score" || sort_by == "ticker" || sort_by == "passed" || rows.empty()) return {};
  std::vector<std::string> names;
  for (const auto& row : rows) {
    for (const auto& metric : row.metrics) {
      if (metric.first == sort_by) return {};
      if (std::find(names.begin(), names.end(), metric.first) == names.end()) names.push_back(metric.first);
    }
  }
  std::string message = "--sort " + sort_by + ": no result has that metric (expected score, ticker, passed";
  for (const auto& name : names) message += ", " + name;
  return InvalidArgument(message + ")", "sort");
}

}  // namespace

int RunsCommand(const RunsOptions& options) {
  RunFilter filter{.strategy_code = options.strategy_code, .limit = options.limit};
  if (!options.status.empty()) {
    filter.status = ParseRunState(options.status);
    if (!filter.status) {
      std::fprintf(stderr, "stratrun: unknown status '%s' (expected queued, starting, running, completing, completed, "
                   "cancelled or error)\n", options.status.c_str());
      return kExitUsage;
    }
  }
  auto store = OpenRunStore(options.db);
  if (!store) return RunLogOpenFailed(store.status());
  EndOrphanedRuns(**store);  // a run whose process died is listed as it ended: interrupted
  auto runs = (*store)->ListRuns(filter);
  if (!runs) {
    std::fprintf(stderr, "stratrun: cannot read the run log: %s\n", runs.status().message().c_str());
    return kExitRunFailed;
  }
  PrintRuns(*runs, options.json, stdout);
  return kExitOk;
}

int ResultsCommand(const ResultsOptions& options) {
  auto store = OpenRunStore(options.db);
  if (!store) return RunLogOpenFailed(store.status());
  // The whole id or a unique prefix of it (the tables show 8 characters).
  auto run_id = (*store)->ResolveRunId(options.run_id);
  if (!run_id) {
    const Status& status = run_id.status();
    if (status.code() == StatusCode::kNotFound) {
      std::fprintf(stderr, "stratrun: %s (see `stratrun runs`)\n", status.message().c_str());
      return kExitUsage;
    }
    if (status.code() == StatusCode::kInvalidArgument) {
      std::fprintf(stderr, "stratrun: %s\n", status.message().c_str());
      return kExitUsage;
    }
    std::fprintf(stderr, "stratrun: cannot read the run log: %s\n", status.message().c_str());
    return kExitRunFailed;
  }
  auto run = (*store)->GetRun(*run_id);
  if (!run || !*run) {
    std::fprintf(stderr, "stratrun: cannot read the run log: %s\n",
                 run ? "the run disappeared while being read" : run.status().message().c_str());
    return kExitRunFailed;
  }
  auto rows = (*store)->Results(*run_id, {.passed_only = options.passed_only, .sort_by = options.sort_by});
  if (!rows) {
    if (rows.status().code() == StatusCode::kInvalidArgument) {
      std::fprintf(stderr, "stratrun: --sort: %s\n", rows.status().message().c_str());
      return kExitUsage;
    }
    std::fprintf(stderr, "stratrun: cannot read the run log: %s\n", rows.status().message().c_str());
    return kExitRunFailed;
  }
  if (const Status known = CheckSortKey(options.sort_by, *rows); !known.ok()) {
    std::fprintf(stderr, "stratrun: %s\n", known.message().c_str());
    return kExitUsage;
  }
  PrintResults(*rows, options.output, stdout, {.sort_by = options.sort_by, .width = TerminalColumns(stdout)});
  const RunRecord& r = **run;
  std::fprintf(stderr, "run %s: %s %s, %s — %lld results, %lld passed, took %s\n", r.run_id.c_str(),
               r.strategy_code.c_str(), r.plugin_version.c_str(), std::string(RunStateName(r.status)).c_str(),
               static_cast<long long>(r.result_count), static_cast<long long>(r.passed_count), FormatRunDuration(r).c_str());
  return kExitOk;
}

}  // namespace stratrun
