// The stratrun subcommands. Each returns the process exit code:
//   0 success; 1 the run failed; 2 bad usage or input (unknown strategy, bad parameter);
//   130 the run was cancelled by Ctrl-C (SIGINT) or SIGTERM.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cli/output.h"

namespace stratrun {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRunFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCancelled = 130;

/// Where plugins come from: the bundled folder, $STRATRUN_PLUGIN_PATH, then --plugins.
struct PluginOptions {
  std::vector<std::filesystem::path> extra_dirs;  // --plugins
  std::filesystem::path cache_dir;                // --plugin-cache; empty: the default
};

int ListCommand(const PluginOptions& plugins, bool json);
int DescribeCommand(const PluginOptions& plugins, const std::string& code, bool json);

struct RunOptions {
  std::string code;
  std::vector<std::string> tickers;                       // --tickers
  std::string universe;                                   // --universe
  std::vector<std::pair<std::string, std::string>> sets;  // --set k=v, in order
  OutputFormat output = OutputFormat::kTable;
  ProgressMode progress = ProgressMode::kBar;
};

int RunCommand(const PluginOptions& plugins, const RunOptions& options);

}  // namespace stratrun
