// What a live viewer is shown is what the run log keeps: after a `kill -9` of the server
// in the middle of a fast run, every event an SSE client received is in the log with the
// same seq and the same content, and the run's counts are never below what it showed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "http/server_fixture.h"

namespace stratrun {
namespace {

using testing::Json;
using testing::ServerProcess;
using testing::SseEvent;
using testing::SseStream;

const std::filesystem::path kHostileDir = STRATRUN_TEST_HOSTILE_DIR;

/// Resident memory of a process (VmRSS), in bytes; 0 when it cannot be read.
size_t ResidentBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) return static_cast<size_t>(std::stoull(line.substr(6))) * 1024;
  }
  return 0;
}

/// Waits (up to 30 s) until the restarted server has ended the killed server's run: at the
/// restart or, if the kernel had not yet reaped the old process then, at the next orphan
/// sweep.
rapidjson::Document EndedRun(ServerProcess& restarted, const std::string& run_id) {
  rapidjson::Document run;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);;) {
    run = Json(restarted.Get("/api/strategies/runs/" + run_id).body);
    if (!run.IsObject() || !run.HasMember("status")) return run;
    if (std::string(run["status"].GetString()) == "error" || std::chrono::steady_clock::now() > deadline) return run;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// Every event in `seen` is in the restarted server's log under the same seq, unchanged.
void ExpectEverySeenEventLogged(ServerProcess& restarted, const std::string& run_id, const std::vector<SseEvent>& seen) {
  SseStream replay(restarted.port(), "/api/strategies/sse/" + run_id + "?last_event_id=0");
  std::map<std::string, std::string> logged;
  for (const auto& e : replay.ReadToEnd()) logged[e.id] = e.data;
  for (const auto& e : seen) {
    auto it = logged.find(e.id);
    ASSERT_NE(it, logged.end()) << "event " << e.id << " was shown live but is not in the log";
    EXPECT_EQ(it->second, e.data) << "event " << e.id << " was renumbered or rewritten";
  }
}

TEST(DurabilityTest, AfterAKillMinus9EveryEventAClientSawIsInTheLogUnchanged) {
  testing::TempDir dir;
  const auto db = dir.path() / "runs.db";
  std::string run_id;
  std::vector<SseEvent> seen;
  {
    ServerProcess server(db);
    ASSERT_TRUE(server.ok()) << server.Output();
    // Fast enough that the log always has a batch in flight when the kill lands.
    auto started = Json(server.Post("/api/strategies/execute",
                                    R"({"strategy_code":"paced","parameters":{"events":1000000,"rate_per_second":5000}})")
                            .body);
    ASSERT_TRUE(started.IsObject() && started.HasMember("run_id"));
    run_id = started["run_id"].GetString();
    SseStream stream(server.port(), "/api/strategies/sse/" + run_id);
    while (seen.size() < 2000) {
      auto event = stream.Next();
      ASSERT_TRUE(event) << "the stream ended early after " << seen.size() << " events";
      seen.push_back(*event);
    }
    server.Kill();  // at once: no time for the log to catch up
  }
  int64_t shown_completed = 0, shown_passed = 0;
  for (const auto& e : seen) {
    auto data = Json(e.data);
    if (data.HasMember("completed_items")) shown_completed = std::max(shown_completed, data["completed_items"].GetInt64());
    shown_passed = std::max(shown_passed, data["metrics"]["passed_count"].GetInt64());
  }
  ASSERT_GT(shown_completed, 1000);

  ServerProcess restarted(db);
  ASSERT_TRUE(restarted.ok()) << restarted.Output();
  const rapidjson::Document run = EndedRun(restarted, run_id);
  ASSERT_TRUE(run.IsObject() && run.HasMember("status")) << restarted.Output();
  EXPECT_STREQ(run["status"].GetString(), "error");
  EXPECT_GE(run["completed_items"].GetInt64(), shown_completed) << "the log keeps at least what the page showed";
  EXPECT_GE(run["passed_count"].GetInt64(), shown_passed);
  EXPECT_GE(run["result_count"].GetInt64(), shown_completed);

  ExpectEverySeenEventLogged(restarted, run_id, seen);
}

// A plugin that emits 2 kB events as fast as it can, faster than the log writes them, is
// held back at its emit: the server's memory stays bounded while the plugin keeps trying
// (without the push-back it grew by 400 MiB here), and after a kill -9 every event a
// client saw is in the log unchanged.
TEST(DurabilityTest, AFloodFasterThanTheDiskIsHeldBackWithBoundedMemoryAndAKillLosesNothingShown) {
  testing::TempDir dir;
  const auto db = dir.path() / "runs.db";
  // A small ASan quarantine, so that resident memory measures what the server holds.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string asan_options =
      std::string("ASAN_OPTIONS=") + (asan != nullptr ? std::string(asan) + ":" : "") + "quarantine_size_mb=16";
  std::string run_id;
  std::vector<SseEvent> seen;
  size_t baseline = 0, peak = 0;
  {
    ServerProcess server(db, {}, {kHostileDir.string()}, {asan_options});
    ASSERT_TRUE(server.ok()) << server.Output();
    const pid_t pid = server.ServerPid();
    baseline = ResidentBytes(pid);
    ASSERT_GT(baseline, 0u);
    constexpr int64_t kEvents = 5'000'000;  // 10 GB of messages: it never ends by itself here
    auto started = Json(server.Post("/api/strategies/execute",
                                    R"({"strategy_code":"flood","parameters":{"events":5000000,"message_bytes":2000}})")
                            .body);
    ASSERT_TRUE(started.IsObject() && started.HasMember("run_id")) << server.Output();
    run_id = started["run_id"].GetString();
    SseStream stream(server.port(), "/api/strategies/sse/" + run_id);
    while (seen.size() < 15'000) {
      auto event = stream.Next();
      ASSERT_TRUE(event) << "the stream ended early after " << seen.size() << " events";
      seen.push_back(*event);
      if (seen.size() % 1000 == 0) peak = std::max(peak, ResidentBytes(pid));
    }
    auto status = Json(server.Get("/api/strategies/runs/" + run_id).body);
    ASSERT_LT(status["completed_items"].GetInt64(), kEvents) << "the flood must still be running at the kill";
    server.Kill();
  }
  // What the plugin says of its emits, for the failure message.
  long long blocked_ms = 0, elapsed_ms = 0;
  ASSERT_EQ(std::sscanf(Json(seen.back().data)["message"].GetString(), "blocked_ms=%lld elapsed_ms=%lld", &blocked_ms,
                        &elapsed_ms),
            2);
  EXPECT_LT(peak - std::min(peak, baseline), size_t{200} << 20)
      << "resident memory grew from " << (baseline >> 20) << " MiB to " << (peak >> 20) << " MiB; the plugin was blocked in emit "
      << blocked_ms << " of " << elapsed_ms << " ms";

  ServerProcess restarted(db, {}, {kHostileDir.string()});
  ASSERT_TRUE(restarted.ok()) << restarted.Output();
  const rapidjson::Document run = EndedRun(restarted, run_id);
  ASSERT_TRUE(run.IsObject() && run.HasMember("status")) << restarted.Output();
  EXPECT_STREQ(run["status"].GetString(), "error");
  ExpectEverySeenEventLogged(restarted, run_id, seen);
}

}  // namespace
}  // namespace stratrun
