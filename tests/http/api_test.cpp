// The HTTP API end to end: a real `stratrun serve` on loopback, a real HTTP client, a real
// SQLite file and real plugins.
#include <gtest/gtest.h>

#include <thread>

#include <rapidjson/document.h>

#include "http/server_fixture.h"

namespace stratrun {
namespace {

using namespace std::chrono_literals;
using testing::HttpRequest;
using testing::RawExchange;
using testing::Json;
using testing::kBrokenPluginDir;
using testing::kGoodPluginDir;
using testing::RunIdOf;
using testing::ServerProcess;
using testing::SseEvent;
using testing::SseStream;
using testing::TempDir;
using testing::WaitForStatus;

std::string PacedBody(int events, double rate, const std::string& extra_options = "") {
  return R"({"strategy_code":"paced","parameters":{"events":)" + std::to_string(events) +
         R"(,"rate_per_second":)" + std::to_string(rate) + R"(},"options":{)" + extra_options + "}}";
}

/// Checks the guarantees of a whole event stream: seq from `first` without gaps, exactly
/// one terminal event, last.
void ExpectContiguous(const std::vector<SseEvent>& events, uint64_t first) {
  ASSERT_FALSE(events.empty());
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].id, std::to_string(first + i)) << "event " << i << " " << events[i].data;
    const bool terminal = events[i].event == "completed" || events[i].event == "error" || events[i].event == "cancelled";
    EXPECT_EQ(terminal, i + 1 == events.size()) << "event " << i << " " << events[i].event;
  }
}

class ApiTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path db_ = dir_.path() / "runs.db";
};

TEST_F(ApiTest, HealthStrategiesAndTheDashboard) {
  ServerProcess server(db_, {}, {kGoodPluginDir.string(), kBrokenPluginDir.string()});
  ASSERT_TRUE(server.ok()) << server.Output();
  auto health = Json(server.Get("/api/health").body);
  ASSERT_TRUE(health.IsObject());
  EXPECT_STREQ(health["status"].GetString(), "ok");

  auto list = server.Get("/api/strategies");
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.headers["content-type"], "application/json");
  auto doc = Json(list.body);
  std::vector<std::string> codes;
  for (const auto& s : doc["strategies"].GetArray()) codes.emplace_back(s["code"].GetString());
  for (const char* code : {"bullish_breakout", "leap_entry", "paced", "c_minimal"}) {
    EXPECT_NE(std::find(codes.begin(), codes.end(), code), codes.end()) << code;
  }
  EXPECT_EQ(doc["rejected"].Size(), 11u);
  auto one = Json(server.Get("/api/strategies/bullish_breakout").body);
  EXPECT_STREQ(one["parameters"][0]["name"].GetString(), "min_score");
  EXPECT_EQ(server.Get("/api/strategies/nope").status, 404);

  auto page = server.Get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.headers["content-type"].find("text/html"), std::string::npos);
  EXPECT_EQ(server.Get("/web/../../etc/passwd").status, 404);
  EXPECT_EQ(server.Get("/web/.hidden").status, 404);
}

TEST_F(ApiTest, ExecuteStreamsTheWholeRunAndLeavesQueryableResults) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  auto submitted = server.Post("/api/strategies/execute",
                               R"({"strategy_code":"bullish_breakout","parameters":{"min_score":0,"universe_source":"all"}})");
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  auto body = Json(submitted.body);
  const std::string run_id = body["run_id"].GetString();
  EXPECT_EQ(body["position_in_queue"].GetInt(), 0);
  EXPECT_EQ(std::string(body["sse_endpoint"].GetString()), "/api/strategies/sse/" + run_id);

  SseStream stream(server.port(), "/api/strategies/sse/" + run_id + "?last_event_id=0");
  ASSERT_EQ(stream.status(), 200);
  EXPECT_EQ(stream.headers().at("content-type"), "text/event-stream");
  auto events = stream.ReadToEnd();
  EXPECT_TRUE(stream.ended()) << "the stream closes after the terminal event";
  EXPECT_TRUE(stream.retry().has_value());
  ExpectContiguous(events, 1);
  EXPECT_EQ(events.front().event, "started");
  EXPECT_EQ(events.back().event, "completed");
  size_t tickers = 0;  // universe "all": every file of the sample data
  for (const auto& f : std::filesystem::directory_iterator(testing::SampleDataDir())) tickers += f.path().extension() == ".csv";
  size_t ticker_events = 0;
  for (const auto& e : events) ticker_events += e.event == "ticker_completed";
  EXPECT_EQ(ticker_events, tickers);
  auto last = Json(events.back().data);
  EXPECT_DOUBLE_EQ(last["progress_percent"].GetDouble(), 100.0);

  auto run = Json(server.Get("/api/strategies/runs/" + run_id).body);
  EXPECT_STREQ(run["status"].GetString(), "completed");
  EXPECT_EQ(run["result_count"].GetInt(), static_cast<int>(tickers));
  auto status = Json(server.Get("/api/strategies/runs/" + run_id + "/status").body);
  EXPECT_STREQ(status["status"].GetString(), "completed");
  EXPECT_FALSE(status["can_cancel"].GetBool());
  EXPECT_EQ(status["metrics"]["processed_tickers"].GetInt(), static_cast<int>(tickers));

  auto results = Json(server.Get("/api/strategies/runs/" + run_id + "/results?limit=5").body);
  EXPECT_EQ(results["total"].GetInt(), static_cast<int>(tickers));
  ASSERT_EQ(results["results"].Size(), 5u);
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_GE(results["results"][static_cast<unsigned>(i - 1)]["score"].GetDouble(),
              results["results"][static_cast<unsigned>(i)]["score"].GetDouble());
  }
  EXPECT_TRUE(results["results"][0]["metrics"].HasMember("rsi14"));
  auto by_ticker = Json(server.Get("/api/strategies/runs/" + run_id + "/results?sort=ticker&limit=2").body);
  EXPECT_LT(std::string(by_ticker["results"][0]["ticker"].GetString()), by_ticker["results"][1]["ticker"].GetString());
  auto passed = Json(server.Get("/api/strategies/runs/" + run_id + "/results?passed=true").body);
  for (const auto& row : passed["results"].GetArray()) EXPECT_TRUE(row["passed"].GetBool());
  auto csv = server.Get("/api/strategies/runs/" + run_id + "/results?format=csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_NE(csv.headers["content-type"].find("text/csv"), std::string::npos);
  EXPECT_EQ(static_cast<size_t>(std::count(csv.body.begin(), csv.body.end(), '\n')), tickers + 1);

  auto logged = Json(server.Get("/api/strategies/runs/" + run_id + "/events?after=" + std::to_string(events.size() - 2)).body);
  ASSERT_EQ(logged["events"].Size(), 2u);
  EXPECT_STREQ(logged["events"][1]["event_type"].GetString(), "completed");
  auto tail = Json(server.Get("/api/strategies/runs/" + run_id + "/events?tail=3").body);
  ASSERT_EQ(tail["events"].Size(), 3u);
  EXPECT_EQ(tail["events"][0]["seq"].GetUint64(), events.size() - 2);
  EXPECT_STREQ(tail["events"][2]["event_type"].GetString(), "completed");
  EXPECT_FALSE(tail["more"].GetBool());
  auto first_page = Json(server.Get("/api/strategies/runs/" + run_id + "/events?limit=2").body);
  ASSERT_EQ(first_page["events"].Size(), 2u);
  EXPECT_TRUE(first_page["more"].GetBool()) << "the log goes on after a page cut by its limit";
  auto everything = Json(server.Get("/api/strategies/runs/" + run_id + "/events?tail=10000").body);
  EXPECT_EQ(everything["events"].Size(), events.size()) << "a tail longer than the log is the whole log";
  auto both = server.Get("/api/strategies/runs/" + run_id + "/events?tail=3&after=1");
  EXPECT_EQ(both.status, 422);
  EXPECT_STREQ(Json(both.body)["error"]["field"].GetString(), "tail");
  EXPECT_EQ(server.Get("/api/strategies/runs/" + run_id + "/events?tail=0").status, 422);
  auto history = Json(server.Get("/api/strategies/runs?strategy_code=bullish_breakout").body);
  EXPECT_EQ(history["total"].GetInt(), 1);
}

TEST_F(ApiTest, ReconnectingWithLastEventIdGetsExactlyTheMissedEvents) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string run_id = RunIdOf(server.Post("/api/strategies/execute", PacedBody(150, 150)));
  ASSERT_FALSE(run_id.empty());
  std::string last_seen;
  {
    SseStream first(server.port(), "/api/strategies/sse/" + run_id);
    for (int i = 0; i < 20; ++i) {
      auto e = first.Next();
      ASSERT_TRUE(e) << "event " << i;
      last_seen = e->id;
    }
  }  // dropped mid-run
  EXPECT_EQ(last_seen, "20");
  SseStream resumed(server.port(), "/api/strategies/sse/" + run_id, last_seen);
  auto rest = resumed.ReadToEnd();
  ExpectContiguous(rest, 21);
  EXPECT_EQ(rest.back().event, "completed");

  // After the run ended, a replay from any point gives exactly the rest, then closes.
  SseStream replay(server.port(), "/api/strategies/sse/" + run_id + "?last_event_id=100");
  auto tail = replay.ReadToEnd();
  ExpectContiguous(tail, 101);
  EXPECT_EQ(tail.size(), rest.size() + 21 - 101);
}

TEST_F(ApiTest, CancelQueuedAndRunningRuns) {
  ServerProcess server(db_, {"--max-concurrent", "1"});
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string running = RunIdOf(server.Post("/api/strategies/execute", PacedBody(100000, 50)));
  ASSERT_TRUE(WaitForStatus(server, running, "running"));
  auto queued_response = server.Post("/api/strategies/execute", PacedBody(10, 100));
  EXPECT_EQ(Json(queued_response.body)["position_in_queue"].GetInt(), 1);
  EXPECT_STREQ(Json(queued_response.body)["status"].GetString(), "queued");
  const std::string queued = RunIdOf(queued_response);

  auto cancel_queued = server.Post("/api/strategies/runs/" + queued + "/cancel", "");
  EXPECT_EQ(cancel_queued.status, 200) << cancel_queued.body;
  EXPECT_TRUE(Json(cancel_queued.body)["cancelled"].GetBool());
  EXPECT_STREQ(Json(server.Get("/api/strategies/runs/" + queued).body)["status"].GetString(), "cancelled");
  SseStream queued_stream(server.port(), "/api/strategies/sse/" + queued);
  auto queued_events = queued_stream.ReadToEnd();
  ASSERT_EQ(queued_events.size(), 1u) << "a run cancelled in the queue has exactly its terminal event";
  EXPECT_EQ(queued_events[0].event, "cancelled");

  SseStream stream(server.port(), "/api/strategies/sse/" + running);
  ASSERT_TRUE(stream.Next());
  EXPECT_EQ(server.Post("/api/strategies/runs/" + running + "/cancel", "").status, 200);
  auto events = stream.ReadToEnd();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "cancelled");
  EXPECT_STREQ(Json(events.back().data)["error_code"].GetString(), "user");
  EXPECT_TRUE(WaitForStatus(server, running, "cancelled"));

  auto again = server.Post("/api/strategies/runs/" + running + "/cancel", "");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_STREQ(Json(again.body)["error"]["code"].GetString(), "failed_precondition");
  EXPECT_EQ(server.Post("/api/strategies/runs/no-such-run/cancel", "").status, 404);
}

TEST_F(ApiTest, AFullQueueAnswers503WithRetryAfter) {
  ServerProcess server(db_, {"--max-concurrent", "1", "--queue-size", "1"});
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string running = RunIdOf(server.Post("/api/strategies/execute", PacedBody(100000, 50)));
  ASSERT_TRUE(WaitForStatus(server, running, "running"));
  EXPECT_EQ(server.Post("/api/strategies/execute", PacedBody(10, 100)).status, 202);
  auto full = server.Post("/api/strategies/execute", PacedBody(10, 100));
  EXPECT_EQ(full.status, 503) << full.body;
  EXPECT_FALSE(full.headers["retry-after"].empty());
  EXPECT_STREQ(Json(full.body)["error"]["code"].GetString(), "resource_exhausted");
}

TEST_F(ApiTest, HigherPrioritiesStartFirstAndFifoWithin) {
  ServerProcess server(db_, {"--max-concurrent", "1"});
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string blocker = RunIdOf(server.Post("/api/strategies/execute", PacedBody(100000, 50)));
  ASSERT_TRUE(WaitForStatus(server, blocker, "running"));
  const std::string low = RunIdOf(server.Post("/api/strategies/execute", PacedBody(5, 100, R"("priority":"low")")));
  const std::string normal1 = RunIdOf(server.Post("/api/strategies/execute", PacedBody(5, 100)));
  const std::string high = RunIdOf(server.Post("/api/strategies/execute", PacedBody(5, 100, R"("priority":"high")")));
  const std::string normal2 = RunIdOf(server.Post("/api/strategies/execute", PacedBody(5, 100, R"("priority":"normal")")));
  auto queue = Json(server.Get("/api/strategies/queue").body);
  std::vector<std::string> order;
  for (const auto& e : queue["queue"].GetArray()) order.emplace_back(e["run_id"].GetString());
  EXPECT_EQ(order, (std::vector<std::string>{blocker, high, normal1, normal2, low}));
  EXPECT_EQ(queue["total_queued"].GetInt(), 4);
  EXPECT_EQ(queue["max_concurrent"].GetInt(), 1);
  EXPECT_EQ(queue["queue"][1]["position"].GetInt(), 1);

  EXPECT_EQ(server.Post("/api/strategies/runs/" + blocker + "/cancel", "").status, 200);
  for (const auto& id : {high, normal1, normal2, low}) EXPECT_TRUE(WaitForStatus(server, id, "completed"));
  auto h = Json(server.Get("/api/strategies/runs/" + high).body);
  auto l = Json(server.Get("/api/strategies/runs/" + low).body);
  EXPECT_LT(std::string(h["started_at"].GetString()), std::string(l["started_at"].GetString()));
}

TEST_F(ApiTest, LimitsComeFromTheSeedsEnvironmentVariablesAndFlagsWin) {
  ServerProcess from_env(db_, {}, {kGoodPluginDir.string()},
                         {"MAX_CONCURRENT_EXECUTIONS=3", "EXECUTION_QUEUE_SIZE=7", "EXECUTION_TIMEOUT=1"});
  ASSERT_TRUE(from_env.ok()) << from_env.Output();
  auto queue = Json(from_env.Get("/api/strategies/queue").body);
  EXPECT_EQ(queue["max_concurrent"].GetInt(), 3);
  EXPECT_EQ(queue["queue_capacity"].GetInt(), 7);
  const std::string run_id = RunIdOf(from_env.Post("/api/strategies/execute", PacedBody(100000, 50)));
  SseStream stream(from_env.port(), "/api/strategies/sse/" + run_id);
  auto events = stream.ReadToEnd();
  ASSERT_FALSE(events.empty());
  EXPECT_STREQ(Json(events.back().data)["error_code"].GetString(), "timeout") << "EXECUTION_TIMEOUT=1 applies";
  from_env.Stop();

  TempDir other;
  ServerProcess flagged(other.path() / "runs.db", {"--max-concurrent", "1"}, {kGoodPluginDir.string()},
                        {"MAX_CONCURRENT_EXECUTIONS=3"});
  ASSERT_TRUE(flagged.ok()) << flagged.Output();
  EXPECT_EQ(Json(flagged.Get("/api/strategies/queue").body)["max_concurrent"].GetInt(), 1);
}

TEST_F(ApiTest, ARunPastItsTimeLimitEndsWithATimeoutError) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string run_id =
      RunIdOf(server.Post("/api/strategies/execute", PacedBody(100000, 50, R"("max_execution_time":1)")));
  SseStream stream(server.port(), "/api/strategies/sse/" + run_id);
  auto events = stream.ReadToEnd();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "error");
  EXPECT_STREQ(Json(events.back().data)["error_code"].GetString(), "timeout");
  auto run = Json(server.Get("/api/strategies/runs/" + run_id).body);
  EXPECT_STREQ(run["status"].GetString(), "error");
  EXPECT_STREQ(run["error"]["code"].GetString(), "timeout");
}

TEST_F(ApiTest, BadInputGetsAClearJsonErrorNamingTheField) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  auto malformed = server.Post("/api/strategies/execute", "{\"strategy_code\": ");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_STREQ(Json(malformed.body)["error"]["code"].GetString(), "invalid_json");

  auto unknown = server.Post("/api/strategies/execute", R"({"strategy_code":"nope"})");
  EXPECT_EQ(unknown.status, 404);
  auto missing = server.Post("/api/strategies/execute", R"({"parameters":{}})");
  EXPECT_EQ(missing.status, 422);
  EXPECT_STREQ(Json(missing.body)["error"]["field"].GetString(), "strategy_code");

  struct Case {
    std::string body, field;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"strategy_code":"bullish_breakout","parameters":{"min_score":500}})", "min_score"},
           {R"({"strategy_code":"bullish_breakout","parameters":{"min_score":"high"}})", "min_score"},
           {R"({"strategy_code":"bullish_breakout","parameters":{"colour":1}})", "colour"},
           {R"({"strategy_code":"bullish_breakout","parameters":{"universe_source":"nasdaq"}})", "universe_source"},
           {R"({"strategy_code":"bullish_breakout","parameters":{"tickers":["AAPL","DROP TABLE"]}})", "tickers"},
           {R"({"strategy_code":"bullish_breakout","parameters":[]})", "parameters"},
           {R"({"strategy_code":"bullish_breakout","options":{"priority":"urgent"}})", "options.priority"},
           {R"({"strategy_code":"bullish_breakout","options":{"max_execution_time":-5}})", "options.max_execution_time"},
           {R"({"strategy_code":"bullish_breakout","extra":true})", "extra"}}) {
    auto r = server.Post("/api/strategies/execute", c.body);
    EXPECT_EQ(r.status, 422) << c.body << " → " << r.body;
    auto doc = Json(r.body);
    ASSERT_TRUE(doc.IsObject() && doc.HasMember("error")) << r.body;
    EXPECT_EQ(std::string(doc["error"]["field"].GetString()), c.field) << r.body;
    EXPECT_FALSE(std::string(doc["error"]["message"].GetString()).empty());
  }

  auto wrong_method = HttpRequest(server.port(), "GET", "/api/strategies/execute");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers["allow"], "POST");
  EXPECT_EQ(HttpRequest(server.port(), "DELETE", "/api/strategies/runs").status, 405);
  EXPECT_EQ(HttpRequest(server.port(), "PUT", "/api/health").status, 405);
  for (const char* path : {"/api/strategies/runs/nope", "/api/strategies/runs/nope/status",
                           "/api/strategies/runs/nope/events", "/api/strategies/runs/nope/results",
                           "/api/strategies/sse/nope", "/api/nothing"}) {
    auto r = server.Get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_TRUE(Json(r.body).HasMember("error")) << path << " " << r.body;
  }
  EXPECT_EQ(server.Get("/api/strategies/runs?limit=0").status, 422);
  EXPECT_EQ(server.Get("/api/strategies/runs/nope/results?order=sideways").status, 404);  // unknown run first
  EXPECT_EQ(server.Get("/api/strategies/runs?status=finished").status, 422);
  const std::string huge = R"({"strategy_code":"bullish_breakout","parameters":{"tickers":[")" + std::string(100000, 'A') + "\"]}}";
  auto too_big = server.Post("/api/strategies/execute", huge);
  EXPECT_TRUE(too_big.status == 413 || too_big.status == 400) << too_big.status;
  EXPECT_STREQ(Json(server.Get("/api/health").body)["status"].GetString(), "ok") << "the server survives all of it";
}

TEST_F(ApiTest, ThePluginFolderIsWatchedWhileServing) {
  TempDir plugins;
  ServerProcess server(db_, {}, {plugins.path().string()});
  ASSERT_TRUE(server.ok()) << server.Output();
  EXPECT_EQ(server.Get("/api/strategies/c_minimal").status, 404);
  std::filesystem::copy_file(kGoodPluginDir / "c_minimal.so", plugins.path() / "c_minimal.so");
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (server.Get("/api/strategies/c_minimal").status != 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(server.Get("/api/strategies/c_minimal").status, 200);
  const std::string run_id = RunIdOf(server.Post("/api/strategies/execute", R"({"strategy_code":"c_minimal"})"));
  EXPECT_TRUE(WaitForStatus(server, run_id, "completed"));

  std::filesystem::copy_file(kGoodPluginDir / "abi_newer_minor.so", plugins.path() / "newer.so");
  auto rescanned = Json(server.Post("/api/strategies/rescan", "").body);
  std::vector<std::string> codes;
  for (const auto& s : rescanned["strategies"].GetArray()) codes.emplace_back(s["code"].GetString());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "abi_newer_minor"), codes.end()) << "rescan sees the new file at once";
}

TEST_F(ApiTest, TheLifecycleStreamReportsEveryRunOnOneConnection) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  SseStream all(server.port(), "/api/events");
  auto snapshot = all.Next();
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->event, "snapshot");
  const std::string run_id = RunIdOf(server.Post("/api/strategies/execute", PacedBody(20, 100)));
  std::vector<std::string> states;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && (states.empty() || states.back() != "completed")) {
    auto e = all.Next(5s);
    if (!e || e->event != "run") continue;
    auto doc = Json(e->data);
    if (doc["run_id"].GetString() != run_id) continue;
    const std::string state = doc["status"].GetString();
    if (states.empty() || states.back() != state) states.push_back(state);
  }
  ASSERT_FALSE(states.empty());
  EXPECT_EQ(states.back(), "completed");
  EXPECT_NE(std::find(states.begin(), states.end(), "running"), states.end());
}

TEST_F(ApiTest, AfterAKillMinus9TheRunIsInterruptedAndReplayableAndQueuedRunsRun) {
  std::string running, queued;
  uint64_t seen = 0;
  {
    ServerProcess server(db_, {"--max-concurrent", "1"});
    ASSERT_TRUE(server.ok()) << server.Output();
    running = RunIdOf(server.Post("/api/strategies/execute", PacedBody(100000, 100)));
    queued = RunIdOf(server.Post("/api/strategies/execute", PacedBody(10, 100)));
    SseStream stream(server.port(), "/api/strategies/sse/" + running);
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(stream.Next());
    seen = 30;
    server.Kill();
  }
  ServerProcess restarted(db_, {"--max-concurrent", "1"});
  ASSERT_TRUE(restarted.ok()) << restarted.Output();
  auto run = Json(restarted.Get("/api/strategies/runs/" + running).body);
  EXPECT_STREQ(run["status"].GetString(), "error");
  EXPECT_STREQ(run["error"]["code"].GetString(), "interrupted");

  SseStream replay(restarted.port(), "/api/strategies/sse/" + running + "?last_event_id=0");
  auto events = replay.ReadToEnd();
  ExpectContiguous(events, 1);
  EXPECT_GE(events.size(), seen + 1);
  EXPECT_EQ(events.back().event, "error");
  EXPECT_STREQ(Json(events.back().data)["error_code"].GetString(), "interrupted");

  EXPECT_TRUE(WaitForStatus(restarted, queued, "completed")) << "a queued run survives a restart and runs";
}

TEST_F(ApiTest, ACliRunKilledWhileTheServerRunsEndsInterruptedOnTheServer) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  testing::StratrunProcess cli({"--plugins", testing::kGoodPluginDir.string(), "run", "paced", "--db", db_.string(),
                                "--set", "events=100000", "--set", "rate_per_second=100", "--progress", "json"});
  ASSERT_TRUE(cli.WaitForOutput("\"completed_items\":3,")) << cli.Wait().err;
  auto runs = Json(server.Get("/api/strategies/runs").body);
  ASSERT_TRUE(runs.IsObject() && runs["runs"].IsArray() && runs["runs"].Size() == 1) << server.Get("/api/strategies/runs").body;
  const std::string run_id = runs["runs"][0]["run_id"].GetString();
  EXPECT_STREQ(runs["runs"][0]["status"].GetString(), "running") << "a live CLI run is left alone";

  cli.Signal(SIGKILL);
  cli.Wait();
  EXPECT_TRUE(WaitForStatus(server, run_id, "error")) << "the server notices within seconds, without a restart";
  auto run = Json(server.Get("/api/strategies/runs/" + run_id).body);
  EXPECT_STREQ(run["error"]["code"].GetString(), "interrupted");
  SseStream replay(server.port(), "/api/strategies/sse/" + run_id + "?last_event_id=0");
  auto events = replay.ReadToEnd();
  ExpectContiguous(events, 1);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "error");
}

TEST_F(ApiTest, WithoutIsolationAPluginThatCrashesTheServerIsReportedAndTheServerComesBackOnItsPort) {
  // Plugins run inside the server: crash_on_load kills the first server while it scans;
  // the supervisor starts another, which rejects that file.
  ServerProcess server(db_, {"--isolation", "none"},
                       {testing::kGoodPluginDir.string(), testing::kCrashingPluginDir.string()});
  ASSERT_TRUE(server.ok()) << server.Output();
  auto strategies = Json(server.Get("/api/strategies").body);
  ASSERT_TRUE(strategies.IsObject()) << server.Get("/api/strategies").body;
  bool rejected = false;
  for (const auto& r : strategies["rejected"].GetArray()) {
    const std::string file = r["file"].GetString(), reason = r["reason"].GetString();
    if (file.ends_with("crash_on_load.so")) rejected = reason.find("loading it killed the process") != std::string::npos;
  }
  EXPECT_TRUE(rejected) << server.Get("/api/strategies").body;

  // crash_on_run kills the server in the middle of a run: the run ends interrupted, and the
  // server answers again on the same port and runs the next run.
  const std::string crashed = RunIdOf(server.Post("/api/strategies/execute", R"({"strategy_code":"crash_on_run"})"));
  EXPECT_TRUE(WaitForStatus(server, crashed, "error")) << server.Output();
  auto run = Json(server.Get("/api/strategies/runs/" + crashed).body);
  EXPECT_STREQ(run["error"]["code"].GetString(), "interrupted");
  SseStream replay(server.port(), "/api/strategies/sse/" + crashed + "?last_event_id=0");
  auto events = replay.ReadToEnd();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "error") << "exactly one terminal event, last";
  ExpectContiguous(events, 1);

  const std::string next = RunIdOf(server.Post("/api/strategies/execute", PacedBody(5, 1000)));
  EXPECT_TRUE(WaitForStatus(server, next, "completed")) << server.Output();
  EXPECT_NE(server.Output().find("starting it again"), std::string::npos) << server.Output();
  EXPECT_EQ(server.Stop().exit_code, 0);
}

TEST_F(ApiTest, ASecondServerOnABusyPortIsRefusedNotSharedWith) {
  ServerProcess first(db_);
  ASSERT_TRUE(first.ok()) << first.Output();
  testing::TempDir other;
  auto second = testing::RunStratrun({"serve", "--port", std::to_string(first.port()), "--db",
                                      (other.path() / "runs.db").string(), "--data", testing::SampleDataDir().string()});
  EXPECT_EQ(second.exit_code, 2) << second.out << second.err;
  EXPECT_NE(second.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": Address already in use"),
            std::string::npos)
      << second.err;
  EXPECT_EQ(first.Get("/api/health").status, 200);
}

TEST_F(ApiTest, GracefulShutdownEndsStreamsCleanly) {
  auto server = std::make_unique<ServerProcess>(db_, std::vector<std::string>{"--grace", "0"});
  ASSERT_TRUE(server->ok()) << server->Output();
  const std::string run_id = RunIdOf(server->Post("/api/strategies/execute", PacedBody(100000, 100)));
  SseStream stream(server->port(), "/api/strategies/sse/" + run_id);
  ASSERT_TRUE(stream.Next());
  auto stopped = server->Stop();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  auto rest = stream.ReadToEnd(20s);
  EXPECT_TRUE(stream.ended());
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back().event, "cancelled");
  EXPECT_STREQ(Json(rest.back().data)["error_code"].GetString(), "shutdown");
}

/// A body is valid UTF-8 JSON with an error naming `field` (when not empty).
void ExpectJsonError(const testing::HttpResponse& r, int status, const std::string& field, const std::string& context) {
  EXPECT_EQ(r.status, status) << context << ": " << r.body;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.c_str(), r.body.size());
  ASSERT_FALSE(doc.HasParseError()) << context << ": not valid UTF-8 JSON: " << r.body;
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("error")) << context << ": " << r.body;
  if (!field.empty()) {
    ASSERT_TRUE(doc["error"].HasMember("field")) << context << ": " << r.body;
    EXPECT_EQ(std::string(doc["error"]["field"].GetString()), field) << context << ": " << r.body;
  }
  for (const char* leak : {"basic_string", "stoull", "stoul", "what()", "std::"}) {
    EXPECT_EQ(r.body.find(leak), std::string::npos) << context << ": exception text in " << r.body;
  }
}

TEST_F(ApiTest, EveryRunRouteTakesAUniquePrefixOfTheRunId) {
  ServerProcess server(db_, {"--queue-size", "100"});
  ASSERT_TRUE(server.ok()) << server.Output();
  // 17 runs: two of them share a first hex digit (pigeonhole), so a 1-character prefix is ambiguous.
  std::vector<std::string> ids;
  for (int i = 0; i < 17; ++i) {
    ids.push_back(RunIdOf(server.Post("/api/strategies/execute", PacedBody(3, 1000))));
    ASSERT_EQ(ids.back().size(), 36u);
  }
  for (const auto& id : ids) ASSERT_TRUE(WaitForStatus(server, id, "completed")) << id;
  const std::string id = ids[0];
  const std::string prefix = id.substr(0, 8);

  auto run = server.Get("/api/strategies/runs/" + prefix);
  ASSERT_EQ(run.status, 200) << run.body;
  EXPECT_EQ(std::string(Json(run.body)["run_id"].GetString()), id) << "answers carry the whole id";
  auto status = server.Get("/api/strategies/runs/" + prefix + "/status");
  ASSERT_EQ(status.status, 200) << status.body;
  EXPECT_EQ(std::string(Json(status.body)["run_id"].GetString()), id);
  auto events = server.Get("/api/strategies/runs/" + prefix + "/events");
  ASSERT_EQ(events.status, 200) << events.body;
  EXPECT_EQ(std::string(Json(events.body)["run_id"].GetString()), id);
  EXPECT_GE(Json(events.body)["events"].Size(), 5u);  // started, 3 tickers, completed at least
  auto results = server.Get("/api/strategies/runs/" + prefix + "/results");
  ASSERT_EQ(results.status, 200) << results.body;
  EXPECT_EQ(std::string(Json(results.body)["run_id"].GetString()), id);
  std::string ticker;  // any ticker of the sample data
  for (const auto& f : std::filesystem::directory_iterator(testing::SampleDataDir())) {
    if (f.path().extension() == ".csv") ticker = f.path().stem().string();
  }
  EXPECT_EQ(server.Get("/api/strategies/runs/" + prefix + "/bars/" + ticker).status, 200);
  auto cancel = server.Post("/api/strategies/runs/" + prefix + "/cancel", "");
  EXPECT_EQ(cancel.status, 409) << "the prefix names the finished run: " << cancel.body;
  SseStream stream(server.port(), "/api/strategies/sse/" + prefix);
  ASSERT_EQ(stream.status(), 200);
  auto replayed = stream.ReadToEnd(20s);
  ExpectContiguous(replayed, 1);
  EXPECT_EQ(replayed.back().event, "completed");
  EXPECT_EQ(server.Get("/api/strategies/runs/" + id).status, 200) << "the whole id still works";

  std::string shared;
  for (size_t i = 0; i < ids.size() && shared.empty(); ++i) {
    for (size_t j = i + 1; j < ids.size(); ++j) {
      if (ids[i][0] == ids[j][0]) shared = ids[i].substr(0, 1);
    }
  }
  ASSERT_FALSE(shared.empty());
  for (const std::string& path : {"/api/strategies/runs/" + shared, "/api/strategies/runs/" + shared + "/status",
                                  "/api/strategies/runs/" + shared + "/results", "/api/strategies/sse/" + shared}) {
    auto ambiguous = server.Get(path);
    ExpectJsonError(ambiguous, 400, "run_id", path);
    EXPECT_STREQ(Json(ambiguous.body)["error"]["code"].GetString(), "ambiguous_run_id") << path;
  }
  auto ambiguous = server.Post("/api/strategies/runs/" + shared + "/cancel", "");
  ExpectJsonError(ambiguous, 400, "run_id", "cancel");
  size_t listed = 0;
  for (const auto& other : ids) listed += other[0] == shared[0] && ambiguous.body.find(other) != std::string::npos;
  EXPECT_GE(listed, 2u) << "the message lists the matches: " << ambiguous.body;
  ExpectJsonError(server.Get("/api/strategies/runs/ffffffffzz"), 404, "run_id", "no match");
  ExpectJsonError(server.Get("/api/strategies/runs/" + std::string(100, 'a')), 404, "run_id", "too long");
}

TEST_F(ApiTest, LastEventIdIsParsedStrictlyAndAResumePastTheEndOfAFinishedRunEnds) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string run_id = RunIdOf(server.Post("/api/strategies/execute", PacedBody(3, 1000)));
  ASSERT_TRUE(WaitForStatus(server, run_id, "completed"));
  const std::string sse = "/api/strategies/sse/" + run_id;
  for (const std::string bad : {"-1", "18446744073709551615", "99999999999999999999999", "9007199254740992", "+3", "5x",
                                "0x10", "1e3", "", "abc"}) {
    auto r = HttpRequest(server.port(), "GET", sse, "", {{"Last-Event-ID", bad}});
    ExpectJsonError(r, 400, "Last-Event-ID", "header '" + bad + "'");
  }
  for (const std::string bad : {"-1", "18446744073709551615", "99999999999999999999999", "%205", "%2B3", "+3", "5x", "",
                                "abc"}) {
    auto r = server.Get(sse + "?last_event_id=" + bad);
    ExpectJsonError(r, 400, "last_event_id", "query '" + bad + "'");
  }
  // Valid seqs past the run's last event: the stream opens and ends at once, with nothing.
  for (const std::string& after : {std::string("6"), std::string("1000000"), std::string("9007199254740991")}) {
    SseStream header(server.port(), sse, after);
    ASSERT_EQ(header.status(), 200) << after;
    EXPECT_TRUE(header.ReadToEnd(15s).empty()) << after;
    EXPECT_TRUE(header.ended()) << "a resume past the end of a finished run ends: " << after;
    SseStream query(server.port(), sse + "?last_event_id=" + after);
    ASSERT_EQ(query.status(), 200) << after;
    EXPECT_TRUE(query.ReadToEnd(15s).empty()) << after;
    EXPECT_TRUE(query.ended()) << after;
  }
  SseStream from_two(server.port(), sse, "2");
  auto rest = from_two.ReadToEnd(15s);
  ExpectContiguous(rest, 3);
}

TEST_F(ApiTest, PipelinedRequestsAreAllAnsweredInOrder) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  auto two = RawExchange(server.port(),
                         "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /api/strategies/paced HTTP/1.1\r\nHost: x\r\n\r\n",
                         2);
  auto responses = two.Responses();
  ASSERT_EQ(responses.size(), 2u) << two.bytes;
  EXPECT_STREQ(Json(responses[0].body)["status"].GetString(), "ok");
  EXPECT_STREQ(Json(responses[1].body)["code"].GetString(), "paced");
  EXPECT_FALSE(two.closed_by_server) << "HTTP/1.1 keeps the connection open";
  EXPECT_EQ(responses[0].headers["connection"], "Keep-Alive");

  // A body between them, and a third request in the same write.
  const std::string body = PacedBody(2, 1000);
  auto three = RawExchange(server.port(),
                           "POST /api/strategies/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body +
                               "GET /api/strategies/queue HTTP/1.1\r\nHost: x\r\n\r\n"
                               "GET /api/nothing HTTP/1.1\r\nHost: x\r\n\r\n",
                           3);
  responses = three.Responses();
  ASSERT_EQ(responses.size(), 3u) << three.bytes;
  EXPECT_EQ(responses[0].status, 202) << responses[0].body;
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_TRUE(Json(responses[1].body).HasMember("queue"));
  EXPECT_EQ(responses[2].status, 404);

  // A stream after an answer on the same connection: the answer comes first, then the stream.
  const std::string run_id = RunIdOf(responses[0]);
  ASSERT_TRUE(WaitForStatus(server, run_id, "completed"));
  auto then_stream = RawExchange(server.port(),
                                 "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
                                 "GET /api/strategies/sse/" + run_id + " HTTP/1.1\r\nHost: x\r\n\r\n",
                                 2, 15s);
  responses = then_stream.Responses();
  ASSERT_EQ(responses.size(), 2u) << then_stream.bytes;
  EXPECT_STREQ(Json(responses[0].body)["status"].GetString(), "ok");
  EXPECT_EQ(responses[1].headers["content-type"], "text/event-stream");
  EXPECT_NE(responses[1].body.find("event: completed"), std::string::npos) << responses[1].body;
}

TEST_F(ApiTest, ConnectionCloseAndHttp10CloseTheConnectionAfterTheAnswer) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  auto closed = RawExchange(server.port(),
                            "GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                            "GET /api/strategies HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(closed.closed_by_server);
  auto responses = closed.Responses();
  ASSERT_EQ(responses.size(), 1u) << "nothing after a request that closes is answered: " << closed.bytes;
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].headers["connection"], "Close");

  auto http10 = RawExchange(server.port(), "GET /api/health HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(http10.closed_by_server);
  ASSERT_EQ(http10.Responses().size(), 1u) << http10.bytes;
  EXPECT_EQ(http10.Responses()[0].status, 200);
  EXPECT_TRUE(http10.bytes.starts_with("HTTP/1.0 200")) << http10.bytes;

  auto http10_keep = RawExchange(server.port(), "GET /api/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 0, 1s);
  EXPECT_FALSE(http10_keep.closed_by_server) << "HTTP/1.0 asking for keep-alive keeps it";
  ASSERT_EQ(http10_keep.Responses().size(), 1u);
  EXPECT_EQ(http10_keep.Responses()[0].headers["connection"], "Keep-Alive");
}

TEST_F(ApiTest, QueryStringsAndPathsArePercentDecodedOnce) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string run_id = RunIdOf(server.Post("/api/strategies/execute", R"({"strategy_code":"c_minimal"})"));
  ASSERT_TRUE(WaitForStatus(server, run_id, "completed"));
  EXPECT_EQ(Json(server.Get("/api/strategies/runs?strategy_code=c%5Fminimal").body)["total"].GetInt(), 1);
  EXPECT_EQ(Json(server.Get("/api/strategies/runs?strategy_code=c_minimal&status=%63ompleted").body)["total"].GetInt(), 1);
  EXPECT_EQ(Json(server.Get("/api/strategies/runs?strategy_%63ode=c_minimal").body)["total"].GetInt(), 1)
      << "names are decoded too";
  EXPECT_EQ(Json(server.Get("/api/strategies/runs?strategy_code=c%255Fminimal").body)["total"].GetInt(), 0)
      << "decoded once: %25 is a literal %";
  auto plus = server.Get("/api/strategies/runs?status=com+pleted");
  ExpectJsonError(plus, 422, "status", "+ is a space");
  EXPECT_NE(plus.body.find("com pleted"), std::string::npos) << plus.body;
  EXPECT_EQ(server.Get("/api/strategies/c%5Fminimal").status, 200) << "path segments are decoded";
  ExpectJsonError(server.Get("/api/strategies/runs?strategy_code=c%5"), 400, "strategy_code", "truncated escape");
  ExpectJsonError(server.Get("/api/strategies/runs?limit=%zz"), 400, "limit", "bad hex");
  ExpectJsonError(server.Get("/api/strategies/runs?bad%g1name=1"), 400, "", "bad name");
  ExpectJsonError(server.Get("/api/strategies/c%Gminimal"), 400, "path", "bad path escape");
}

TEST_F(ApiTest, MalformedFramingGetsACleanJsonErrorAndAClose) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  auto post = [&](const std::string& content_length) {
    return RawExchange(server.port(), "POST /api/strategies/execute HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                          content_length + "\r\n\r\n{}");
  };
  for (const std::string bad : {"-5", "18446744073709551616", "18446744073709551615", "abc", "5x", "", "+2", "0x2",
                                "2, 2"}) {
    auto reply = post(bad);
    EXPECT_TRUE(reply.closed_by_server) << bad;
    auto responses = reply.Responses();
    ASSERT_EQ(responses.size(), 1u) << bad << ": " << reply.bytes;
    const int expected = bad.size() > 15 && bad[0] != '-' ? 413 : 400;
    ExpectJsonError(responses[0], expected, "Content-Length", "Content-Length '" + bad + "'");
  }
  auto too_large = post("99999999");
  ASSERT_EQ(too_large.Responses().size(), 1u);
  ExpectJsonError(too_large.Responses()[0], 413, "Content-Length", "too large");
  auto conflicting = RawExchange(server.port(),
                                 "POST /api/strategies/execute HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}");
  ASSERT_EQ(conflicting.Responses().size(), 1u);
  ExpectJsonError(conflicting.Responses()[0], 400, "Content-Length", "conflicting");
  auto chunked = RawExchange(server.port(),
                             "POST /api/strategies/execute HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n{}\r\n0\r\n\r\n");
  ASSERT_EQ(chunked.Responses().size(), 1u) << chunked.bytes;
  ExpectJsonError(chunked.Responses()[0], 411, "Transfer-Encoding", "chunked");
  for (const std::string& line : {std::string("GET /api/health HTTP/2.0"), std::string("BREW /api/health HTTP/1.1"),
                                  std::string("GET api/health HTTP/1.1"), std::string("GET  /api/health HTTP/1.1"),
                                  std::string("GET /api/health")}) {
    auto reply = RawExchange(server.port(), line + "\r\nHost: x\r\n\r\n");
    ASSERT_EQ(reply.Responses().size(), 1u) << line << ": " << reply.bytes;
    const int status = reply.Responses()[0].status;
    EXPECT_TRUE(status == 400 || status == 501 || status == 505) << line << ": " << status;
    ExpectJsonError(reply.Responses()[0], status, "", line);
    EXPECT_TRUE(reply.closed_by_server) << line;
  }
  auto no_colon = RawExchange(server.port(), "GET /api/health HTTP/1.1\r\nHost x\r\n\r\n");
  ASSERT_EQ(no_colon.Responses().size(), 1u);
  ExpectJsonError(no_colon.Responses()[0], 400, "", "header without a colon");
  auto odd_headers = RawExchange(server.port(),
                                 "GET /api/health HTTP/1.1\r\nHost: :::\r\nAccept: ///;;;\r\nCookie: ===;;\r\n"
                                 "Content-Type: \r\nConnection: close\r\n\r\n");
  ASSERT_EQ(odd_headers.Responses().size(), 1u) << odd_headers.bytes;
  EXPECT_EQ(odd_headers.Responses()[0].status, 200) << "headers the routes do not read are not parsed";
  EXPECT_STREQ(Json(server.Get("/api/health").body)["status"].GetString(), "ok") << "the server survives all of it";
}

TEST_F(ApiTest, ErrorsThatEchoInputAreValidUtf8AndShort) {
  ServerProcess server(db_);
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string invalid = "bad\xff\xfe\xc0\xaf\x7f\xed\xa0\x80" "code";  // raw controls are not JSON
  auto unknown = server.Post("/api/strategies/execute", "{\"strategy_code\":\"" + invalid + "\"}");
  ExpectJsonError(unknown, 404, "strategy_code", "invalid UTF-8 code");
  EXPECT_NE(unknown.body.find("\xef\xbf\xbd"), std::string::npos) << "invalid bytes become U+FFFD: " << unknown.body;
  auto escaped = server.Post("/api/strategies/execute", R"({"strategy_code":"a\u0000b\u001bc"})");
  ExpectJsonError(escaped, 404, "strategy_code", "control characters");
  EXPECT_EQ(escaped.body.find('\x1b'), std::string::npos);
  auto field = server.Post("/api/strategies/execute", "{\"strategy_code\":\"paced\",\"" + invalid + "\":1}");
  ExpectJsonError(field, 422, "", "invalid UTF-8 field name");
  auto option = server.Post("/api/strategies/execute",
                            "{\"strategy_code\":\"paced\",\"options\":{\"" + std::string(5000, 'o') + "\":1}}");
  ExpectJsonError(option, 422, "", "huge option name");
  EXPECT_LT(option.body.size(), 600u) << "echoed input is capped";
  auto path = server.Get("/api/strategies/%FF%FE" + std::string(3000, 'x'));
  ExpectJsonError(path, 404, "strategy_code", "invalid UTF-8 path");
  EXPECT_LT(path.body.size(), 400u);
  auto raw_path = server.Get("/api/strategies/\xff\xfe" + std::string(3000, 'y'));
  ExpectJsonError(raw_path, 404, "", "raw bytes in the path");
  EXPECT_LT(raw_path.body.size(), 400u);
  auto endpoint = server.Get("/api/%C3%28" + std::string(3000, 'z'));
  ExpectJsonError(endpoint, 404, "", "unknown endpoint");
  EXPECT_LT(endpoint.body.size(), 600u);
  auto status = server.Get("/api/strategies/runs?status=%FF" + std::string(3000, 's'));
  ExpectJsonError(status, 422, "status", "status filter");
  EXPECT_LT(status.body.size(), 400u);
  auto bars = server.Get("/api/strategies/runs/" + RunIdOf(server.Post("/api/strategies/execute", PacedBody(1, 1000))) +
                         "/bars/%FF%00");
  ExpectJsonError(bars, 422, "ticker", "ticker");
}

TEST_F(ApiTest, ShutdownIsAnnouncedOnHealthAndTheLifecycleStream) {
  auto server = std::make_unique<ServerProcess>(db_, std::vector<std::string>{"--grace", "30"});
  ASSERT_TRUE(server->ok()) << server->Output();
  auto health = Json(server->Get("/api/health").body);
  ASSERT_TRUE(health.HasMember("market_data"));
  EXPECT_TRUE(health["market_data"]["synthetic"].IsBool());
  EXPECT_EQ(std::string(health["market_data"]["dir"].GetString()), testing::SampleDataDir().string());
  const std::string run_id = RunIdOf(server->Post("/api/strategies/execute", PacedBody(100000, 50)));
  ASSERT_TRUE(WaitForStatus(*server, run_id, "running"));
  SseStream all(server->port(), "/api/events");
  auto snapshot = all.Next();
  ASSERT_TRUE(snapshot);
  ASSERT_EQ(snapshot->event, "snapshot");

  server->Signal(SIGTERM);
  std::optional<SseEvent> announced;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!announced && std::chrono::steady_clock::now() < deadline) {
    auto e = all.Next(1s);
    if (e && e->event == "server") announced = e;
  }
  ASSERT_TRUE(announced) << "an `event: server` frame on the lifecycle stream";
  EXPECT_EQ(announced->data, R"({"state":"shutting_down","grace_seconds":30})");
  EXPECT_STREQ(Json(server->Get("/api/health").body)["status"].GetString(), "shutting_down");
  SseStream later(server->port(), "/api/events");
  auto first = later.Next(10s);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->event, "snapshot");
  auto second = later.Next(10s);
  ASSERT_TRUE(second) << "a stream opened during the grace period hears it too";
  EXPECT_EQ(second->event, "server");
  EXPECT_EQ(second->data, announced->data);

  // End the grace period early: the run is cancelled, the server stops by itself.
  EXPECT_EQ(server->Post("/api/strategies/runs/" + run_id + "/cancel", "").status, 200);
  EXPECT_EQ(server->WaitForExit().exit_code, 0);
}

}  // namespace
}  // namespace stratrun
