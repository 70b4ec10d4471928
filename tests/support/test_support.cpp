#include "support/test_support.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "data/data_folder.h"

extern char** environ;

namespace stratrun::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (;;) {
    path_ = fs::temp_directory_path() / ("stratrun-test-" + std::to_string(rd()));
    if (fs::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void RecordingSink::OnEvent(const ProgressEvent& event) noexcept {
  std::lock_guard lock(mutex_);
  events_.push_back(event);
}

void RecordingSink::OnResult(const std::string&, const ResultRow& row) noexcept {
  std::lock_guard lock(mutex_);
  results_.push_back(row);
}

std::vector<ProgressEvent> RecordingSink::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::vector<ResultRow> RecordingSink::results() const {
  std::lock_guard lock(mutex_);
  return results_;
}

namespace {
std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

StratrunProcess::StratrunProcess(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  const fs::path out_path = scratch_.path() / "stdout", err_path = scratch_.path() / "stderr";
  std::vector<std::string> argv_s{kStratrunBinary.string()};
  if (std::find(args.begin(), args.end(), "--plugin-cache") == args.end()) {
    argv_s.insert(argv_s.end(), {"--plugin-cache", (scratch_.path() / "cache").string()});
  }
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_s = env;  // the caller's entries first: they win
  auto set_by_caller = [&](std::string_view entry) {
    const std::string_view name = entry.substr(0, entry.find('=') + 1);
    return std::any_of(env.begin(), env.end(), [&](const std::string& e) { return e.starts_with(name); });
  };
  for (const std::string& entry : {"XDG_DATA_HOME=" + (scratch_.path() / "xdg-data").string(),
                                   "XDG_CACHE_HOME=" + (scratch_.path() / "xdg-cache").string(),
                                   "STRATRUN_DATA_DIR=" + SampleDataDir().string()}) {
    if (!set_by_caller(entry)) env_s.push_back(entry);
  }
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("STRATRUN_PLUGIN_PATH=") || entry.starts_with("STRATRUN_DB=") ||
        entry.starts_with("STRATRUN_CACHE_DIR=")) {
      continue;
    }
    if (!set_by_caller(entry) && !entry.starts_with("XDG_DATA_HOME=") && !entry.starts_with("XDG_CACHE_HOME=") &&
        !entry.starts_with("STRATRUN_DATA_DIR=")) {
      env_s.emplace_back(entry);
    }
  }
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
}

StratrunProcess::~StratrunProcess() {
  if (!waited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    Wait();
  }
}

bool StratrunProcess::WaitForOutput(std::string_view text, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (Slurp(scratch_.path() / "stdout").find(text) != std::string::npos) return true;
    int status = 0;
    if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) != 0) {
      // Ended (reaped here, so remember the status).
      if (pid_ > 0) {
        result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -pid_;
      }
      return Slurp(scratch_.path() / "stdout").find(text) != std::string::npos;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void StratrunProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

CommandResult StratrunProcess::Wait(bool peek) {
  if (peek && !waited_) {
    CommandResult now;
    now.out = Slurp(scratch_.path() / "stdout");
    now.err = Slurp(scratch_.path() / "stderr");
    return now;
  }
  if (!waited_) {
    waited_ = true;
    if (pid_ > 0) {
      int status = 0;
      waitpid(pid_, &status, 0);
      result_.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    result_.out = Slurp(scratch_.path() / "stdout");
    result_.err = Slurp(scratch_.path() / "stderr");
    // Pass a sanitizer runtime fault of the child on to this test's output, where the
    // test launcher (rerun_on_lsan_tracer_crash.sh) can recognise it.
    if (result_.err.find("LeakSanitizer has encountered a fatal error") != std::string::npos) {
      std::cerr << "stratrun child process: LeakSanitizer has encountered a fatal error\n";
    }
  }
  return result_;
}

const std::filesystem::path& SampleDataDir() {
  static const fs::path dir = [] {
    const fs::path path = fs::path(STRATRUN_TEST_WORK_DIR) / "sample-data";
    SynthOptions options{.tickers = SyntheticTickerNames(60), .seed = 42, .days = 600};
    options.tickers.insert(options.tickers.end(), kSampleTickers.begin(), kSampleTickers.end());
    std::sort(options.tickers.begin(), options.tickers.end());
    options.tickers.erase(std::unique(options.tickers.begin(), options.tickers.end()), options.tickers.end());
    auto made = EnsureSampleData(path, options);
    if (!made.ok()) std::fprintf(stderr, "cannot make the sample data: %s\n", made.status().message().c_str());
    return path;
  }();
  return dir;
}

CommandResult RunStratrun(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  StratrunProcess process(args, env);
  return process.Wait();
}

}  // namespace stratrun::testing
