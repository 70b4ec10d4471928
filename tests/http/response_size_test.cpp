// Answers are bounded in bytes, whatever a plugin wrote: a page of events or results stops
// early and says more follow; a CSV export is whole, or refused naming how to split it.
#include <gtest/gtest.h>

#include <string>

#include "http/server_fixture.h"

namespace stratrun {
namespace {

using testing::Json;
using testing::RunIdOf;
using testing::ServerProcess;
using testing::WaitForStatus;

const std::filesystem::path kHostileDir = STRATRUN_TEST_HOSTILE_DIR;
constexpr size_t kPageBytes = size_t{8} << 20;  // routes.cpp: kMaxResponseBytes

TEST(ResponseSizeTest, LargeEventsAndResultsArePagedAndAnOversizedCsvExportIsRefused) {
  testing::TempDir dir;
  ServerProcess server(dir.path() / "runs.db", {}, {kHostileDir.string()});
  ASSERT_TRUE(server.ok()) << server.Output();
  // 30 events of 1 MB, then 70 result rows of 1 MB each: 100 MB in all.
  const std::string run_id = RunIdOf(server.Post(
      "/api/strategies/execute",
      R"({"strategy_code":"flood","parameters":{"events":30,"message_bytes":1000000,"rows":70,"reason_bytes":1000000}})"));
  ASSERT_FALSE(run_id.empty()) << server.Output();
  ASSERT_TRUE(WaitForStatus(server, run_id, "completed")) << server.Output();

  // Events: pages of at most 8 MiB (plus the one event that crossed it), in order.
  size_t events_read = 0;
  for (uint64_t after = 0;;) {
    auto page = server.Get("/api/strategies/runs/" + run_id + "/events?limit=10000&after=" + std::to_string(after));
    ASSERT_EQ(page.status, 200) << page.body.substr(0, 300);
    EXPECT_LT(page.body.size(), kPageBytes + (size_t{2} << 20));
    auto doc = Json(page.body);
    ASSERT_TRUE(doc.IsObject() && doc["events"].IsArray() && doc["events"].Size() > 0);
    ASSERT_EQ(doc["events"][0]["seq"].GetUint64(), after + 1) << "pages follow on";
    events_read += doc["events"].Size();
    after = doc["events"][doc["events"].Size() - 1]["seq"].GetUint64();
    if (!doc["more"].GetBool()) break;
    ASSERT_LT(events_read, 100u) << "paging does not end";
  }
  EXPECT_GE(events_read, 32u) << "started, 30 events, a stage and the end";

  // Results: the same, by offset; every row once.
  size_t rows_read = 0;
  for (int pages = 0;; ++pages) {
    auto page = server.Get("/api/strategies/runs/" + run_id + "/results?limit=100000&sort=ticker&offset=" +
                           std::to_string(rows_read));
    ASSERT_EQ(page.status, 200) << page.body.substr(0, 300);
    EXPECT_LT(page.body.size(), kPageBytes + (size_t{2} << 20));
    auto doc = Json(page.body);
    ASSERT_TRUE(doc.IsObject() && doc["results"].IsArray() && doc["results"].Size() > 0) << page.body.substr(0, 300);
    EXPECT_EQ(doc["total"].GetInt64(), 70);
    rows_read += doc["results"].Size();
    EXPECT_EQ(doc["more"].GetBool(), rows_read < 70);
    if (!doc["more"].GetBool()) break;
    ASSERT_LT(pages, 70) << "paging does not end";
  }
  EXPECT_EQ(rows_read, 70u);

  // CSV: 70 MB is more than an export holds; the answer says how to split it.
  auto whole = server.Get("/api/strategies/runs/" + run_id + "/results?format=csv");
  EXPECT_EQ(whole.status, 422);
  auto error = Json(whole.body);
  ASSERT_TRUE(error.IsObject() && error.HasMember("error")) << whole.body.substr(0, 300);
  EXPECT_STREQ(error["error"]["field"].GetString(), "limit");
  EXPECT_NE(std::string(error["error"]["message"].GetString()).find("limit and offset"), std::string::npos);
  auto part = server.Get("/api/strategies/runs/" + run_id + "/results?format=csv&sort=ticker&limit=20&offset=50");
  ASSERT_EQ(part.status, 200);
  size_t lines = 0;
  for (char c : part.body) lines += c == '\n';
  EXPECT_EQ(lines, 21u) << "a header and 20 rows";

  EXPECT_EQ(server.Get("/api/health").status, 200);
}

}  // namespace
}  // namespace stratrun
