// Isolated runs over the real server: every way a plugin can misbehave in the process that
// runs it ends only its own run, with the right state and message, while a normal run
// started alongside completes with every event and result, /api/health answers, and the
// server process stays the same one (--no-restart: a server that died would be gone).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "http/server_fixture.h"
#include "support/test_support.h"

namespace stratrun::testing {
namespace {

using namespace std::chrono_literals;

class IsolationTest : public ::testing::Test {
 protected:
  /// A plugin folder with only these of the isolated fixtures (the whole folder holds one
  /// that hangs at load, which every scan waits 5 s for).
  std::string Plugins(const std::vector<std::string>& names) {
    const auto folder = dir_.path() / "plugins";
    std::filesystem::create_directories(folder);
    for (const auto& name : names) {
      std::filesystem::copy_file(kIsolatedPluginDir / (name + ".so"), folder / (name + ".so"),
                                 std::filesystem::copy_options::overwrite_existing);
    }
    return folder.string();
  }

  TempDir dir_;
  std::filesystem::path db_ = dir_.path() / "runs.db";
};

std::string Execute(const ServerProcess& server, const std::string& code, const std::string& options = "") {
  return RunIdOf(server.Post("/api/strategies/execute",
                             R"({"strategy_code":")" + code + R"(","options":{)" + options + "}}"));
}

/// The stored run, once it has ended (status not queued/starting/running/completing).
rapidjson::Document EndedRun(const ServerProcess& server, const std::string& run_id,
                             std::chrono::seconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto run = Json(server.Get("/api/strategies/runs/" + run_id).body);
    const std::string status = run.IsObject() && run.HasMember("status") ? run["status"].GetString() : "";
    if (status == "completed" || status == "cancelled" || status == "error" ||
        std::chrono::steady_clock::now() > deadline) {
      return run;
    }
    std::this_thread::sleep_for(20ms);
  }
}

std::string ErrorCode(const rapidjson::Document& run) {
  return run.HasMember("error") && run["error"].IsObject() ? run["error"]["code"].GetString() : "";
}
std::string ErrorMessage(const rapidjson::Document& run) {
  return run.HasMember("error") && run["error"].IsObject() ? run["error"]["message"].GetString() : "";
}

/// The tickers of a run's stored results.
std::vector<std::string> ResultTickers(const ServerProcess& server, const std::string& run_id) {
  std::vector<std::string> tickers;
  auto page = Json(server.Get("/api/strategies/runs/" + run_id + "/results?sort=ticker&order=asc&limit=1000").body);
  if (page.IsObject() && page.HasMember("results")) {
    for (const auto& row : page["results"].GetArray()) tickers.emplace_back(row["ticker"].GetString());
  }
  return tickers;
}

TEST_F(IsolationTest, EachHostilePluginEndsOnlyItsOwnRun) {
  ServerProcess server(db_, {"--no-restart", "--grace", "1", "--worker-memory", "512", "--max-concurrent", "4",
                             "--queue-size", "100"},
                       {kGoodPluginDir.string(), kIsolatedPluginDir.string()});
  ASSERT_TRUE(server.ok()) << server.Output();
  const pid_t server_pid = server.ServerPid();

  // Discovery ran each file in a worker: the ones that crash or hang at load are rejected
  // with what happened.
  auto strategies = Json(server.Get("/api/strategies").body);
  ASSERT_TRUE(strategies.IsObject());
  std::map<std::string, std::string> rejected;
  for (const auto& r : strategies["rejected"].GetArray()) {
    rejected[std::filesystem::path(r["file"].GetString()).filename().string()] = r["reason"].GetString();
  }
  EXPECT_NE(rejected["isolated_crash_on_load.so"].find("crashed with SIGSEGV"), std::string::npos)
      << rejected["isolated_crash_on_load.so"];
  EXPECT_NE(rejected["isolated_crash_on_load.so"].find("while loading"), std::string::npos);
  EXPECT_NE(rejected["hang_on_load.so"].find("did not answer within 5 s"), std::string::npos)
      << rejected["hang_on_load.so"];

  // A normal run alongside all of them.
  const std::string normal = RunIdOf(server.Post(
      "/api/strategies/execute", R"({"strategy_code":"paced","parameters":{"events":300,"rate_per_second":100}})"));
  ASSERT_FALSE(normal.empty());

  struct Expected {
    std::string code, status, error_code, message_part;
  };
  const std::vector<Expected> hostile = {
      {"crash_on_run", "error", "plugin_crashed", "SIGSEGV"},
      {"exit_on_run", "error", "plugin_crashed", "exited with status 0"},
      {"abort_on_run", "error", "plugin_crashed", "SIGABRT"},
      {"thread_throws", "error", "plugin_crashed", "SIGABRT"},
      {"leak_on_run", "error", "memory_limit", "512 MB"},
      {"stdout_flood", "completed", "", ""},
      {"late_emit", "completed", "", ""},
  };
  std::vector<std::string> ids;
  for (const auto& h : hostile) {
    ids.push_back(Execute(server, h.code));
    ASSERT_FALSE(ids.back().empty()) << h.code;
  }
  for (size_t i = 0; i < hostile.size(); ++i) {
    auto run = EndedRun(server, ids[i]);
    ASSERT_TRUE(run.IsObject()) << hostile[i].code;
    EXPECT_EQ(std::string(run["status"].GetString()), hostile[i].status) << hostile[i].code << ": "
                                                                         << ErrorMessage(run);
    EXPECT_EQ(ErrorCode(run), hostile[i].error_code) << hostile[i].code;
    EXPECT_NE(ErrorMessage(run).find(hostile[i].message_part), std::string::npos)
        << hostile[i].code << ": " << ErrorMessage(run);
    EXPECT_EQ(server.Get("/api/health").status, 200) << "after " << hostile[i].code;
    // Exactly one terminal event, last, with no gap.
    SseStream replay(server.port(), "/api/strategies/sse/" + ids[i] + "?last_event_id=0");
    auto events = replay.ReadToEnd(30s);
    ASSERT_FALSE(events.empty()) << hostile[i].code;
    for (size_t e = 0; e < events.size(); ++e) EXPECT_EQ(events[e].id, std::to_string(e + 1)) << hostile[i].code;
    EXPECT_EQ(events.back().event, hostile[i].status) << hostile[i].code;
  }
  // The crash message carries the last line the plugin wrote to stderr.
  EXPECT_NE(ErrorMessage(EndedRun(server, ids[2])).find("abort_on_run: about to misbehave"), std::string::npos);
  // Results reported before the end are kept; the flood did not block its run.
  EXPECT_EQ(ResultTickers(server, ids[2]), std::vector<std::string>{"KEPT"});
  EXPECT_EQ(ResultTickers(server, ids[5]), (std::vector<std::string>{"AFTER_FLOOD", "KEPT"}));

  auto normal_run = EndedRun(server, normal);
  EXPECT_STREQ(normal_run["status"].GetString(), "completed") << ErrorMessage(normal_run);
  SseStream replay(server.port(), "/api/strategies/sse/" + normal + "?last_event_id=0");
  auto events = replay.ReadToEnd(30s);
  ASSERT_FALSE(events.empty());
  for (size_t e = 0; e < events.size(); ++e) ASSERT_EQ(events[e].id, std::to_string(e + 1));
  EXPECT_EQ(events.front().event, "started");
  EXPECT_EQ(events.back().event, "completed");
  EXPECT_EQ(std::count_if(events.begin(), events.end(), [](const SseEvent& e) { return e.event == "ticker_completed"; }),
            300);
  EXPECT_EQ(ResultTickers(server, normal).size(), 300u);

  EXPECT_EQ(server.ServerPid(), server_pid) << "the server was never restarted";
  EXPECT_EQ(server.Stop().exit_code, 0);
}

TEST_F(IsolationTest, APluginThatIgnoresCancelIsKilledAfterTheGraceAndKeepsItsResults) {
  ServerProcess server(db_, {"--no-restart", "--grace", "1"}, {Plugins({"ignores_cancel"})});
  ASSERT_TRUE(server.ok()) << server.Output();
  const std::string cancelled = Execute(server, "ignores_cancel");
  const std::string timed_out = Execute(server, "ignores_cancel", R"("max_execution_time":1)");
  ASSERT_TRUE(WaitForStatus(server, cancelled, "running"));
  // Running means it reported its row; wait for it to be stored, then cancel.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (ResultTickers(server, cancelled).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(server.Post("/api/strategies/runs/" + cancelled + "/cancel", "").status, 200);

  auto run = EndedRun(server, cancelled);
  EXPECT_STREQ(run["status"].GetString(), "cancelled");
  EXPECT_EQ(ErrorCode(run), "user");
  EXPECT_NE(ErrorMessage(run).find("stopped by force"), std::string::npos) << ErrorMessage(run);
  EXPECT_EQ(ResultTickers(server, cancelled), std::vector<std::string>{"KEPT"});

  auto timeout = EndedRun(server, timed_out);
  EXPECT_STREQ(timeout["status"].GetString(), "error");
  EXPECT_EQ(ErrorCode(timeout), "timeout");
  EXPECT_NE(ErrorMessage(timeout).find("stopped by force"), std::string::npos) << ErrorMessage(timeout);
  EXPECT_EQ(server.Get("/api/health").status, 200);
}

TEST_F(IsolationTest, SigtermStopsTheServerEvenWhenAPluginIgnoresCancel) {
  auto server = std::make_unique<ServerProcess>(db_, std::vector<std::string>{"--no-restart", "--grace", "1"},
                                                std::vector<std::string>{Plugins({"ignores_cancel"})});
  ASSERT_TRUE(server->ok()) << server->Output();
  const std::string run_id = Execute(*server, "ignores_cancel");
  ASSERT_TRUE(WaitForStatus(*server, run_id, "running"));
  // Without isolation this waited for the plugin forever; a generous bound, not a timing.
  const auto started = std::chrono::steady_clock::now();
  auto stopped = server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;

  ServerProcess again(db_, {"--no-restart"}, {Plugins({"ignores_cancel"})});
  ASSERT_TRUE(again.ok()) << again.Output();
  auto run = EndedRun(again, run_id, 10s);
  EXPECT_STREQ(run["status"].GetString(), "cancelled") << ErrorMessage(run);
  EXPECT_EQ(ErrorCode(run), "shutdown");
  EXPECT_EQ(ResultTickers(again, run_id), std::vector<std::string>{"KEPT"});
}

TEST_F(IsolationTest, TheNoNetworkSandboxDeniesSockets) {
  auto probe = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--plugins", Plugins({"socket_probe"}), "run", "socket_probe", "--db",
                                     db_.string(), "--data", SampleDataDir().string(), "--output", "csv",
                                     "--isolation", "process"};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunStratrun(args);
  };
  auto open = probe({});
  ASSERT_EQ(open.exit_code, 0) << open.err;
  EXPECT_NE(open.out.find("SOCKET,1,true"), std::string::npos) << open.out;
  auto sandboxed = probe({"--sandbox", "no-network"});
  ASSERT_EQ(sandboxed.exit_code, 0) << sandboxed.err;
  EXPECT_NE(sandboxed.out.find("SOCKET,1,false"), std::string::npos) << sandboxed.out;
}

}  // namespace
}  // namespace stratrun::testing
