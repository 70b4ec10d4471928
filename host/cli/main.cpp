// stratrun: list, describe and run strategy plugins, serve the API and dashboard, read and
// migrate the run log, make sample data.
//
// The global options (--plugins, --plugin-cache, --log-level, --version) are the main
// app's; every subcommand falls through to it (CLI11's fallthrough, set once before any
// subcommand is made, which inherits it), so they work before or after the subcommand:
// `stratrun --plugins DIR list` and `stratrun list --plugins DIR` are the same command.
// Help reads like a man page: each option shows a placeholder (DIR, FORMAT, N) and says
// its choices and default in words, never the parser's types or mappings.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/logging.h"
#include "isolation/worker_main.h"

namespace stratrun {
namespace {

/// "a, b or c".
std::string ListInWords(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return text;
}

/// Accepts one of `names`; otherwise "--output: expected table, json or csv (got 'xml')".
/// Adds nothing to the help text (the option's description lists the choices).
CLI::Validator OneOf(const std::vector<std::string>& names) {
  return CLI::Validator(
      [names](std::string& value) -> std::string {
        for (const auto& name : names) {
          if (value == name) return {};
        }
        return "expected " + ListInWords(names) + " (got '" + value + "')";
      },
      "");
}

OutputFormat ToOutputFormat(const std::string& name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "csv") return OutputFormat::kCsv;
  return OutputFormat::kTable;
}

ProgressMode ToProgressMode(const std::string& name) {
  if (name == "json") return ProgressMode::kJson;
  if (name == "none") return ProgressMode::kNone;
  return ProgressMode::kBar;
}

const std::vector<std::string> kOutputFormats = {"table", "json", "csv"};
constexpr const char* kOutputHelp = "table, json or csv (default table)";
constexpr const char* kDbHelp =
    "Run log: an SQLite file or a postgresql:// URI (default $STRATRUN_DB, else ~/.local/share/stratrun/stratrun.db)";
constexpr const char* kDbText = "FILE|URI";
constexpr const char* kDataHelp =
    "Folder of <TICKER>.csv files in the Yahoo Finance format (default $STRATRUN_DATA_DIR, else the "
    "synthetic first-use sample)";
/// --isolation and --sandbox as given, until parsed into IsolationOptions.
struct IsolationFlags {
  std::string mode;
  std::string sandbox = "none";
  void ApplyTo(IsolationOptions& options) const {
    options.process = mode == "process";
    options.no_network = sandbox == "no-network";
  }
};

/// --isolation, --worker-memory and --sandbox, the same for `run` and `serve`.
void AddIsolationOptions(CLI::App* command, IsolationFlags& flags, IsolationOptions& options,
                         const char* isolation_help) {
  command->add_option("--isolation", flags.mode, isolation_help)->option_text("MODE")->check(OneOf({"process", "none"}));
  command->add_option("--worker-memory", options.worker_memory_mb,
                      "Memory limit of each worker in MB; a run over it ends with error memory_limit (default: none)")
      ->option_text("MB")
      ->check(CLI::Range(16, 1 << 24));
  command->add_option("--sandbox", flags.sandbox, "none, or no-network: plugins may not open network sockets")
      ->option_text("MODE")
      ->check(OneOf({"none", "no-network"}));
}

constexpr const char* kGlobalFooter =
    "Global options (--plugins DIR, --plugin-cache DIR, --log-level LEVEL; see stratrun --help)\n"
    "may come before or after the subcommand.\n"
    "Exit codes: 0 success, 1 the run failed, 2 bad usage or input, 130 cancelled.";

}  // namespace
}  // namespace stratrun

int main(int argc, char** argv) {
  using namespace stratrun;
  // The hidden command a worker process runs (isolation/worker_main.h); not in --help.
  if (argc > 1 && std::string_view(argv[1]) == "worker") return WorkerMain(argc - 2, argv + 2);
  CLI::App app{"stratrun — a plugin host for trading-strategy screeners", "stratrun"};
  app.require_subcommand(1);
  app.fallthrough();  // before any subcommand: each inherits it, so global options work after one too
  app.set_version_flag("--version", STRATRUN_VERSION, "Print the version and exit");
  app.set_help_flag("-h,--help", "Print this help and exit");
  app.footer("Exit codes: 0 success, 1 the run failed, 2 bad usage or input, 130 cancelled.");

  PluginOptions plugins;
  std::string log_level = "warn";
  app.add_option("--plugins", plugins.extra_dirs, "Extra plugin folder (repeatable; also $STRATRUN_PLUGIN_PATH)")
      ->option_text("DIR");
  app.add_option("--plugin-cache", plugins.cache_dir,
                 "Folder for private copies of loaded plugins (default $STRATRUN_CACHE_DIR, else ~/.cache/stratrun)")
      ->option_text("DIR");
  app.add_option("--log-level", log_level, "debug, info, warn, error or off (default warn)")
      ->option_text("LEVEL")
      ->check(OneOf({"debug", "info", "warn", "error", "off"}));

  bool json = false;
  auto* list = app.add_subcommand("list", "List strategies, then rejected plugin files with the reasons");
  list->add_flag("--json", json, "Print JSON");

  std::string code;
  auto* describe = app.add_subcommand("describe", "Show a strategy and its parameters");
  describe->add_option("CODE", code, "Strategy code (see stratrun list)")->required()->option_text(" ");
  describe->add_flag("--json", json, "Print JSON");

  RunOptions run;
  std::vector<std::string> sets;
  std::string run_output = "table", progress_name;
  auto* run_cmd = app.add_subcommand("run", "Run a strategy in this process (logged to the run log)");
  run_cmd->add_option("CODE", run.code, "Strategy code (see stratrun list)")->required()->option_text(" ");
  run_cmd->add_option("--tickers", run.tickers, "Tickers to screen, comma-separated (default: the universe)")
      ->delimiter(',')
      ->option_text("LIST");
  run_cmd->add_option("--universe", run.universe, "sp500 or all (all: every ticker in the data folder)")
      ->option_text("NAME");
  run_cmd->add_option("--set", sets, "Set a parameter (repeatable; stratrun describe CODE lists them)")
      ->option_text("NAME=VALUE");
  run_cmd->add_option("--data", run.data_dir, kDataHelp)->option_text("DIR");
  run_cmd->add_option("--db", run.db, kDbHelp)->option_text(kDbText);
  run_cmd->add_option("--output", run_output, kOutputHelp)->option_text("FORMAT")->check(OneOf(kOutputFormats));
  run_cmd->add_flag("--all", run.all_rows,
                    "Show every row in the table, not only the passing ones (json and csv always have every row)");
  auto* progress_option =
      run_cmd->add_option("--progress", progress_name, "bar, json or none (default: bar on a terminal, else none)")
          ->option_text("MODE")
          ->check(OneOf({"bar", "json", "none"}));

  IsolationFlags run_isolation{.mode = "none"};
  AddIsolationOptions(run_cmd, run_isolation, run.isolation,
                      "process: run the plugin in a worker process this command can always stop; none (the "
                      "default): in this process, the fastest cold start");
  int64_t run_grace = 10;
  run_cmd->add_option("--grace", run_grace,
                      "With --isolation process: seconds a cancelled plugin gets to stop before it is killed (default 10)")
      ->option_text("SECONDS")
      ->check(CLI::Range(0, 3600));

  RunsOptions runs;
  auto* runs_cmd = app.add_subcommand("runs", "The run history, newest first");
  runs_cmd->add_option("--db", runs.db, kDbHelp)->option_text(kDbText);
  runs_cmd->add_option("--strategy", runs.strategy_code, "Only runs of this strategy")->option_text("CODE");
  runs_cmd->add_option("--status", runs.status,
                       "Only runs in this state: queued, starting, running, completing, completed, cancelled or error")
      ->option_text("STATE");
  runs_cmd->add_option("--limit", runs.limit, "How many runs, 1 to 100000 (default 20)")
      ->option_text("N")
      ->check(CLI::Range(1, 100000));
  runs_cmd->add_flag("--json", runs.json, "Print JSON (the HTTP API's run objects)");

  ResultsOptions results;
  std::string results_output = "table";
  auto* results_cmd = app.add_subcommand("results", "A logged run's results");
  results_cmd->add_option("RUN_ID", results.run_id, "A run id from stratrun runs, or any unique prefix of one")
      ->required()
      ->option_text(" ");
  results_cmd->add_option("--db", results.db, kDbHelp)->option_text(kDbText);
  results_cmd->add_flag("--passed", results.passed_only, "Only tickers that passed");
  results_cmd->add_option("--sort", results.sort_by,
                          "score, ticker, passed or a metric name (default score); a metric gets a column")
      ->option_text("KEY");
  results_cmd->add_option("--output", results_output, kOutputHelp)->option_text("FORMAT")->check(OneOf(kOutputFormats));

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Serve the HTTP API, live SSE streams and the dashboard");
  serve_cmd->add_option("--host", serve.host, "Address to listen on (default 127.0.0.1)")->option_text("ADDRESS");
  serve_cmd->add_option("--port", serve.port, "Port to listen on (default 8080; 0: any free port)")->option_text("PORT");
  serve_cmd->add_option("--data", serve.data_dir, kDataHelp)->option_text("DIR");
  serve_cmd->add_option("--db", serve.db, kDbHelp)->option_text(kDbText);
  serve_cmd->add_option("--web-root", serve.web_root, "Folder of the dashboard's files (default: the installed ones)")
      ->option_text("DIR");
  unsigned max_concurrent = 0;
  size_t queue_size = 0;
  int64_t timeout = 0, sse_timeout = 0;
  auto* max_concurrent_option =
      serve_cmd
          ->add_option("--max-concurrent", max_concurrent,
                       "Runs at once, 1 to 256 (default $MAX_CONCURRENT_EXECUTIONS, else 2)")
          ->option_text("N")
          ->check(CLI::Range(1, 256));
  auto* queue_size_option =
      serve_cmd
          ->add_option("--queue-size", queue_size, "Queued runs at most, 1 to 100000 (default $EXECUTION_QUEUE_SIZE, else 10)")
          ->option_text("N")
          ->check(CLI::Range(1, 100000));
  auto* timeout_option =
      serve_cmd
          ->add_option("--timeout", timeout, "Default run time limit in seconds (default $EXECUTION_TIMEOUT, else 1800)")
          ->option_text("SECONDS")
          ->check(CLI::Range(1, 7 * 24 * 3600));
  auto* sse_timeout_option =
      serve_cmd
          ->add_option("--sse-timeout", sse_timeout,
                       "Longest life of one SSE connection in seconds (default $SSE_TIMEOUT, else unlimited)")
          ->option_text("SECONDS")
          ->check(CLI::Range(1, 7 * 24 * 3600));
  bool no_restart = false;
  serve_cmd->add_flag("--no-restart", no_restart,
                      "Do not start the server again when a plugin crashes it (e.g. to debug it)");
  serve_cmd->add_option("--grace", serve.grace_seconds,
                        "Seconds a cancelled run gets to stop before its worker is killed, and running runs get to "
                        "finish on shutdown (default 10)")
      ->option_text("SECONDS")
      ->check(CLI::Range(0, 3600));
  serve_cmd->add_option("--instance-name", serve.instance_name,
                        "Cluster mode (--db postgresql://…): this instance's name in /api/health (default: the host name)")
      ->option_text("NAME");
  serve_cmd->add_option("--lease-timeout", serve.lease_timeout_seconds,
                        "Cluster mode (--db postgresql://…): an instance silent this long is declared dead and its "
                        "runs end interrupted, 1 to 3600 (default $STRATRUN_LEASE_TIMEOUT, else 15)")
      ->option_text("SECONDS")
      ->check(CLI::Range(1, 3600));
  IsolationFlags serve_isolation{.mode = "process"};
  AddIsolationOptions(serve_cmd, serve_isolation, serve.isolation,
                      "process (the default): every run and every plugin load in a worker process the server can "
                      "always stop; none: plugins run inside the server");

  SynthCommandOptions synth;
  auto* data_cmd = app.add_subcommand("data", "Market data tools");
  data_cmd->require_subcommand(1);
  auto* synth_cmd = data_cmd->add_subcommand("synth", "Write a deterministic synthetic universe of CSV files");
  synth_cmd->add_option("--out", synth.out, "Folder to write (required)")->required()->option_text("DIR");
  size_t ticker_count = 0;
  auto* count_option =
      synth_cmd->add_option("--tickers", ticker_count, "How many tickers, S&P 500 names first (default: the S&P 500)")
          ->option_text("N")
          ->check(CLI::Range(1, 100000));
  synth_cmd->add_option("--universe", synth.universe, "sp500 (the same as omitting --tickers)")->option_text("NAME");
  synth_cmd->add_option("--days", synth.days, "Trading days per ticker (default 1260)")
      ->option_text("N")
      ->check(CLI::Range(1, 100000));
  synth_cmd->add_option("--seed", synth.seed, "Random seed (default 42)")->option_text("N");

  DbMigrateOptions migrate;
  auto* db_cmd = app.add_subcommand("db", "Run log tools");
  db_cmd->require_subcommand(1);
  auto* migrate_cmd = db_cmd->add_subcommand(
      "migrate", "Bring the run log's schema up to date (every command does so on opening it) and say its version");
  migrate_cmd->add_option("--db", migrate.db, kDbHelp)->option_text(kDbText);

  for (CLI::App* command :
       {list, describe, run_cmd, runs_cmd, results_cmd, serve_cmd, data_cmd, synth_cmd, db_cmd, migrate_cmd}) {
    command->footer(kGlobalFooter);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code_from_cli = app.exit(e);
    return code_from_cli == 0 ? kExitOk : kExitUsage;
  }
  SetLogLevel(log_level);

  if (*list) return ListCommand(plugins, json);
  if (*describe) return DescribeCommand(plugins, code, json);
  if (*runs_cmd) return RunsCommand(runs);
  if (*serve_cmd) {
    if (*max_concurrent_option) serve.max_concurrent = max_concurrent;
    if (*queue_size_option) serve.queue_size = queue_size;
    if (*timeout_option) serve.timeout_seconds = timeout;
    if (*sse_timeout_option) serve.sse_timeout_seconds = sse_timeout;
    serve.restart_on_crash = !no_restart;
    serve_isolation.ApplyTo(serve.isolation);
    return ServeCommand(plugins, serve);
  }
  if (*results_cmd) {
    results.output = ToOutputFormat(results_output);
    return ResultsCommand(results);
  }
  if (*db_cmd) return DbMigrateCommand(migrate);
  if (*data_cmd) {
    if (*count_option) synth.ticker_count = ticker_count;
    return DataSynthCommand(synth);
  }
  for (const std::string& assignment : sets) {
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "stratrun: --set expects name=value (got '%s')\n", assignment.c_str());
      return kExitUsage;
    }
    run.sets.emplace_back(assignment.substr(0, eq), assignment.substr(eq + 1));
  }
  run.output = ToOutputFormat(run_output);
  run_isolation.ApplyTo(run.isolation);
  run.isolation.grace = std::chrono::seconds(run_grace);
  if (*progress_option) run.progress = ToProgressMode(progress_name);
  return RunCommand(plugins, run);
}
