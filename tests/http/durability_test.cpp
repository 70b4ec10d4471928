// What a live viewer is shown is what the run log keeps: after a `kill -9` of the server
// in the middle of a fast run, every event an SSE client received is in the log with the
// same seq and the same content, and the run's counts are never below what it showed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "http/server_fixture.h"

namespace stratrun {
namespace {

using testing::Json;
using testing::ServerProcess;
using testing::SseEvent;
using testing::SseStream;

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
  // The killed server's run ends `interrupted` at the restart or, if the kernel had not yet
  // reaped the old process then, at the next orphan sweep.
  rapidjson::Document run;
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);;) {
    run = Json(restarted.Get("/api/strategies/runs/" + run_id).body);
    ASSERT_TRUE(run.IsObject() && run.HasMember("status")) << restarted.Output();
    if (std::string(run["status"].GetString()) == "error" || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_STREQ(run["status"].GetString(), "error");
  EXPECT_GE(run["completed_items"].GetInt64(), shown_completed) << "the log keeps at least what the page showed";
  EXPECT_GE(run["passed_count"].GetInt64(), shown_passed);
  EXPECT_GE(run["result_count"].GetInt64(), shown_completed);

  SseStream replay(restarted.port(), "/api/strategies/sse/" + run_id + "?last_event_id=0");
  std::map<std::string, std::string> logged;
  for (const auto& e : replay.ReadToEnd()) logged[e.id] = e.data;
  for (const auto& e : seen) {
    auto it = logged.find(e.id);
    ASSERT_NE(it, logged.end()) << "event " << e.id << " was shown live but is not in the log";
    EXPECT_EQ(it->second, e.data) << "event " << e.id << " was renumbered or rewritten";
  }
}

}  // namespace
}  // namespace stratrun
