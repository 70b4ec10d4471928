// stratrun: list, describe and run strategy plugins, serve the API and dashboard, read the
// run log, make sample data.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  using namespace stratrun;
  CLI::App app{"stratrun — a plugin host for trading-strategy screeners"};
  app.require_subcommand(1);
  app.set_version_flag("--version", STRATRUN_VERSION);

  PluginOptions plugins;
  std::string log_level = "warn";
  app.add_option("--plugins", plugins.extra_dirs, "Extra plugin folder (repeatable)");
  app.add_option("--plugin-cache", plugins.cache_dir, "Folder for private copies of loaded plugins");
  app.add_option("--log-level", log_level, "debug, info, warn, error or off")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  const std::map<std::string, OutputFormat> outputs{
      {"table", OutputFormat::kTable}, {"json", OutputFormat::kJson}, {"csv", OutputFormat::kCsv}};

  bool json = false;
  auto* list = app.add_subcommand("list", "List strategies and rejected plugin files");
  list->add_flag("--json", json, "Print JSON");

  std::string code;
  auto* describe = app.add_subcommand("describe", "Show a strategy and its parameters");
  describe->add_option("code", code, "Strategy code")->required();
  describe->add_flag("--json", json, "Print JSON");

  RunOptions run;
  std::vector<std::string> sets;
  auto* run_cmd = app.add_subcommand("run", "Run a strategy in this process (logged to the run log)");
  run_cmd->add_option("code", run.code, "Strategy code")->required();
  run_cmd->add_option("--tickers", run.tickers, "Tickers to screen (comma-separated)")->delimiter(',');
  run_cmd->add_option("--universe", run.universe, "Universe: sp500 or all");
  run_cmd->add_option("--set", sets, "Parameter as name=value (repeatable)");
  run_cmd->add_option("--data", run.data_dir, "Folder of <TICKER>.csv files (Yahoo Finance format)");
  run_cmd->add_option("--db", run.db, "Run log (SQLite file)");
  run_cmd->add_option("--output", run.output, "table, json or csv")->transform(CLI::CheckedTransformer(outputs));
  const std::map<std::string, ProgressMode> progress{
      {"bar", ProgressMode::kBar}, {"json", ProgressMode::kJson}, {"none", ProgressMode::kNone}};
  ProgressMode progress_mode = ProgressMode::kBar;
  auto* progress_option = run_cmd->add_option("--progress", progress_mode, "bar, json or none (default: bar on a terminal)")
                              ->transform(CLI::CheckedTransformer(progress));

  RunsOptions runs;
  auto* runs_cmd = app.add_subcommand("runs", "The run history, newest first");
  runs_cmd->add_option("--db", runs.db, "Run log (SQLite file)");
  runs_cmd->add_option("--strategy", runs.strategy_code, "Only runs of this strategy");
  runs_cmd->add_option("--status", runs.status, "Only runs in this state");
  runs_cmd->add_option("--limit", runs.limit, "How many runs")->check(CLI::Range(1, 100000));
  runs_cmd->add_flag("--json", runs.json, "Print JSON");

  ResultsOptions results;
  auto* results_cmd = app.add_subcommand("results", "A logged run's results");
  results_cmd->add_option("run_id", results.run_id, "Run id")->required();
  results_cmd->add_option("--db", results.db, "Run log (SQLite file)");
  results_cmd->add_flag("--passed", results.passed_only, "Only tickers that passed");
  results_cmd->add_option("--sort", results.sort_by, "score, ticker, passed or a metric name");
  results_cmd->add_option("--output", results.output, "table, json or csv")->transform(CLI::CheckedTransformer(outputs));

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Serve the HTTP API, live SSE streams and the dashboard");
  serve_cmd->add_option("--host", serve.host, "Address to listen on");
  serve_cmd->add_option("--port", serve.port, "Port to listen on (0: any free port)");
  serve_cmd->add_option("--data", serve.data_dir, "Folder of <TICKER>.csv files (Yahoo Finance format)");
  serve_cmd->add_option("--db", serve.db, "Run log (SQLite file)");
  serve_cmd->add_option("--web-root", serve.web_root, "Folder of the dashboard's files");
  unsigned max_concurrent = 0;
  size_t queue_size = 0;
  int64_t timeout = 0, sse_timeout = 0;
  auto* max_concurrent_option = serve_cmd->add_option("--max-concurrent", max_concurrent, "Runs at once (default 2)")
                                    ->check(CLI::Range(1, 256));
  auto* queue_size_option = serve_cmd->add_option("--queue-size", queue_size, "Queued runs at most (default 10)")
                                ->check(CLI::Range(1, 100000));
  auto* timeout_option = serve_cmd->add_option("--timeout", timeout, "Default run time limit, seconds (default 1800)")
                             ->check(CLI::Range(1, 7 * 24 * 3600));
  auto* sse_timeout_option = serve_cmd->add_option("--sse-timeout", sse_timeout,
                                                   "Longest life of one SSE connection, seconds (default: unlimited)")
                                 ->check(CLI::Range(1, 7 * 24 * 3600));
  serve_cmd->add_flag("!--no-restart", serve.restart_on_crash,
                      "Do not start the server again when a plugin crashes it (e.g. to debug it)");
  serve_cmd->add_option("--grace", serve.grace_seconds, "Seconds running runs get to finish on shutdown")
      ->check(CLI::Range(0, 3600));

  SynthCommandOptions synth;
  auto* data_cmd = app.add_subcommand("data", "Market data tools");
  data_cmd->require_subcommand(1);
  auto* synth_cmd = data_cmd->add_subcommand("synth", "Write a deterministic synthetic universe of CSV files");
  synth_cmd->add_option("--out", synth.out, "Folder to write")->required();
  size_t ticker_count = 0;
  auto* count_option = synth_cmd->add_option("--tickers", ticker_count, "How many tickers (S&P 500 names first)")
                           ->check(CLI::Range(1, 100000));
  synth_cmd->add_option("--universe", synth.universe, "sp500");
  synth_cmd->add_option("--days", synth.days, "Trading days per ticker")->check(CLI::Range(1, 100000));
  synth_cmd->add_option("--seed", synth.seed, "Random seed");

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
    return ServeCommand(plugins, serve);
  }
  if (*results_cmd) return ResultsCommand(results);
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
  if (*progress_option) run.progress = progress_mode;
  return RunCommand(plugins, run);
}
