// Hostile plugins (tests/fixtures/plugins, the "hostile" folder) and the host's answers:
//  - a thread the plugin leaves running calls the host after `run` returned: refused with
//    STRATRUN_RUN_FINISHED, nothing of the ended run touched (under ASan);
//  - ill-formed UTF-8 in every string a plugin hands over: replaced with U+FFFD once, at
//    the ABI boundary, so stored events and results and every API answer are valid;
//  - counts that say more than is true: clamped (at most the total; 100 % only on completed);
//  - a run that calls exit(0) or _exit(3): a crash, the supervisor starts the server again,
//    and after kRunCrashesToQuarantine such runs the file is rejected while the others run;
//  - a process out of file descriptors: its orphan sweep never ends its own live run (nor a
//    run of another live process), and a seq once stored is never written again.
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include <rapidjson/document.h>

#include "common/process_owner.h"
#include "common/sha256.h"
#include "common/utf8.h"
#include "data/synthetic_bars.h"
#include "exec/plugin_run.h"
#include "exec/recovery.h"
#include "http/server_fixture.h"
#include "plugins/load_guard.h"
#include "plugins/plugin_loader.h"
#include "progress/event_stamper.h"
#include "store/run_log_sink.h"
#include "store/run_store.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

using namespace std::chrono_literals;
using testing::Json;
using testing::kGoodPluginDir;
using testing::RecordingSink;
using testing::RunIdOf;
using testing::ServerProcess;
using testing::SseStream;
using testing::TempDir;
using testing::WaitForStatus;

const std::filesystem::path kHostileDir = STRATRUN_TEST_HOSTILE_DIR;
const std::string kFffd = "\xEF\xBF\xBD";

/// True when `text` is valid UTF-8 and valid JSON (RapidJSON checking the encoding too).
::testing::AssertionResult IsValidJson(const std::string& text) {
  if (!IsValidUtf8(text)) return ::testing::AssertionFailure() << "not UTF-8: " << text;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.c_str());
  if (doc.HasParseError()) return ::testing::AssertionFailure() << "not JSON: " << text;
  return ::testing::AssertionSuccess();
}

class HostilePluginTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Plugin> Load(const std::string& name) {
    auto plugin = LoadPlugin(kHostileDir / (name + ".so"), {.cache_dir = cache_.path()});
    EXPECT_TRUE(plugin.ok()) << plugin.status().message();
    return plugin.ok() ? *plugin : nullptr;
  }
  RunOutcome Run(const Plugin& plugin, ProgressSink& sink, std::vector<std::pair<std::string, std::string>> sets = {},
                 const std::string& run_id = "run-1") {
    auto parameters = plugin.schema().ValidateText(sets);
    EXPECT_TRUE(parameters.ok()) << parameters.status().message();
    RunRequest request{.run_id = run_id, .parameters = *parameters, .tickers = {"AAPL"}, .max_workers = 1};
    return RunPlugin(plugin, request, data_, sink, Cancellation{});
  }

  TempDir cache_;
  SyntheticBarSource data_{{.tickers = {"AAPL", "MSFT"}}};
};

// ---- item 14: calls after `run` returned ---------------------------------------------------

TEST_F(HostilePluginTest, CallsFromAThreadThatOutlivesItsRunAreRefusedAndTouchNothing) {
  auto plugin = Load("late_emit");
  ASSERT_TRUE(plugin);
  using ReportFn = void (*)(bool*, int*, int*, int*);
  void* library = dlopen((cache_.path() / (plugin->sha256() + ".so")).c_str(), RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(library, nullptr) << dlerror();
  auto report = reinterpret_cast<ReportFn>(dlsym(library, "late_emit_report"));
  ASSERT_NE(report, nullptr);

  for (int round = 0; round < 3; ++round) {  // each run's handle dies; the next one is new
    RecordingSink sink;
    RunOutcome outcome = Run(*plugin, sink, {}, "late-" + std::to_string(round));
    EXPECT_EQ(outcome.state, RunState::kCompleted) << outcome.message;
    const size_t events_at_end = sink.events().size();

    bool done = false;
    int late_calls = 0, late_refused = 0, accepted_before = 0;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      report(&done, &late_calls, &late_refused, &accepted_before);
      std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(done) << "the plugin's thread never finished";
    EXPECT_GT(late_calls, 0);
    EXPECT_EQ(late_refused, late_calls) << "every call after the run ended is refused with STRATRUN_RUN_FINISHED";

    // Nothing late reached the run: its stream still ends with its one terminal event.
    const auto events = sink.events();
    EXPECT_EQ(events.size(), events_at_end);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().type, EventType::kCompleted);
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].seq, i + 1);
      EXPECT_EQ(IsTerminal(events[i].type), i + 1 == events.size());
    }
    for (const ResultRow& row : sink.results()) EXPECT_NE(row.ticker, "LATE");
  }
  dlclose(library);
}

// ---- item 18: ill-formed UTF-8 -----------------------------------------------------------

TEST_F(HostilePluginTest, IllFormedUtf8IsReplacedAtTheBoundaryInTheDescriptorEventsResultsAndStore) {
  auto plugin = Load("bad_utf8");
  ASSERT_TRUE(plugin);
  for (const std::string& text : {plugin->name(), plugin->description(), plugin->stages().at(0), plugin->schema().ToJson()}) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
    EXPECT_NE(text.find(kFffd), std::string::npos) << text;
  }
  EXPECT_TRUE(IsValidJson(plugin->schema().ToJson()));

  // Through the run log, as a server or the CLI logs a run.
  TempDir dir;
  auto store = RunStore::Open(dir.path() / "runs.db");
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (const bool fail : {false, true}) {
    const std::string run_id = fail ? "utf8-fail" : "utf8-ok";
    RunRecord record{.run_id = run_id, .strategy_code = "bad_utf8", .plugin_version = plugin->version(),
                     .owner = ThisProcessOwner(), .created_at = std::chrono::system_clock::now()};
    ASSERT_TRUE((*store)->CreateRun(record).ok());
    RecordingSink seen;
    RunOutcome outcome;
    {
      RunLogSink log(**store, record);
      outcome = Run(*plugin, log, {{"fail", fail ? "true" : "false"}}, run_id);
      ASSERT_TRUE(log.Flush().ok());
    }
    EXPECT_EQ(outcome.state, fail ? RunState::kError : RunState::kCompleted);
    EXPECT_TRUE(IsValidUtf8(outcome.message)) << outcome.message;

    auto events = (*store)->Events(run_id);
    ASSERT_TRUE(events.ok()) << events.status().message();
    ASSERT_GE(events->size(), 4u);
    bool replaced = false;
    for (const StoredEvent& event : *events) {
      EXPECT_TRUE(IsValidJson(event.json));
      replaced = replaced || event.json.find(kFffd) != std::string::npos;
    }
    EXPECT_TRUE(replaced) << "the plugin's text is kept, with U+FFFD for what was not UTF-8";
    auto results = (*store)->Results(run_id, {});
    ASSERT_TRUE(results.ok()) << results.status().message();
    ASSERT_EQ(results->size(), 1u);
    const ResultRow& row = results->front();
    EXPECT_TRUE(IsValidUtf8(row.ticker)) << row.ticker;
    EXPECT_NE(row.ticker.find(kFffd), std::string::npos);
    ASSERT_EQ(row.metrics.size(), 1u);
    EXPECT_TRUE(IsValidUtf8(row.metrics[0].first));
    ASSERT_EQ(row.reasons.size(), 1u);
    EXPECT_TRUE(IsValidUtf8(row.reasons[0]));
    auto stored = (*store)->GetRun(run_id);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_TRUE(IsValidUtf8((*stored)->error_message)) << (*stored)->error_message;
    EXPECT_TRUE(IsValidUtf8((*stored)->current_stage)) << (*stored)->current_stage;
  }
}

// ---- item 19: counts that say too much -----------------------------------------------------

TEST_F(HostilePluginTest, CountsAreClampedAndOnlyACompletedRunShowsOneHundredPercent) {
  auto plugin = Load("overcount");
  ASSERT_TRUE(plugin);
  RecordingSink sink;
  RunOutcome outcome = Run(*plugin, sink);
  EXPECT_EQ(outcome.state, RunState::kCompleted) << outcome.message;
  const auto events = sink.events();
  ASSERT_GE(events.size(), 6u);
  for (const ProgressEvent& event : events) {
    if (event.completed_items && event.total_items) {
      EXPECT_LE(*event.completed_items, *event.total_items) << "seq " << event.seq;
    }
    ASSERT_TRUE(event.progress_percent) << "seq " << event.seq;
    if (event.type == EventType::kCompleted) {
      EXPECT_EQ(*event.progress_percent, 100.0);
    } else {
      EXPECT_LT(*event.progress_percent, 100.0) << "seq " << event.seq << " of a run still running";
      EXPECT_GE(*event.progress_percent, 0.0);
    }
  }
  EXPECT_EQ(events[1].completed_items, 1) << "5 of 1 shows 1 of 1";
}

TEST(EventStamperClampTest, CompletedNeverExceedsTotalAndOnlyCompletedIsOneHundredPercent) {
  EventStamper stamper("r");
  auto stamp = [&](EventType type, std::optional<int64_t> completed, std::optional<int64_t> total,
                   std::optional<double> percent = std::nullopt) {
    ProgressEvent event;
    event.type = type;
    event.completed_items = completed;
    event.total_items = total;
    event.progress_percent = percent;
    stamper.Stamp(event);
    return event;
  };
  auto e = stamp(EventType::kProgress, 5, 1);
  EXPECT_EQ(e.completed_items, 1);
  EXPECT_LT(*e.progress_percent, 100.0);
  e = stamp(EventType::kProgress, std::nullopt, std::nullopt, 100.0);
  EXPECT_LT(*e.progress_percent, 100.0);
  e = stamp(EventType::kError, std::nullopt, std::nullopt);
  EXPECT_LT(*e.progress_percent, 100.0) << "a run that failed at the end did not complete";
  e = stamp(EventType::kProgress, std::nullopt, 10);  // the total grew: the count shows again
  EXPECT_EQ(e.completed_items, 5);
  EXPECT_DOUBLE_EQ(*e.progress_percent, 50.0);
  e = stamp(EventType::kCompleted, std::nullopt, std::nullopt);
  EXPECT_EQ(*e.progress_percent, 100.0);
}

// ---- item 12: out of file descriptors --------------------------------------------------------

RunRecord RunningRun(const std::string& run_id, std::string owner) {
  return {.run_id = run_id,
          .strategy_code = "paced",
          .plugin_version = "1.0.0",
          .status = RunState::kRunning,
          .source = "api",
          .owner = std::move(owner),
          .created_at = std::chrono::system_clock::now(),
          .started_at = std::chrono::system_clock::now(),
          .total_items = 10};
}

ProgressEvent EventOf(const std::string& run_id, uint64_t seq, const std::string& message) {
  ProgressEvent event;
  event.seq = seq;
  event.type = seq == 1 ? EventType::kStarted : EventType::kProgress;
  event.timestamp = std::chrono::system_clock::now();
  event.run_id = run_id;
  event.message = message;
  return event;
}

TEST(OrphanSweepTest, OutOfFileDescriptorsASweepNeverEndsALiveRun) {
  TempDir dir;
  const auto db = dir.path() / "runs.db";
  const std::string parent = ThisProcessOwner();
  {
    auto store = RunStore::Open(db);
    ASSERT_TRUE(store.ok()) << store.status().message();
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child plays a server whose run is running while it has no descriptor to spare.
    int code = 0;
    auto store = RunStore::Open(db);
    if (!store.ok()) _exit(100);
    const std::string self = ThisProcessOwner();
    const std::string gone = parent.substr(0, parent.find('/')) + "/4194305/1";  // above any pid_max
    for (const auto& [id, owner] : {std::pair{"own", self}, std::pair{"parent", parent}, std::pair{"gone", gone}}) {
      if (!(*store)->CreateRun(RunningRun(id, owner)).ok()) _exit(101);
      const ProgressEvent events[] = {EventOf(id, 1, "started"), EventOf(id, 2, "live")};
      if (!(*store)->AppendEvents(events).ok()) _exit(102);
    }
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_cur, 256);  // so that filling the table is quick
    setrlimit(RLIMIT_NOFILE, &limit);
    std::vector<int> hogs;
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) hogs.push_back(fd);
    const int error = errno;
    const bool proc_unreadable = open("/proc/self/stat", O_RDONLY) < 0;
    const std::vector<std::string> ended = EndOrphanedRuns(**store);
    for (int fd : hogs) close(fd);
    if (error != EMFILE || !proc_unreadable) code |= 1;                          // not out of descriptors
    if (std::find(ended.begin(), ended.end(), "own") != ended.end()) code |= 2;     // ended its own live run
    if (std::find(ended.begin(), ended.end(), "parent") != ended.end()) code |= 4;  // ended a live process's run
    if (std::find(ended.begin(), ended.end(), "gone") == ended.end()) code |= 8;    // the sweep did not work at all
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  EXPECT_EQ(code & 1, 0) << "the child never ran out of descriptors";
  EXPECT_EQ(code & 2, 0) << "a process ended its own live run as orphaned";
  EXPECT_EQ(code & 4, 0) << "a live process's run was ended because its owner could not be checked";
  EXPECT_EQ(code & 8, 0) << "a run of a process that is gone (no such pid) is still ended";
  ASSERT_LT(code, 100) << "child setup failed: " << code;

  auto store = RunStore::Open(db);
  ASSERT_TRUE(store.ok());
  for (const char* id : {"own", "parent"}) {
    auto run = (*store)->GetRun(id);
    ASSERT_TRUE(run.ok() && run->has_value());
    EXPECT_EQ((*run)->status, RunState::kRunning) << id;
    auto events = (*store)->Events(id);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 2u) << id;
    EXPECT_NE(events->back().json.find("live"), std::string::npos);
  }
}

TEST(OrphanSweepTest, ASweepNeverTakesItsOwnProcessesRunsForOrphans) {
  RunRecord own = RunningRun("own", ThisProcessOwner());
  EXPECT_FALSE(IsOrphaned(own));
  EXPECT_EQ(OwnerStateOf(own.owner), OwnerState::kAlive);
  EXPECT_TRUE(IsThisProcess(own.owner));
  EXPECT_EQ(OwnerStateOf("garbage"), OwnerState::kUnknown);
  EXPECT_FALSE(IsOrphaned(RunningRun("bad", "garbage"))) << "cannot tell is not dead";
}

TEST(RunLogFencingTest, AStoredSeqIsNeverWrittenAgainByAnotherWriter) {
  TempDir dir;
  auto opened = RunStore::Open(dir.path() / "runs.db");
  ASSERT_TRUE(opened.ok());
  RunStore& store = **opened;
  RunRecord live = RunningRun("r", ThisProcessOwner());
  ASSERT_TRUE(store.CreateRun(live).ok());
  const ProgressEvent first[] = {EventOf("r", 1, "started"), EventOf("r", 2, "live two"), EventOf("r", 3, "live three")};
  ASSERT_TRUE(store.AppendBatch(live, first, {}).ok());
  EXPECT_TRUE(store.AppendBatch(live, first, {}).ok()) << "the same events again (a retried batch) are a no-op";

  // A second writer with a terminal event at an existing seq is refused; the event stays.
  ProgressEvent other = EventOf("r", 3, "recovery's terminal event");
  other.type = EventType::kError;
  const ProgressEvent clash[] = {other};
  Status refused = store.AppendBatch(live, clash, {});
  EXPECT_EQ(refused.code(), StatusCode::kAlreadyExists) << refused.message();
  auto events = store.Events("r");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_NE(events->back().json.find("live three"), std::string::npos) << events->back().json;
  EXPECT_EQ(events->back().type, EventType::kProgress);

  // Once another process claimed the run, the old writer may not add to it (nor rewrite it).
  RunRecord claimed = live;
  auto claim = store.ClaimRun(claimed, "another-process");
  ASSERT_TRUE(claim.ok() && *claim);
  const ProgressEvent late[] = {EventOf("r", 4, "late")};
  Status fenced = store.AppendBatch(live, late, {});
  EXPECT_EQ(fenced.code(), StatusCode::kFailedPrecondition) << fenced.message();
  events = store.Events("r");
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 3u) << "the fenced batch left nothing";
  EXPECT_TRUE(store.AppendBatch(claimed, late, {}).ok()) << "the new owner may";
}

// ---- end to end: the real server -------------------------------------------------------------

/// Waits until the server answers /api/health again.
bool WaitForHealth(const ServerProcess& server, std::chrono::milliseconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (server.Get("/api/health").status == 200) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

/// The rejection reason of the file named `file` in /api/strategies, or "".
std::string RejectionOf(const ServerProcess& server, const std::string& file) {
  auto doc = Json(server.Get("/api/strategies").body);
  if (!doc.IsObject() || !doc.HasMember("rejected")) return "";
  for (const auto& r : doc["rejected"].GetArray()) {
    if (std::string(r["file"].GetString()).ends_with(file)) return r["reason"].GetString();
  }
  return "";
}

class HostilePluginServeTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path db_ = dir_.path() / "runs.db";
};

TEST_F(HostilePluginServeTest, WithoutIsolationAPluginsExitIsACrashTheServerComesBackAndARepeatOffenderIsQuarantined) {
  // Plugins run inside the server (with isolation, tests/http/isolation_test.cpp).
  ServerProcess server(db_, {"--isolation", "none"}, {kGoodPluginDir.string(), kHostileDir.string()});
  ASSERT_TRUE(server.ok()) << server.Output();

  // _exit(3) and exit(0) alike end the server: each is a crash, and the server comes back,
  // also after 5 crashes within a minute (the supervisor gives up on plugins, not the service).
  const std::vector<std::string> codes = {"underscore_exit_on_run", "exit_on_run", "underscore_exit_on_run",
                                          "exit_on_run", "exit_on_run"};
  static_assert(kRunCrashesToQuarantine == 3, "exit_on_run crashes 3 times below");
  for (const std::string& code : codes) {
    const std::string run_id = RunIdOf(server.Post("/api/strategies/execute", R"({"strategy_code":")" + code + "\"}"));
    ASSERT_FALSE(run_id.empty()) << server.Output();
    ASSERT_TRUE(WaitForStatus(server, run_id, "error")) << server.Output();
    auto run = Json(server.Get("/api/strategies/runs/" + run_id).body);
    EXPECT_STREQ(run["error"]["code"].GetString(), "interrupted");
  }
  ASSERT_TRUE(WaitForHealth(server)) << server.Output();

  // exit_on_run.so killed 3 servers: rejected, with the reason; everything else is served.
  const std::string reason = RejectionOf(server, "/exit_on_run.so");
  EXPECT_NE(reason.find("its runs killed the process: 3 of its runs ended their stratrun process"), std::string::npos)
      << reason << "\n" << server.Output();
  EXPECT_EQ(server.Post("/api/strategies/execute", R"({"strategy_code":"exit_on_run"})").status, 404);
  EXPECT_EQ(RejectionOf(server, "/underscore_exit_on_run.so"), "") << "two crashes do not quarantine a file";
  const std::string next = RunIdOf(server.Post(
      "/api/strategies/execute", R"({"strategy_code":"paced","parameters":{"events":5,"rate_per_second":1000}})"));
  EXPECT_TRUE(WaitForStatus(server, next, "completed")) << server.Output();

  const std::string output = server.Output();
  EXPECT_NE(output.find("exited with code 0 without being asked to"), std::string::npos) << output;
  EXPECT_NE(output.find("exited with code 3 without being asked to"), std::string::npos) << output;
  EXPECT_NE(output.find("quarantined"), std::string::npos) << output;
  EXPECT_EQ(output.find("giving up"), std::string::npos) << output;
  EXPECT_EQ(server.Stop().exit_code, 0) << "a stop asked for is still a clean exit";
}

TEST_F(HostilePluginServeTest, AThreadCallingTheHostAfterItsRunDoesNotHurtTheServer) {
  ServerProcess server(db_, {}, {kHostileDir.string()});
  ASSERT_TRUE(server.ok()) << server.Output();
  for (int round = 0; round < 2; ++round) {
    const std::string run_id = RunIdOf(server.Post("/api/strategies/execute", R"({"strategy_code":"late_emit"})"));
    ASSERT_FALSE(run_id.empty()) << server.Output();
    ASSERT_TRUE(WaitForStatus(server, run_id, "completed")) << server.Output();
    SseStream replay(server.port(), "/api/strategies/sse/" + run_id + "?last_event_id=0");
    auto events = replay.ReadToEnd();
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().event, "completed") << "exactly one terminal event, last";
    for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].id, std::to_string(i + 1));
  }
  EXPECT_EQ(server.Get("/api/health").status, 200);
  EXPECT_EQ(server.Output().find("starting it again"), std::string::npos) << server.Output();
  auto stopped = server.Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
}

TEST_F(HostilePluginServeTest, IllFormedUtf8FromAPluginNeverReachesTheApi) {
  ServerProcess server(db_, {}, {kHostileDir.string()});
  ASSERT_TRUE(server.ok()) << server.Output();
  auto strategies = server.Get("/api/strategies");
  EXPECT_TRUE(IsValidJson(strategies.body));
  EXPECT_NE(strategies.body.find("Bad UTF-8"), std::string::npos);
  EXPECT_TRUE(IsValidJson(server.Get("/api/strategies/bad_utf8").body));

  for (const bool fail : {false, true}) {
    const std::string run_id = RunIdOf(server.Post(
        "/api/strategies/execute",
        std::string(R"({"strategy_code":"bad_utf8","parameters":{"fail":)") + (fail ? "true" : "false") + "}}"));
    ASSERT_FALSE(run_id.empty()) << server.Output();
    ASSERT_TRUE(WaitForStatus(server, run_id, fail ? "error" : "completed")) << server.Output();
    const std::string base = "/api/strategies/runs/" + run_id;
    for (const std::string& target : {base, base + "/status", base + "/events", base + "/results",
                                      std::string("/api/strategies/runs"), std::string("/api/strategies/queue")}) {
      auto answer = server.Get(target);
      EXPECT_EQ(answer.status, 200) << target;
      EXPECT_TRUE(IsValidJson(answer.body)) << target;
    }
    auto csv = server.Get(base + "/results?format=csv");
    EXPECT_EQ(csv.status, 200);
    EXPECT_TRUE(IsValidUtf8(csv.body)) << csv.body;
    EXPECT_NE(csv.body.find(kFffd), std::string::npos) << csv.body;
    SseStream replay(server.port(), "/api/strategies/sse/" + run_id + "?last_event_id=0");
    auto events = replay.ReadToEnd();
    ASSERT_GE(events.size(), 3u);
    for (const auto& event : events) EXPECT_TRUE(IsValidJson(event.data)) << event.data;
  }
  EXPECT_EQ(server.Stop().exit_code, 0);
}

}  // namespace
}  // namespace stratrun
