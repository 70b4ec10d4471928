// Helpers shared by the tests: temporary folders, a sink that records what a run emits,
// and running the real stratrun binary.
#pragma once

#include <filesystem>
#include <mutex>
#include <string_view>
#include <sys/types.h>
#include <string>
#include <vector>

#include "progress/progress_sink.h"

namespace stratrun::testing {

/// A fresh folder under the system temp dir, removed with everything in it on scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Records every event and result row; thread-safe.
class RecordingSink : public ProgressSink {
 public:
  void OnEvent(const ProgressEvent& event) noexcept override;
  void OnResult(const std::string& run_id, const ResultRow& row) noexcept override;
  std::vector<ProgressEvent> events() const;
  std::vector<ResultRow> results() const;

 private:
  mutable std::mutex mutex_;
  std::vector<ProgressEvent> events_;
  std::vector<ResultRow> results_;
};

/// The result of running a command.
struct CommandResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

/// A running stratrun binary (no shell), isolated from the user's files: its own plugin
/// cache (unless `args` name one with --plugin-cache), XDG_DATA_HOME and XDG_CACHE_HOME in a scratch folder (so the default run log is
/// private), STRATRUN_DATA_DIR = SampleDataDir(), $STRATRUN_PLUGIN_PATH and $STRATRUN_DB
/// removed; then `env` ("NAME=value") overrides any of these. stdin is /dev/null, stdout
/// and stderr are captured. Killed and reaped on destruction if still running.
class StratrunProcess {
 public:
  StratrunProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
  ~StratrunProcess();
  StratrunProcess(const StratrunProcess&) = delete;
  StratrunProcess& operator=(const StratrunProcess&) = delete;

  /// Polls stdout until it contains `text`; false after `timeout_ms` or once the process ended.
  bool WaitForOutput(std::string_view text, int timeout_ms = 30000);
  void Signal(int signal);
  /// Waits for the exit and returns what the process printed. With `peek`, does not wait:
  /// returns what it printed so far.
  CommandResult Wait(bool peek = false);
  pid_t pid() const { return pid_; }
  /// The scratch folder (XDG_DATA_HOME is scratch()/xdg-data).
  const std::filesystem::path& scratch() const { return scratch_.path(); }

 private:
  TempDir scratch_;
  pid_t pid_ = -1;
  bool waited_ = false;
  CommandResult result_;
};

/// A small synthetic universe of CSV files shared by the tests (generated on first use,
/// safely when several test processes ask at once): the first 60 S&P 500 names plus
/// kSampleTickers, 600 days each, seed 42.
const std::filesystem::path& SampleDataDir();
inline const std::vector<std::string> kSampleTickers = {"AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM"};

/// Runs the stratrun binary as StratrunProcess does and waits for it.
CommandResult RunStratrun(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

inline const std::filesystem::path kGoodPluginDir = STRATRUN_TEST_GOOD_DIR;
inline const std::filesystem::path kBrokenPluginDir = STRATRUN_TEST_BROKEN_DIR;
/// crash_on_load (its entry point segfaults) and crash_on_run (segfaults while running).
inline const std::filesystem::path kCrashingPluginDir = STRATRUN_TEST_CRASHING_DIR;
/// One plugin per way to misbehave in the process that runs it (tests/CMakeLists.txt).
inline const std::filesystem::path kIsolatedPluginDir = STRATRUN_TEST_ISOLATED_DIR;
inline const std::filesystem::path kBundledPluginDir = STRATRUN_TEST_BUNDLED_DIR;
inline const std::filesystem::path kStratrunBinary = STRATRUN_TEST_BINARY;

}  // namespace stratrun::testing
