// `runs` and `results`: reading the run log.
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "exec/recovery.h"

namespace stratrun {
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
  if (!store) {
    std::fprintf(stderr, "stratrun: %s\n", store.status().message().c_str());
    return kExitUsage;
  }
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
  if (!store) {
    std::fprintf(stderr, "stratrun: %s\n", store.status().message().c_str());
    return kExitUsage;
  }
  auto run = (*store)->GetRun(options.run_id);
  if (!run) {
    std::fprintf(stderr, "stratrun: cannot read the run log: %s\n", run.status().message().c_str());
    return kExitRunFailed;
  }
  if (!*run) {
    std::fprintf(stderr, "stratrun: unknown run '%s' (see `stratrun runs`)\n", options.run_id.c_str());
    return kExitUsage;
  }
  auto rows = (*store)->Results(options.run_id, {.passed_only = options.passed_only, .sort_by = options.sort_by});
  if (!rows) {
    std::fprintf(stderr, "stratrun: cannot read the run log: %s\n", rows.status().message().c_str());
    return kExitRunFailed;
  }
  PrintResults(std::move(*rows), options.output, stdout, /*sort_by_score=*/false);
  const RunRecord& r = **run;
  std::fprintf(stderr, "run %s: %s %s, %s — %lld results, %lld passed, took %s\n", r.run_id.c_str(),
               r.strategy_code.c_str(), r.plugin_version.c_str(), std::string(RunStateName(r.status)).c_str(),
               static_cast<long long>(r.result_count), static_cast<long long>(r.passed_count), FormatRunDuration(r).c_str());
  return kExitOk;
}

}  // namespace stratrun
