// The stratrun binary as a user runs it: list, describe and run, exit codes, and Ctrl-C.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "http/server_fixture.h"
#include "store/run_store.h"
#include "support/test_support.h"

extern char** environ;

namespace stratrun {
namespace {

using testing::kBrokenPluginDir;
using testing::kGoodPluginDir;
using testing::RunStratrun;
using testing::StratrunProcess;

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(CliTest, ListShowsBundledPluginsWithCodeNameVersionAbiAndFile) {
  auto r = RunStratrun({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "CODE")) << r.out;
  EXPECT_TRUE(Contains(r.out, "sma_trend")) << r.out;
  EXPECT_TRUE(Contains(r.out, "1.0")) << r.out;
  EXPECT_TRUE(Contains(r.out, "sma_trend.so")) << r.out;
  EXPECT_FALSE(Contains(r.out, "rejected")) << r.out;
}

TEST(CliTest, ListShowsEveryBrokenPluginAsRejectedWithItsReasonAndSucceeds) {
  auto r = RunStratrun({"--plugins", kBrokenPluginDir.string(), "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "rejected:")) << r.out;
  for (const char* line : {"not_elf.so: not an ELF shared library",
                           "missing_entry.so: no entry point",
                           "entry_fails.so: entry point failed",
                           "entry_throws.so: entry point threw",
                           "null_descriptor.so: entry point returned no descriptor",
                           "truncated_descriptor.so: descriptor is 16 bytes",
                           "bad_code.so: strategy code must match",
                           "bad_schema.so: invalid parameter schema",
                           "sdk_describe_throws.so: entry point failed",
                           "abi_major_mismatch.so: plugin ABI 2.",  // any minors: "2.x is not supported by host ABI 1.y"
                           "duplicate_code.so: duplicate strategy code 'sma_trend'"}) {
    EXPECT_TRUE(Contains(r.out, line)) << "missing: " << line << "\n" << r.out;
  }
  EXPECT_TRUE(Contains(r.out, "sma_trend")) << "the bundled plugin must still load";
}

TEST(CliTest, APluginWhoseLoadCrashesIsRejectedByTheNextCommand) {
  testing::TempDir cache;
  const std::vector<std::string> list = {"--plugins", testing::kCrashingPluginDir.string(), "--plugin-cache",
                                         cache.path().string(), "list"};
  auto first = RunStratrun(list);
  EXPECT_NE(first.exit_code, 0) << "crash_on_load kills the process that loads it first";
  auto second = RunStratrun(list);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(Contains(second.out, "crash_on_run")) << second.out;
  EXPECT_TRUE(Contains(second.out, "crash_on_load.so")) << second.out;
  EXPECT_TRUE(Contains(second.out, "loading it killed the process")) << second.out;
}

TEST(CliTest, ListJsonIsMachineReadable) {
  auto r = RunStratrun({"--plugins", kGoodPluginDir.string(), "--plugins", kBrokenPluginDir.string(), "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  std::vector<std::string> codes;
  for (const auto& s : doc["strategies"].GetArray()) codes.emplace_back(s["code"].GetString());
  for (const char* code : {"abi_newer_minor", "c_minimal", "paced", "sma_trend"}) {
    EXPECT_NE(std::find(codes.begin(), codes.end(), code), codes.end()) << code;
  }
  EXPECT_EQ(doc["rejected"].Size(), 11u);
}

TEST(CliTest, PluginPathEnvironmentVariableAddsFolders) {
  auto r = RunStratrun({"list"}, {"STRATRUN_PLUGIN_PATH=" + kGoodPluginDir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "c_minimal")) << r.out;
}

TEST(CliTest, DescribeShowsTheParameterSchemaReadably) {
  auto r = RunStratrun({"describe", "sma_trend"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "parameters:")) << r.out;
  EXPECT_TRUE(Contains(r.out, "window")) << r.out;
  EXPECT_TRUE(Contains(r.out, "integer [2..500]")) << r.out;
  EXPECT_TRUE(Contains(r.out, "default 50")) << r.out;
  EXPECT_TRUE(Contains(r.out, "enum {sp500|all}")) << r.out;
}

TEST(CliTest, DescribeJsonCarriesTheSchema) {
  auto r = RunStratrun({"describe", "sma_trend", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  EXPECT_STREQ(doc["code"].GetString(), "sma_trend");
  ASSERT_TRUE(doc["parameters"].IsArray());
  EXPECT_STREQ(doc["parameters"][0]["name"].GetString(), "window");
  EXPECT_EQ(doc["parameters"][0]["default"].GetInt(), 50);
}

TEST(CliTest, AnUnknownStrategyIsExitCode2WithTheAvailableCodes) {
  for (const char* command : {"describe", "run"}) {
    auto r = RunStratrun({command, "no_such_strategy"});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_TRUE(Contains(r.err, "unknown strategy 'no_such_strategy'")) << r.err;
    EXPECT_TRUE(Contains(r.err, "sma_trend")) << r.err;
  }
}

TEST(CliTest, RunPrintsResultsSortedByScore) {
  auto r = RunStratrun({"run", "sma_trend", "--tickers", "AAPL,MSFT,NVDA,ZZZZ", "--set", "min_score=0", "--output", "csv",
                        "--progress", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "completed")) << r.err;
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < r.out.size();) {
    size_t end = r.out.find('\n', pos);
    lines.push_back(r.out.substr(pos, end - pos));
    pos = end == std::string::npos ? r.out.size() : end + 1;
  }
  ASSERT_EQ(lines.size(), 5u) << r.out;  // header + 4 tickers
  EXPECT_TRUE(lines[0].starts_with("ticker,score,passed")) << lines[0];
  EXPECT_TRUE(lines[4].starts_with("ZZZZ,")) << "a ticker without data sorts last: " << r.out;
  double previous = 1e9;
  for (size_t i = 1; i < 4; ++i) {
    const double score = std::stod(lines[i].substr(lines[i].find(',') + 1));
    EXPECT_LE(score, previous) << r.out;
    previous = score;
  }
}

TEST(CliTest, BadParametersAreExitCode2NamingTheField) {
  auto r = RunStratrun({"run", "sma_trend", "--set", "window=1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "window")) << r.err;
  r = RunStratrun({"run", "sma_trend", "--set", "colour=blue"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "unknown parameter 'colour'")) << r.err;
  r = RunStratrun({"run", "sma_trend", "--set", "require_rising=maybe"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "require_rising")) << r.err;
  r = RunStratrun({"run", "sma_trend", "--set", "window"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "name=value")) << r.err;
}

TEST(CliTest, ProgressJsonPrintsTheSeedsProgressLines) {
  auto r = RunStratrun({"--plugins", kGoodPluginDir.string(), "run", "c_minimal", "--tickers", "AAPL,MSFT",
                        "--progress", "json", "--output", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> types;
  for (size_t pos = r.out.find("PROGRESS:"); pos != std::string::npos; pos = r.out.find("PROGRESS:", pos + 1)) {
    const size_t end = r.out.find('\n', pos);
    rapidjson::Document doc;
    doc.Parse(r.out.substr(pos + 9, end - pos - 9).c_str());
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_EQ(doc["seq"].GetUint64(), types.size() + 1);
    types.emplace_back(doc["event_type"].GetString());
  }
  EXPECT_EQ(types, (std::vector<std::string>{"started", "ticker_completed", "ticker_completed", "stage_completed",
                                             "completed"}));
}

/// The run id a `run` printed on stderr ("run <id>: …").
std::string RunIdOf(const std::string& err) {
  size_t at = err.starts_with("run ") ? 0 : err.find("\nrun ");
  if (at == std::string::npos) return "";
  at += err[at] == '\n' ? 5 : 4;
  return err.substr(at, err.find(':', at) - at);
}

TEST(CliTest, CtrlCCancelsARunningRunWithExitCode130AndLogsItCancelledWithItsResults) {
  StratrunProcess process({"--plugins", kGoodPluginDir.string(), "run", "paced", "--set", "events=100000", "--set",
                           "rate_per_second=200", "--progress", "json"});
  ASSERT_TRUE(process.WaitForOutput("\"completed_items\":3,")) << process.Wait().err;
  process.Signal(SIGINT);
  auto r = process.Wait();
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_TRUE(Contains(r.out, "\"event_type\":\"cancelled\"")) << "the run must end through cancellation, not a kill";
  EXPECT_TRUE(Contains(r.err, "cancelled")) << r.err;

  // The run log (the default one, private to this process's XDG_DATA_HOME) has the run,
  // cancelled, with the results it had so far.
  const std::string db = (process.scratch() / "xdg-data" / "stratrun" / "stratrun.db").string();
  const std::string run_id = RunIdOf(r.err);
  auto runs = RunStratrun({"runs", "--db", db, "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  rapidjson::Document doc;
  doc.Parse(runs.out.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 1) << runs.out;
  EXPECT_STREQ(doc[0]["run_id"].GetString(), run_id.c_str());
  EXPECT_STREQ(doc[0]["status"].GetString(), "cancelled");
  const int64_t logged = doc[0]["result_count"].GetInt64();
  EXPECT_GE(logged, 3);
  auto results = RunStratrun({"results", run_id, "--db", db, "--output", "csv"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(std::count(results.out.begin(), results.out.end(), '\n'), logged + 1) << results.out;
}

TEST(CliTest, ARunWhoseProcessIsKilledIsListedInterrupted) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "runs.db").string();
  StratrunProcess process({"--plugins", kGoodPluginDir.string(), "run", "paced", "--db", db, "--set", "events=100000",
                           "--set", "rate_per_second=200", "--progress", "json"});
  ASSERT_TRUE(process.WaitForOutput("\"completed_items\":3,")) << process.Wait().err;

  // While its process lives, another process reading the log leaves the run running (and
  // sees its results arrive).
  testing::CommandResult listed;
  rapidjson::Document doc;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    listed = RunStratrun({"runs", "--db", db, "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    doc.Parse(listed.out.c_str());
    ASSERT_TRUE(doc.IsArray() && doc.Size() == 1) << listed.out;
    ASSERT_STREQ(doc[0]["status"].GetString(), "running");
  } while (doc[0]["result_count"].GetInt64() < 3 && std::chrono::steady_clock::now() < deadline);
  const int64_t logged = doc[0]["result_count"].GetInt64();
  ASSERT_GE(logged, 3) << listed.out;

  process.Signal(SIGKILL);
  EXPECT_EQ(process.Wait().exit_code, 128 + SIGKILL);
  listed = RunStratrun({"runs", "--db", db, "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  doc.Parse(listed.out.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 1) << listed.out;
  EXPECT_STREQ(doc[0]["status"].GetString(), "error");
  EXPECT_STREQ(doc[0]["error"]["code"].GetString(), "interrupted") << listed.out;
  EXPECT_GE(doc[0]["result_count"].GetInt64(), logged) << "the results logged before the kill are kept";
}

TEST(CliTest, EveryRunIsLoggedAndItsResultsCanBeReadBack) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "runs.db").string();
  auto run = RunStratrun({"run", "sma_trend", "--tickers", "AAPL,MSFT,NVDA", "--db", db, "--output", "csv",
                          "--progress", "none", "--set", "min_score=0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string run_id = RunIdOf(run.err);
  ASSERT_EQ(run_id.size(), 36u) << run.err;
  EXPECT_TRUE(Contains(run.err, "SYNTHETIC")) << "a run on the sample data says so: " << run.err;

  auto listed = RunStratrun({"runs", "--db", db});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(Contains(listed.out, run_id.substr(0, 8) + " ")) << "the table shows 8 characters: " << listed.out;
  EXPECT_TRUE(Contains(listed.out, "completed")) << listed.out;

  auto results = RunStratrun({"results", run_id, "--db", db, "--output", "csv"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(results.out, run.out) << "the logged results are the ones the run printed";

  auto passed = RunStratrun({"results", run_id, "--db", db, "--passed", "--output", "json"});
  ASSERT_EQ(passed.exit_code, 0);
  rapidjson::Document doc;
  doc.Parse(passed.out.c_str());
  ASSERT_TRUE(doc.IsArray()) << passed.out;
  for (const auto& row : doc.GetArray()) EXPECT_TRUE(row["passed"].GetBool());

  auto unknown = RunStratrun({"results", "no-such-run", "--db", db});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(Contains(unknown.err, "unknown run 'no-such-run'")) << unknown.err;
  auto bad_status = RunStratrun({"runs", "--db", db, "--status", "finished"});
  EXPECT_EQ(bad_status.exit_code, 2);
  EXPECT_TRUE(Contains(bad_status.err, "unknown status 'finished'")) << bad_status.err;
}

TEST(CliTest, AMissingDataFolderIsExitCode2SayingHowToMakeOne) {
  const std::string hint =
      "data folder /nonexistent/market-data does not exist: make one with `stratrun data synth --out "
      "/nonexistent/market-data`, or omit --data to use the first-use sample";
  auto r = RunStratrun({"run", "sma_trend", "--data", "/nonexistent/market-data"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, hint)) << r.err;
  testing::TempDir dir;
  const std::string db = (dir.path() / "runs.db").string();
  for (bool supervised : {true, false}) {
    std::vector<std::string> serve = {"serve", "--port", "0", "--db", db, "--data", "/nonexistent/market-data"};
    if (!supervised) serve.push_back("--no-restart");
    r = RunStratrun(serve);
    EXPECT_EQ(r.exit_code, 2) << "supervised " << supervised << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, hint)) << r.err;
  }
}

TEST(CliTest, UnknownTickersAreReportedPerTickerNotFatal) {
  auto r = RunStratrun({"run", "sma_trend", "--tickers", "AAPL,ZZZZ", "--output", "json", "--progress", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 2) << r.out;
  EXPECT_STREQ(doc[1]["ticker"].GetString(), "ZZZZ");
  EXPECT_TRUE(Contains(doc[1]["reasons"][0].GetString(), "no data")) << r.out;
}

TEST(CliTest, WithNoDataConfiguredTheFirstRunGeneratesTheSyntheticSampleAndSaysSo) {
  StratrunProcess first({"run", "sma_trend", "--tickers", "AAPL", "--progress", "none", "--all"}, {"STRATRUN_DATA_DIR="});
  auto r = first.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.err, "generated a SYNTHETIC sample universe")) << r.err;
  const auto dir = first.scratch() / "xdg-data" / "stratrun" / "data";
  EXPECT_TRUE(std::filesystem::exists(dir / "AAPL.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir / "MSFT.csv"));
  EXPECT_TRUE(Contains(r.out, "AAPL")) << r.out;
}

TEST(CliTest, DataSynthWritesADeterministicUniverse) {
  testing::TempDir dir;
  auto a = RunStratrun({"data", "synth", "--out", (dir.path() / "a").string(), "--tickers", "5", "--days", "100"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  auto b = RunStratrun({"data", "synth", "--out", (dir.path() / "b").string(), "--tickers", "3", "--days", "100"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "a")) files += entry.path().extension() == ".csv";
  EXPECT_EQ(files, 5u);
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string aapl_a = slurp(dir.path() / "a" / "AAPL.csv");
  EXPECT_TRUE(aapl_a.starts_with("Date,Open,High,Low,Close,Adj Close,Volume")) << aapl_a.substr(0, 80);
  EXPECT_EQ(std::count(aapl_a.begin(), aapl_a.end(), '\n'), 101);
  EXPECT_EQ(aapl_a, slurp(dir.path() / "b" / "AAPL.csv")) << "a ticker's series does not depend on the others";

  auto both = RunStratrun({"data", "synth", "--out", (dir.path() / "c").string(), "--tickers", "3", "--universe", "sp500"});
  EXPECT_EQ(both.exit_code, 2);
  auto no_out = RunStratrun({"data", "synth"});
  EXPECT_EQ(no_out.exit_code, 2);
}


// ---- The command line as a user types it: global options anywhere, run log URLs, short
// run ids, help text, what a terminal shows.

/// What a command showed on a terminal `columns` wide: stdout and stderr both go to one
/// pseudo-terminal, as in a user's shell. Isolated like RunStratrun (its own plugin cache,
/// XDG folders, the sample data), run in `cwd` when given.
struct TerminalResult {
  int exit_code = -1;
  std::string screen;  // what was written, "\r\n" turned back into "\n"
};

TerminalResult RunInTerminal(const std::vector<std::string>& args, unsigned short columns,
                             const std::filesystem::path& cwd = {}) {
  testing::TempDir scratch;
  std::vector<std::string> argv_s{testing::kStratrunBinary.string(), "--plugin-cache",
                                  (scratch.path() / "cache").string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s{"XDG_DATA_HOME=" + (scratch.path() / "xdg-data").string(),
                                 "XDG_CACHE_HOME=" + (scratch.path() / "xdg-cache").string(),
                                 "STRATRUN_DATA_DIR=" + testing::SampleDataDir().string(), "TERM=xterm"};
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (!entry.starts_with("STRATRUN_") && !entry.starts_with("XDG_DATA_HOME=") &&
        !entry.starts_with("XDG_CACHE_HOME=") && !entry.starts_with("TERM=") && !entry.starts_with("COLUMNS=") &&
        !entry.starts_with("LINES=")) {
      env_s.emplace_back(entry);
    }
  }
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const std::string dir = cwd.string();

  TerminalResult result;
  const int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return result;
  const std::string slave_name = ptsname(master);
  const winsize size{.ws_row = 50, .ws_col = columns, .ws_xpixel = 0, .ws_ypixel = 0};
  const pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    setsid();
    const int slave = open(slave_name.c_str(), O_RDWR);
    if (slave < 0) _exit(127);
    ioctl(slave, TIOCSCTTY, 0);
    ioctl(slave, TIOCSWINSZ, &size);
    dup2(slave, STDIN_FILENO);
    dup2(slave, STDOUT_FILENO);
    dup2(slave, STDERR_FILENO);
    if (slave > STDERR_FILENO) close(slave);
    if (!dir.empty() && chdir(dir.c_str()) != 0) _exit(127);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  // Read until the terminal closes (EIO once the child and its descendants are gone).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd ready{.fd = master, .events = POLLIN, .revents = 0};
    if (poll(&ready, 1, 200) <= 0) continue;
    const ssize_t n = read(master, buffer, sizeof buffer);
    if (n <= 0) break;
    result.screen.append(buffer, static_cast<size_t>(n));
  }
  close(master);
  int status = 0;
  if (std::chrono::steady_clock::now() >= deadline) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  for (size_t at = result.screen.find("\r\n"); at != std::string::npos; at = result.screen.find("\r\n", at)) {
    result.screen.erase(at, 1);
  }
  return result;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < text.size();) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

/// The columns a line takes on a terminal: UTF-8 code points, escape sequences not counted.
size_t Columns(const std::string& line) {
  size_t columns = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\033') {
      while (i < line.size() && !std::isalpha(static_cast<unsigned char>(line[i]))) ++i;
      continue;
    }
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++columns;
  }
  return columns;
}

/// The lines of the result table in `text`: its header and the rows after it.
std::vector<std::string> TableLines(const std::string& text) {
  std::vector<std::string> table;
  for (const std::string& line : Lines(text)) {
    if (table.empty() && !line.starts_with("TICKER")) continue;
    if (!table.empty() && (line.empty() || line.starts_with("run ") || line.starts_with("note:") ||
                           Contains(line, " passed; --all"))) {
      break;
    }
    table.push_back(line);
  }
  return table;
}

size_t Count(const std::string& text, std::string_view part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

TEST(CliTest, GlobalOptionsWorkBeforeOrAfterTheSubcommand) {
  auto r = RunStratrun({"list", "--plugins", kGoodPluginDir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "c_minimal")) << r.out;

  // Before and after add up: --plugins is repeatable on either side.
  r = RunStratrun({"--plugins", kGoodPluginDir.string(), "list", "--json", "--plugins", kBrokenPluginDir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.out;
  EXPECT_TRUE(Contains(r.out, "\"c_minimal\"")) << r.out;
  EXPECT_EQ(doc["rejected"].Size(), 11u);

  r = RunStratrun({"describe", "c_minimal", "--plugins", kGoodPluginDir.string(), "--log-level", "error"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunStratrun({"run", "c_minimal", "--tickers", "AAPL", "--progress", "none", "--plugins", kGoodPluginDir.string(),
                   "--log-level", "warn", "--output", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  testing::TempDir dir;
  r = RunStratrun({"data", "synth", "--out", (dir.path() / "d").string(), "--tickers", "2", "--days", "10",
                   "--log-level", "error"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunStratrun({"runs", "--db", (dir.path() / "runs.db").string(), "--log-level", "loud"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--log-level: expected debug, info, warn, error or off (got 'loud')")) << r.err;
  r = RunStratrun({"list", "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("\\d+\\.\\d+\\.\\d+\n"))) << r.out;
}

TEST(CliTest, ServeTakesGlobalOptionsAfterTheSubcommand) {
  testing::TempDir dir;
  // DESIGN.md's own form: `stratrun serve --plugins DIR`.
  testing::ServerProcess server(dir.path() / "runs.db", {"--plugins", kGoodPluginDir.string(), "--log-level", "info"},
                                /*plugin_dirs=*/{});
  ASSERT_TRUE(server.ok()) << server.Output();
  auto strategies = testing::Json(server.Get("/api/strategies").body);
  ASSERT_TRUE(strategies.IsObject() && strategies["strategies"].IsArray());
  std::vector<std::string> codes;
  for (const auto& s : strategies["strategies"].GetArray()) codes.emplace_back(s["code"].GetString());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "c_minimal"), codes.end());
}

TEST(CliTest, ARunLogUrlNoStoreTakesIsRefusedByNameAndNothingIsCreated) {
  testing::TempDir cwd;
  const std::string refused = "the run log is an SQLite file or a postgresql:// URI";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"mysql://stratrun:secret@db.example/runs", "--db mysql://…: " + refused + " (MySQL is not supported)"},
      {"pgsql://stratrun:secret@db.example/runs", "--db pgsql://…: " + refused + " (write postgresql:// for PostgreSQL)"},
      {"PostgreSQL://stratrun:secret@db.example/runs",
       "--db postgresql://…: " + refused + " (write postgresql:// in lower case)"},
      {"http://secret.example/runs.db", "--db http://…: " + refused + " (http:// URLs are not supported)"},
      {"sqlite:///secret/runs.db", "--db sqlite://…: " + refused + " (give the file's path itself"},
  };
  for (const auto& [url, message] : cases) {
    for (std::vector<std::string> command : std::vector<std::vector<std::string>>{
             {"run", "sma_trend", "--tickers", "AAPL", "--progress", "none"},
             {"runs"},
             {"results", "0123abcd"},
             {"db", "migrate"},
             {"serve", "--port", "0", "--no-restart"}}) {
      command.insert(command.end(), {"--db", url});
      auto r = RunInTerminal(command, 200, cwd.path());
      EXPECT_EQ(r.exit_code, 2) << command[0] << " " << url << ": " << r.screen;
      EXPECT_TRUE(Contains(r.screen, "stratrun: " + message)) << r.screen;
      EXPECT_FALSE(Contains(r.screen, "secret")) << "a URL may hold a password: " << r.screen;
    }
  }
  // Nor does a PostgreSQL URI name a file: an unreachable server creates nothing either.
  auto unreachable = RunInTerminal({"runs", "--db", "postgresql://u:secret@/runs?host=/nonexistent"}, 200, cwd.path());
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.screen;
  EXPECT_TRUE(Contains(unreachable.screen, "cannot connect to PostgreSQL at postgresql://u@/runs?host=/nonexistent"))
      << unreachable.screen;
  EXPECT_TRUE(std::filesystem::is_empty(cwd.path())) << "no folder named after the URL";

  auto r = RunStratrun({"runs"}, {"STRATRUN_DB=mysql://localhost/runs"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "STRATRUN_DB mysql://…: " + refused)) << r.err;
}

TEST(CliTest, AFileUriNamesTheRunLogFile) {
  testing::TempDir dir;
  const auto db = dir.path() / "my runs.db";
  auto r = RunStratrun({"run", "sma_trend", "--tickers", "AAPL", "--progress", "none", "--db",
                        "file://" + (dir.path() / "my%20runs.db").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(db));
  r = RunStratrun({"runs", "--db", db.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "\"sma_trend\"")) << r.out;
  r = RunStratrun({"runs", "--db", "file://fileserver/runs.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "only local files are supported")) << r.err;
  r = RunStratrun({"runs", "--db", "file:" + db.string() + "?mode=ro"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "query and fragment parts are not supported")) << r.err;
}

/// A finished run logged straight into `db`, with one result row per ticker.
void LogRun(const std::filesystem::path& db, const std::string& run_id, std::chrono::seconds took = std::chrono::seconds(3)) {
  auto store = RunStore::Open(db);
  ASSERT_TRUE(store) << store.status().message();
  const auto now = std::chrono::system_clock::now();
  RunRecord run{.run_id = run_id,
                .strategy_code = "sma_trend",
                .plugin_version = "1.0.0",
                .status = RunState::kCompleted,
                .created_at = now - took,
                .started_at = now - took,
                .finished_at = now,
                .total_items = 2,
                .completed_items = 2,
                .result_count = 2,
                .passed_count = 1};
  ASSERT_TRUE((*store)->CreateRun(run).ok());
  const std::vector<ResultRow> rows = {
      {.ticker = "AAPL", .score = 70, .passed = true, .metrics = {{"rsi14", 61.5}}, .reasons = {"+ trend"}},
      {.ticker = "MSFT", .score = 40, .passed = false, .metrics = {{"rsi14", 80.25}}, .reasons = {"- trend"}}};
  ASSERT_TRUE((*store)->AppendResults(run_id, rows).ok());
}

TEST(CliTest, ResultsTakesAnyUniquePrefixOfARunId) {
  testing::TempDir dir;
  const auto db = dir.path() / "runs.db";
  LogRun(db, "aaaa1111-0000-4000-8000-000000000001");
  LogRun(db, "aaaa2222-0000-4000-8000-000000000002");

  auto listed = RunStratrun({"runs", "--db", db.string()});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(Contains(listed.out, "aaaa1111 ")) << listed.out;
  auto whole = RunStratrun({"results", "aaaa1111-0000-4000-8000-000000000001", "--db", db.string(), "--output", "csv"});
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  for (const char* prefix : {"aaaa1111", "aaaa1"}) {
    auto r = RunStratrun({"results", prefix, "--db", db.string(), "--output", "csv"});
    ASSERT_EQ(r.exit_code, 0) << prefix << ": " << r.err;
    EXPECT_EQ(r.out, whole.out);
    EXPECT_TRUE(Contains(r.err, "run aaaa1111-0000-4000-8000-000000000001: sma_trend")) << r.err;
  }
  auto ambiguous = RunStratrun({"results", "aaaa", "--db", db.string()});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_TRUE(Contains(ambiguous.err, "run id 'aaaa' is ambiguous")) << ambiguous.err;
  EXPECT_TRUE(Contains(ambiguous.err, "aaaa1111-0000-4000-8000-000000000001")) << ambiguous.err;
  EXPECT_TRUE(Contains(ambiguous.err, "aaaa2222-0000-4000-8000-000000000002")) << ambiguous.err;
  EXPECT_TRUE(ambiguous.out.empty()) << ambiguous.out;
  auto unknown = RunStratrun({"results", "bbbb", "--db", db.string()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_TRUE(Contains(unknown.err, "unknown run 'bbbb' (see `stratrun runs`)")) << unknown.err;
}

TEST(CliTest, HelpReadsLikeAManPageAndPrintsNothingElse) {
  for (std::vector<std::string> command : std::vector<std::vector<std::string>>{
           {}, {"list"}, {"describe"}, {"run"}, {"runs"}, {"results"}, {"serve"}, {"data"}, {"data", "synth"},
           {"db"}, {"db", "migrate"}}) {
    const std::string name = command.empty() ? "stratrun" : command.back();
    command.insert(command.begin(), {"--plugins", kBrokenPluginDir.string()});
    command.insert(command.end(), {"--help", "--plugins", kBrokenPluginDir.string()});
    auto r = RunStratrun(command);
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_TRUE(r.err.empty()) << name << ": help prints nothing else: " << r.err;
    EXPECT_TRUE(Contains(r.out, "Usage: stratrun")) << r.out;
    EXPECT_FALSE(Contains(r.out, "not_elf.so")) << name << ": no plugin was loaded for help:\n" << r.out;
    for (const char* internal : {"ENUM", "->", "TEXT", "INT", "UINT", "{false}", "{true}", "[1 - ", " in {", "PATH("}) {
      EXPECT_FALSE(Contains(r.out, internal)) << name << " --help shows '" << internal << "':\n" << r.out;
    }
  }
  auto r = RunStratrun({"results", "--help"});
  EXPECT_TRUE(Contains(r.out, "--output FORMAT")) << r.out;
  EXPECT_TRUE(Contains(r.out, "table, json or csv (default table)")) << r.out;
  EXPECT_TRUE(Contains(r.out, "--plugins DIR")) << "the global options are mentioned: " << r.out;
  r = RunStratrun({"results", "x", "--output", "xml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--output: expected table, json or csv (got 'xml')")) << r.err;
}

TEST(CliTest, ARejectedPluginIsShownOnceInATerminal) {
  auto r = RunInTerminal({"--plugins", kBrokenPluginDir.string(), "list"}, 200);
  ASSERT_EQ(r.exit_code, 0) << r.screen;
  EXPECT_EQ(Count(r.screen, "not_elf.so"), 1u) << r.screen;
  EXPECT_EQ(Count(r.screen, "bad_schema.so"), 1u) << r.screen;

  // A command that does not list plugins says only what matters to it.
  r = RunInTerminal({"--plugins", kBrokenPluginDir.string(), "describe", "nope"}, 200);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(Count(r.screen, "not_elf.so"), 0u) << r.screen;
  EXPECT_TRUE(Contains(r.screen, "11 plugin files were rejected: `stratrun list` says why")) << r.screen;
  r = RunInTerminal({"--plugins", kBrokenPluginDir.string(), "describe", "sma_trend"}, 200);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(Contains(r.screen, "rejected")) << r.screen;
  // With --log-level info the registry's own lines come too, as asked.
  r = RunInTerminal({"--plugins", kBrokenPluginDir.string(), "describe", "sma_trend", "--log-level", "info"}, 200);
  EXPECT_TRUE(Contains(r.screen, "not_elf.so")) << r.screen;
}

TEST(CliTest, RunShowsThePassingRowsAndASummaryAndEveryRowWithAll) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "runs.db").string();
  auto r = RunStratrun({"run", "sma_trend", "--universe", "all", "--progress", "none", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = TableLines(r.out);
  ASSERT_FALSE(rows.empty()) << r.out;
  EXPECT_TRUE(rows[0].starts_with("TICKER")) << rows[0];
  EXPECT_TRUE(Contains(rows[0], "SCORE")) << "the column the rows are sorted by: " << rows[0];
  rows.erase(rows.begin());
  for (const auto& row : rows) EXPECT_TRUE(Contains(row, " yes ")) << row;
  std::smatch summary;
  ASSERT_TRUE(std::regex_search(r.out, summary, std::regex("\n(\\d+) of (\\d+) passed; --all shows every row\n")))
      << r.out;
  EXPECT_EQ(summary[1].str(), std::to_string(rows.size()));
  EXPECT_GT(std::stoul(summary[2].str()), rows.size()) << "the sample has tickers that fail";
  EXPECT_TRUE(Contains(r.err, summary[2].str() + " results, " + summary[1].str() + " passed")) << r.err;

  auto all = RunStratrun({"run", "sma_trend", "--universe", "all", "--progress", "none", "--db", db, "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(TableLines(all.out).size(), std::stoul(summary[2].str()) + 1) << all.out;
  EXPECT_FALSE(Contains(all.out, "--all shows")) << all.out;
  EXPECT_TRUE(Contains(all.out, " no ")) << all.out;
}

TEST(CliTest, ResultsSortedByAMetricShowItsColumnAndAnUnknownOneIsRefused) {
  testing::TempDir dir;
  const auto db = dir.path() / "runs.db";
  LogRun(db, "cccc0000-0000-4000-8000-000000000001");
  auto r = RunStratrun({"results", "cccc", "--db", db.string(), "--sort", "rsi14"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto table = TableLines(r.out);
  ASSERT_EQ(table.size(), 3u) << r.out;
  EXPECT_TRUE(Contains(table[0], "RSI14")) << table[0];
  EXPECT_TRUE(table[1].starts_with("MSFT") && Contains(table[1], "80.25")) << r.out;
  EXPECT_TRUE(table[2].starts_with("AAPL") && Contains(table[2], "61.5")) << r.out;
  r = RunStratrun({"results", "cccc", "--db", db.string(), "--sort", "rsi15"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "--sort rsi15: no result has that metric (expected score, ticker, passed, rsi14)"))
      << r.err;
}

TEST(CliTest, ResultTablesFitTheTerminalWithoutWrappingReasons) {
  testing::TempDir dir;
  const std::string db = (dir.path() / "runs.db").string();
  constexpr unsigned short kColumns = 40;
  auto r = RunInTerminal({"run", "sma_trend", "--universe", "all", "--progress", "none", "--db", db, "--all"}, kColumns);
  ASSERT_EQ(r.exit_code, 0) << r.screen;
  auto table = TableLines(r.screen);
  ASSERT_GT(table.size(), 10u) << r.screen;
  size_t cut = 0;
  for (const auto& line : table) {
    EXPECT_LE(Columns(line), kColumns) << line;
    cut += line.ends_with("…");
  }
  EXPECT_GT(cut, 0u) << "sma_trend's reasons are longer than 40 columns: " << r.screen;

  // Piped, the same table keeps every reason whole.
  auto runs = RunStratrun({"runs", "--db", db, "--json"});
  rapidjson::Document doc;
  doc.Parse(runs.out.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 1) << runs.out;
  auto piped = RunStratrun({"results", doc[0]["run_id"].GetString(), "--db", db});
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_FALSE(Contains(piped.out, "…")) << piped.out;
  EXPECT_TRUE(Contains(piped.out, "close near its recent high")) << piped.out;
}

TEST(CliTest, DurationsHaveOneFormatEverywhere) {
  testing::TempDir dir;
  const auto db = dir.path() / "runs.db";
  LogRun(db, "dddd0000-0000-4000-8000-000000000001", std::chrono::seconds(100));
  LogRun(db, "eeee0000-0000-4000-8000-000000000001", std::chrono::seconds(9));
  auto runs = RunStratrun({"runs", "--db", db.string()});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_TRUE(Contains(runs.out, " 1 min 40 s ")) << runs.out;
  EXPECT_TRUE(std::regex_search(runs.out, std::regex(" 9\\.\\d s "))) << runs.out;
  auto results = RunStratrun({"results", "dddd", "--db", db.string()});
  EXPECT_TRUE(Contains(results.err, "took 1 min 40 s")) << results.err;
  auto synth = RunStratrun({"data", "synth", "--out", (dir.path() / "d").string(), "--tickers", "2", "--days", "10"});
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  EXPECT_TRUE(std::regex_search(synth.err, std::regex(" in (\\d+ ms|\\d+\\.\\d s) "))) << synth.err;
  for (const std::string& text : {runs.out, results.err, synth.err}) {
    EXPECT_FALSE(Contains(text, "00:01:40")) << text;
    EXPECT_FALSE(std::regex_search(text, std::regex("\\d\\.\\d+s\\b"))) << text;
  }
}

}  // namespace
}  // namespace stratrun
