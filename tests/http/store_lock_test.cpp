// While another process holds the run log's write lock (`sqlite3 runs.db` with `BEGIN
// IMMEDIATE` left open), the server keeps answering: /api/health, a run's status and its
// events come back at once, not after the store's busy retries. What the running run
// logged meanwhile is written once the lock is released, nothing lost.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>
#include <thread>

#include "http/server_fixture.h"

namespace stratrun {
namespace {

using namespace std::chrono_literals;
using testing::Json;
using testing::ServerProcess;
using testing::WaitForStatus;

/// Far below sqlite::kBusyRetryLimit (30 s) and the busy timeout (5 s): an answer this
/// fast did not wait for the lock.
constexpr auto kAnswerDeadline = 3s;

std::string Submit(const ServerProcess& server, int events, int rate) {
  auto doc = Json(server.Post("/api/strategies/execute", R"({"strategy_code":"paced","parameters":{"events":)" +
                                                             std::to_string(events) + R"(,"rate_per_second":)" +
                                                             std::to_string(rate) + "}}")
                      .body);
  return doc.IsObject() && doc.HasMember("run_id") ? doc["run_id"].GetString() : "";
}

/// GET `target`, failing the test unless a 200 comes back within kAnswerDeadline.
rapidjson::Document GetFast(const ServerProcess& server, const std::string& target) {
  const auto start = std::chrono::steady_clock::now();
  auto response = server.Get(target);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response.status, 200) << target << ": " << response.body;
  EXPECT_LT(took, kAnswerDeadline) << target << " waited for the outside write lock";
  return Json(response.body);
}

int64_t CompletedItems(const rapidjson::Document& status) {
  return status.IsObject() && status.HasMember("completed_items") && status["completed_items"].IsInt64()
             ? status["completed_items"].GetInt64()
             : -1;
}

TEST(StoreLockTest, HealthAndStatusAnswerWhileAnotherProcessHoldsTheWriteLockAndNothingIsLost) {
  testing::TempDir dir;
  const auto db_path = dir.path() / "runs.db";
  ServerProcess server(db_path);
  ASSERT_TRUE(server.ok()) << server.Output();

  // A finished run, never polled yet (so its status is read from the run log), and a
  // running one that keeps logging events while the lock is held.
  const std::string finished = Submit(server, 20, 1000);
  ASSERT_FALSE(finished.empty());
  ASSERT_TRUE(server.Get("/api/health").status == 200);
  const std::string running = Submit(server, 300, 100);
  ASSERT_FALSE(running.empty());
  ASSERT_TRUE(WaitForStatus(server, running, "running")) << server.Output();
  // `finished` ran first (one worker or not, it is far shorter): wait via its events,
  // which do not fill the status cache.
  for (const auto deadline = std::chrono::steady_clock::now() + 60s;;) {
    auto events = Json(server.Get("/api/strategies/runs/" + finished + "/events").body);
    if (events.IsObject() && events.HasMember("status") && std::string(events["status"].GetString()) == "completed") {
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "run " << finished << " did not complete";
    std::this_thread::sleep_for(20ms);
  }

  sqlite3* outside = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &outside, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(outside, 20000);  // the server's writer may hold the lock for a moment
  ASSERT_EQ(sqlite3_exec(outside, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(outside);

  GetFast(server, "/api/strategies/runs/" + running + "/status");
  const int64_t at_lock = CompletedItems(GetFast(server, "/api/strategies/runs/" + running));
  {
    auto status = GetFast(server, "/api/strategies/runs/" + finished + "/status");
    ASSERT_TRUE(status.IsObject() && status.HasMember("status"));
    EXPECT_STREQ(status["status"].GetString(), "completed");
  }
  // Keep asking while the running run goes on (its log writes now wait for the lock),
  // until it has visibly moved on or a few seconds passed.
  for (const auto until = std::chrono::steady_clock::now() + 3s; std::chrono::steady_clock::now() < until;) {
    auto health = GetFast(server, "/api/health");
    ASSERT_TRUE(health.IsObject() && health.HasMember("status"));
    EXPECT_STREQ(health["status"].GetString(), "ok");
    GetFast(server, "/api/strategies/runs/" + finished + "/status");
    GetFast(server, "/api/strategies/runs/" + finished + "/events");
    GetFast(server, "/api/strategies/runs/" + running + "/status");
    const int64_t now = CompletedItems(GetFast(server, "/api/strategies/runs/" + running));
    if (now >= at_lock + 50) break;
  }

  ASSERT_EQ(sqlite3_exec(outside, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(outside);
  sqlite3_close_v2(outside);

  ASSERT_TRUE(WaitForStatus(server, running, "completed")) << server.Output();
  // Every event of the running run is in the log: seqs 1.. without a gap, started first,
  // the 300 tickers, completed last; and all 300 result rows.
  auto events = Json(server.Get("/api/strategies/runs/" + running + "/events?limit=10000").body);
  ASSERT_TRUE(events.IsObject() && events.HasMember("events") && events["events"].IsArray());
  const auto& list = events["events"];
  ASSERT_GE(list.Size(), 302u) << server.Output();
  int tickers = 0;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    ASSERT_EQ(list[i]["seq"].GetUint64(), i + 1u);
    if (std::string(list[i]["event_type"].GetString()) == "ticker_completed") ++tickers;
  }
  EXPECT_EQ(tickers, 300);
  EXPECT_STREQ(list[0]["event_type"].GetString(), "started");
  EXPECT_STREQ(list[list.Size() - 1]["event_type"].GetString(), "completed");
  EXPECT_EQ(CompletedItems(GetFast(server, "/api/strategies/runs/" + running)), 300);
  auto results = Json(server.Get("/api/strategies/runs/" + running + "/results?limit=1").body);
  ASSERT_TRUE(results.IsObject() && results.HasMember("total"));
  EXPECT_EQ(results["total"].GetInt64(), 300);
}

}  // namespace
}  // namespace stratrun
