// `db migrate`, and how every command reports a run log it cannot open.
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "store/postgres_schema.h"
#include "store/sqlite_run_store.h"

namespace stratrun {

int RunLogOpenFailed(const Status& status) {
  std::fprintf(stderr, "stratrun: %s\n", status.message().c_str());
  return status.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitRunFailed;
}

int DbMigrateCommand(const DbMigrateOptions& options) {
  auto location = RunLogLocation(options.db);
  if (!location) return RunLogOpenFailed(location.status());
  // Opening applies what is pending (each store migrates under a lock, so instances that
  // start meanwhile migrate nothing twice); an open store is at this build's version.
  auto store = OpenRunStore(options.db);
  if (!store) return RunLogOpenFailed(store.status());
  const int version = IsPostgresLocation(*location) ? kPostgresSchemaVersion : kRunStoreSchemaVersion;
  std::printf("run log %s: schema up to date (version %d)\n", ShownRunLogLocation(*location).c_str(), version);
  return kExitOk;
}

}  // namespace stratrun
