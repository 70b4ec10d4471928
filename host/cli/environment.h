// What a command works with — plugin folders, market data, the run log — resolved from
// flags, then environment variables, then defaults:
//   plugins  <exe>/../lib/stratrun/plugins, then $STRATRUN_PLUGIN_PATH (':'-separated),
//            then each --plugins DIR; private copies in --plugin-cache, $STRATRUN_CACHE_DIR,
//            $XDG_CACHE_HOME/stratrun or ~/.cache/stratrun
//   data     --data DIR (must exist), else $STRATRUN_DATA_DIR, $XDG_DATA_HOME/stratrun/data
//            or ~/.local/share/stratrun/data, filled with the synthetic sample on first use
//   run log  --db FILE|URI, else $STRATRUN_DB, $XDG_DATA_HOME/stratrun/stratrun.db or
//            ~/.local/share/stratrun/stratrun.db: an SQLite file (a path, or a local
//            `file:` URI such as file:///var/lib/x.db), or a PostgreSQL database
//            (postgresql://… or postgres://…, as libpq reads it). Any other `scheme://`
//            value (mysql://, http://, …) is refused by name, never taken for a path.
//            A run log location is shown with its password taken out (RunLogPath).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
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

/// $STRATRUN_DB when set, else the default run log file.
std::string DefaultDatabasePath();

/// The run log location `explicit_db` (--db; empty: $STRATRUN_DB, else the default) names,
/// as RunStore::Open takes it: an SQLite file's path (a file: URI decoded to its path) or a
/// PostgreSQL URI, passed on whole (it may hold a password: never print it, print
/// RunLogPath's). InvalidArgument (field "db") for a URL no store can open, naming the flag
/// or variable and the scheme, never echoing the rest of the URL:
///   --db mysql://…: the run log is an SQLite file or a postgresql:// URI (MySQL is not supported)
Result<std::string> RunLogLocation(const std::string& explicit_db);

/// RunLogLocation(explicit_db) as it may be shown (the serve start line, `db migrate`): a
/// file's path, or a PostgreSQL URI with every password taken out.
Result<std::string> RunLogPath(const std::string& explicit_db);

/// `location` (a RunLogLocation) with any password taken out.
std::string ShownRunLogLocation(const std::string& location);

/// Opens the run log RunLogLocation(explicit_db) names, applying pending schema
/// migrations: an SQLite file is created if needed (with its folder); a PostgreSQL URI
/// creates nothing locally. The one way run, runs, results, serve and db migrate open it.
/// Errors (field "db") name the location as RunLogPath shows it. A PostgreSQL failure keeps
/// the store's code and message: kUnavailable when the server cannot be reached ("cannot
/// connect to PostgreSQL at <uri without password>: …"), kUnsupported for a schema newer
/// than this stratrun's ("database <uri>: database schema version N is newer …"),
/// kInvalidArgument for a URI libpq cannot read. An SQLite file's is "cannot open the run
/// log FILE: …", kUnsupported for a newer schema, else kInvalidArgument (e.g. a file that
/// cannot be created).
Result<std::unique_ptr<RunStore>> OpenRunStore(const std::string& explicit_db);

}  // namespace stratrun
