// The stratrun subcommands. Each returns the process exit code:
//   0 success; 1 the run failed (or the run log could not be opened or read: a PostgreSQL
//   server that cannot be reached, a schema newer than this stratrun); 2 bad usage or input
//   (unknown strategy, bad parameter, missing data folder, a --db value no store takes);
//   130 the run was cancelled by Ctrl-C (SIGINT) or SIGTERM.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/environment.h"
#include "cli/isolation_setup.h"
#include "cli/output.h"

namespace stratrun {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCancelled = 130;

/// Says on stderr why OpenRunStore failed ("stratrun: …") and returns the exit code for it:
/// kExitUsage for a --db value that cannot name a run log (kInvalidArgument), else
/// kExitRunFailed (the server cannot be reached, the schema is newer, …).
int RunLogOpenFailed(const Status& status);

/// `list [--json]`: strategies, then rejected files with reasons.
int ListCommand(const PluginOptions& plugins, bool json);
/// `describe CODE [--json]`: a strategy and its parameter schema.
int DescribeCommand(const PluginOptions& plugins, const std::string& code, bool json);

struct RunOptions {
  std::string code;
  std::vector<std::string> tickers;                       // --tickers
  std::string universe;                                   // --universe
  std::vector<std::pair<std::string, std::string>> sets;  // --set k=v, in order
  std::filesystem::path data_dir;                         // --data
  std::string db;                                         // --db FILE|URI
  OutputFormat output = OutputFormat::kTable;
  bool all_rows = false;  // --all: the table shows every row, not only the passing ones
  std::optional<ProgressMode> progress;  // unset: a bar on a terminal, nothing otherwise
  IsolationOptions isolation{.process = false};  // --isolation (default none), --worker-memory, --sandbox, --grace
};

/// `run CODE …`: runs a strategy in this process, logged to the run log.
int RunCommand(const PluginOptions& plugins, const RunOptions& options);

struct RunsOptions {
  std::string db;  // --db FILE|URI
  std::string strategy_code;
  std::string status;
  int64_t limit = 20;
  bool json = false;
};

/// `runs`: the run history, newest first (OpenRunStore's rules for --db).
int RunsCommand(const RunsOptions& options);

struct ResultsOptions {
  std::string db;  // --db FILE|URI
  std::string run_id;  // or a unique prefix of one
  bool passed_only = false;
  std::string sort_by = "score";
  OutputFormat output = OutputFormat::kTable;
};

/// `results RUN_ID`: a logged run's result rows. RUN_ID may be any unique prefix of a run
/// id; an unknown or ambiguous one is exit code 2 (an ambiguous one lists the matches).
int ResultsCommand(const ResultsOptions& options);

inline constexpr int kDefaultLeaseTimeoutSeconds = 15;

struct ServeOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::filesystem::path data_dir;  // --data
  std::string db;                  // --db FILE|URI
  std::filesystem::path web_root;  // --web-root; empty: the installed or source dashboard
  // Unset: from the environment (MAX_CONCURRENT_EXECUTIONS, EXECUTION_QUEUE_SIZE,
  // EXECUTION_TIMEOUT, SSE_TIMEOUT), else the defaults (2, 10, 1800 s, unlimited).
  std::optional<unsigned> max_concurrent;
  std::optional<size_t> queue_size;
  std::optional<int64_t> timeout_seconds;
  std::optional<int64_t> sse_timeout_seconds;
  int64_t grace_seconds = 10;  // on SIGTERM/SIGINT, how long running runs may take to finish
  bool restart_on_crash = true;  // run under the supervisor (cli/supervisor.h); --no-restart: not
  IsolationOptions isolation;    // --isolation (default process), --worker-memory, --sandbox; grace from --grace
  // Cluster mode (--db postgresql://…): this instance's name (empty: the host name), and how
  // long an instance may be silent before the others end its runs (STRATRUN_LEASE_TIMEOUT).
  std::string instance_name;   // --instance-name
  std::optional<int> lease_timeout_seconds;  // --lease-timeout, else $STRATRUN_LEASE_TIMEOUT, else kDefaultLeaseTimeoutSeconds
};

struct DbMigrateOptions {
  std::string db;  // --db FILE|URI
};

/// `db migrate`: opens the run log, which applies any pending schema migrations, and says
/// on stdout which schema version it is at ("run log LOCATION: schema up to date (version
/// N)", the location without its password). RunLogOpenFailed's exit codes.
int DbMigrateCommand(const DbMigrateOptions& options);

/// Fills unset limits from the seed's environment variables.
void ApplyServeEnvironment(ServeOptions& options);

/// `serve`: the HTTP API, SSE and dashboard until SIGINT/SIGTERM.
int ServeCommand(const PluginOptions& plugins, ServeOptions options);

struct SynthCommandOptions {
  std::filesystem::path out;
  std::optional<size_t> ticker_count;  // --tickers N
  std::string universe;                // --universe sp500
  int days = 1260;
  uint64_t seed = 42;
};

/// `data synth`: writes a synthetic universe of CSV files.
int DataSynthCommand(const SynthCommandOptions& options);

}  // namespace stratrun
