// What a command works with — plugin folders, market data, the run log — resolved from
// flags, then environment variables, then defaults:
//   plugins  <exe>/../lib/stratrun/plugins, then $STRATRUN_PLUGIN_PATH (':'-separated),
//            then each --plugins DIR; private copies in --plugin-cache, $STRATRUN_CACHE_DIR,
//            $XDG_CACHE_HOME/stratrun or ~/.cache/stratrun
//   data     --data DIR (must exist), else $STRATRUN_DATA_DIR, $XDG_DATA_HOME/stratrun/data
//            or ~/.local/share/stratrun/data, filled with the synthetic sample on first use
//   run log  --db FILE, else $STRATRUN_DB, $XDG_DATA_HOME/stratrun/stratrun.db or
//            ~/.local/share/stratrun/stratrun.db. Only SQLite files: a `scheme://` value
//            (postgresql://, mysql://, http://, …) is refused by name, never taken for a
//            path; a local `file:` URI (file:///var/lib/x.db) names its file.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "common/status.h"
#include "data/bar_cache.h"
#include "plugins/plugin_registry.h"
#include "store/run_store.h"

namespace stratrun {

struct PluginOptions {
  std::vector<std::filesystem::path> extra_dirs;  // --plugins
  std::filesystem::path cache_dir;                // --plugin-cache; empty: the default
};

PluginRegistry MakeRegistry(const PluginOptions& options, PluginLoadFn load = {});

/// The registry's first scan for a command. The command shows the rejected files itself
/// (`list` in its table, `serve` at start-up, an unknown strategy's message names how many
/// there are), so the registry's own per-file log lines are held back during this scan at
/// the default level (warn); --log-level info or debug shows them as well. Call before
/// any thread logs to the "plugins" logger.
std::shared_ptr<const PluginCatalog> ScanPlugins(PluginRegistry& registry);

/// The strategy with this code, or nullptr after telling the user on stderr which codes
/// exist.
std::shared_ptr<const Plugin> FindStrategyOrComplain(const PluginCatalog& catalog, const std::string& code);

/// Market data as the commands see it: a cached folder of CSV files.
struct MarketData {
  std::shared_ptr<BarCache> bars;
  std::filesystem::path dir;
  bool synthetic = false;  // the folder holds the generated sample, not real data
};

/// Opens `explicit_dir` (InvalidArgument naming "data" when it does not exist, saying how
/// to make one) or the default folder, generating the sample universe into it on first
/// use and saying so on stderr.
Result<MarketData> OpenMarketData(const std::filesystem::path& explicit_dir);

std::filesystem::path DefaultDatabasePath();

/// The run log file that `explicit_db` (--db; empty: $STRATRUN_DB, else the default) names.
/// InvalidArgument (field "db") for a URL this build cannot open — any `scheme://` value
/// but a local file: URI — naming the flag or variable and the scheme, never echoing the
/// rest of the URL (it may hold a password):
///   --db postgresql://…: this build supports only SQLite files (PostgreSQL support is not built in)
Result<std::filesystem::path> RunLogPath(const std::filesystem::path& explicit_db);

/// Opens the run log RunLogPath(explicit_db) names, creating it if needed. The one way
/// run, runs, results and serve open it.
Result<std::unique_ptr<RunStore>> OpenRunStore(const std::filesystem::path& explicit_db);

}  // namespace stratrun
