// stratrun: list, describe and run strategy plugins from the terminal.
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

  bool json = false;
  auto* list = app.add_subcommand("list", "List strategies and rejected plugin files");
  list->add_flag("--json", json, "Print JSON");

  std::string code;
  auto* describe = app.add_subcommand("describe", "Show a strategy and its parameters");
  describe->add_option("code", code, "Strategy code")->required();
  describe->add_flag("--json", json, "Print JSON");

  RunOptions run;
  std::vector<std::string> sets;
  auto* run_cmd = app.add_subcommand("run", "Run a strategy in this process");
  run_cmd->add_option("code", run.code, "Strategy code")->required();
  run_cmd->add_option("--tickers", run.tickers, "Tickers to screen (comma-separated)")->delimiter(',');
  run_cmd->add_option("--universe", run.universe, "Universe: sp500 or all");
  run_cmd->add_option("--set", sets, "Parameter as name=value (repeatable)");
  const std::map<std::string, OutputFormat> outputs{
      {"table", OutputFormat::kTable}, {"json", OutputFormat::kJson}, {"csv", OutputFormat::kCsv}};
  run_cmd->add_option("--output", run.output, "table, json or csv")->transform(CLI::CheckedTransformer(outputs));
  const std::map<std::string, ProgressMode> progress{
      {"bar", ProgressMode::kBar}, {"json", ProgressMode::kJson}, {"none", ProgressMode::kNone}};
  run_cmd->add_option("--progress", run.progress, "bar, json or none")->transform(CLI::CheckedTransformer(progress));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code_from_cli = app.exit(e);
    return code_from_cli == 0 ? kExitOk : kExitUsage;
  }
  SetLogLevel(log_level);

  if (*list) return ListCommand(plugins, json);
  if (*describe) return DescribeCommand(plugins, code, json);
  for (const std::string& assignment : sets) {
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "stratrun: --set expects name=value (got '%s')\n", assignment.c_str());
      return kExitUsage;
    }
    run.sets.emplace_back(assignment.substr(0, eq), assignment.substr(eq + 1));
  }
  return RunCommand(plugins, run);
}
