// The run log on PostgreSQL as a user of the stratrun binary sees it: `--db postgresql://…`
// and STRATRUN_DB for run, runs, results and serve; `stratrun db migrate`; an unreachable
// server or a newer schema is a clear error that never shows a password.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/pg.h"
#include "store/postgres_schema.h"
#include "store/sqlite_run_store.h"
#include "support/pg_cluster.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

using testing::RunStratrun;

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

/// The run id a `run` printed on stderr ("run <id>: …").
std::string RunIdOf(const std::string& err) {
  size_t at = err.starts_with("run ") ? 0 : err.find("\nrun ");
  if (at == std::string::npos) return "";
  at += err[at] == '\n' ? 5 : 4;
  return err.substr(at, err.find(':', at) - at);
}

/// `uri` (postgresql:///DB?…) with a user and password in it, which the test server's
/// trust authentication ignores.
std::string WithPassword(const std::string& uri, const std::string& password) {
  const std::string scheme = "postgresql://";
  EXPECT_TRUE(uri.starts_with(scheme)) << uri;
  return scheme + "postgres:" + password + "@" + uri.substr(scheme.size());
}

TEST(DbCommandTest, DbMigrateBringsAPostgresRunLogUpToDateAndSaysSoWithoutThePassword) {
  testing::ScopedPgDatabase db;
  ASSERT_TRUE(db.ok()) << db.error();
  const std::string uri = WithPassword(db.uri(), "pw-never-shown");
  const std::string shown = pg::RedactedUri(uri);
  ASSERT_FALSE(Contains(shown, "pw-never-shown")) << shown;
  const std::string expected =
      "run log " + shown + ": schema up to date (version " + std::to_string(kPostgresSchemaVersion) + ")\n";
  for (int time = 1; time <= 2; ++time) {  // the second finds nothing to do
    auto r = RunStratrun({"db", "migrate", "--db", uri});
    ASSERT_EQ(r.exit_code, 0) << "time " << time << ": " << r.err;
    EXPECT_EQ(r.out, expected) << "time " << time;
    EXPECT_FALSE(Contains(r.out + r.err, "pw-never-shown")) << r.out << r.err;
  }
  // The database holds the schema: the runs table answers.
  auto runs = RunStratrun({"runs", "--db", uri, "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_EQ(runs.out, "[]\n");
}

TEST(DbCommandTest, DbMigrateOnAnSqliteFileCreatesItAndSaysItsVersion) {
  testing::TempDir dir;
  const auto file = dir.path() / "new" / "runs.db";
  auto r = RunStratrun({"db", "migrate", "--db", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "run log " + file.string() + ": schema up to date (version " +
                       std::to_string(kRunStoreSchemaVersion) + ")\n");
  EXPECT_TRUE(std::filesystem::exists(file));
  r = RunStratrun({"db", "migrate"}, {"STRATRUN_DB=" + file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "run log " + file.string() + ": schema up to date")) << r.out;
}

TEST(DbCommandTest, ARunIsLoggedInPostgresAndRunsAndResultsReadItBackByFlagOrEnvironment) {
  testing::ScopedPgDatabase db;
  ASSERT_TRUE(db.ok()) << db.error();
  auto run = RunStratrun({"run", "sma_trend", "--tickers", "AAPL,MSFT,NVDA", "--db", db.uri(), "--output", "csv",
                          "--progress", "none", "--set", "min_score=0"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string run_id = RunIdOf(run.err);
  ASSERT_EQ(run_id.size(), 36u) << run.err;

  auto listed = RunStratrun({"runs", "--db", db.uri()});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(Contains(listed.out, run_id.substr(0, 8) + " ")) << listed.out;
  EXPECT_TRUE(Contains(listed.out, "completed")) << listed.out;
  auto results = RunStratrun({"results", run_id.substr(0, 8), "--db", db.uri(), "--output", "csv"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_EQ(results.out, run.out) << "the logged results are the ones the run printed";
  EXPECT_EQ(std::count(results.out.begin(), results.out.end(), '\n'), 4) << "a header and three rows: " << results.out;

  // STRATRUN_DB names the same run log as --db: a second run goes there, and both are listed.
  const std::vector<std::string> env = {"STRATRUN_DB=" + db.uri()};
  auto second = RunStratrun({"run", "sma_trend", "--tickers", "AAPL", "--progress", "none"}, env);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto both = RunStratrun({"runs", "--json"}, env);
  ASSERT_EQ(both.exit_code, 0) << both.err;
  rapidjson::Document doc;
  doc.Parse(both.out.c_str());
  ASSERT_TRUE(doc.IsArray() && doc.Size() == 2) << both.out;
  EXPECT_STREQ(doc[0]["run_id"].GetString(), RunIdOf(second.err).c_str()) << "newest first";
  EXPECT_STREQ(doc[1]["run_id"].GetString(), run_id.c_str());
  auto by_env = RunStratrun({"results", run_id, "--output", "csv"}, env);
  ASSERT_EQ(by_env.exit_code, 0) << by_env.err;
  EXPECT_EQ(by_env.out, run.out);
}

TEST(DbCommandTest, AnUnreachableServerIsAClearErrorThatNeverShowsThePassword) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"postgresql:///nope?host=/nonexistent", "postgresql:///nope?host=/nonexistent"},
      {"postgresql://u:secret@/x?host=/nonexistent", "postgresql://u@/x?host=/nonexistent"},
      {"postgres://u:secret@/x?host=/nonexistent&password=secret", "postgres://u@/x?host=/nonexistent"},
  };
  for (const auto& [uri, shown] : cases) {
    for (std::vector<std::string> command : std::vector<std::vector<std::string>>{
             {"db", "migrate"},
             {"runs"},
             {"results", "0123abcd"},
             {"run", "sma_trend", "--tickers", "AAPL", "--progress", "none"},
             {"serve", "--port", "0", "--no-restart", "--isolation", "none"}}) {
      for (bool by_env : {false, true}) {
        if (!by_env) command.insert(command.end(), {"--db", uri});
        auto r = RunStratrun(command, by_env ? std::vector<std::string>{"STRATRUN_DB=" + uri} : std::vector<std::string>{});
        if (!by_env) command.resize(command.size() - 2);
        const std::string what = command[0] + (by_env ? " (STRATRUN_DB) " : " ") + uri;
        EXPECT_NE(r.exit_code, 0) << what << ": " << r.err;
        if (command[0] == "db" || command[0] == "runs" || command[0] == "results") {
          EXPECT_EQ(r.exit_code, 1) << what << ": the run log cannot be read, not bad usage";
        }
        EXPECT_TRUE(Contains(r.err, "stratrun: cannot connect to PostgreSQL at " + shown + ": ")) << what << ": " << r.err;
        EXPECT_FALSE(Contains(r.out + r.err, "secret")) << what << ": a URI may hold a password: " << r.out << r.err;
      }
    }
  }
}

TEST(DbCommandTest, ARunLogWrittenByANewerStratrunIsRefused) {
  testing::ScopedPgDatabase db;
  ASSERT_TRUE(db.ok()) << db.error();
  ASSERT_EQ(RunStratrun({"db", "migrate", "--db", db.uri()}).exit_code, 0);
  {
    auto connection = pg::Connection::Open(db.uri());
    ASSERT_TRUE(connection) << connection.status().message();
    ASSERT_TRUE((*connection)->ExecScript("INSERT INTO schema_version (version) VALUES (999)").ok());
  }
  for (std::vector<std::string> command : std::vector<std::vector<std::string>>{{"db", "migrate"}, {"runs"}}) {
    command.insert(command.end(), {"--db", db.uri()});
    auto r = RunStratrun(command);
    EXPECT_EQ(r.exit_code, 1) << command[0] << ": " << r.err;
    EXPECT_TRUE(Contains(r.err, "stratrun: database " + db.uri() +
                                    ": database schema version 999 is newer than this stratrun supports (" +
                                    std::to_string(kPostgresSchemaVersion) + ")"))
        << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(DbCommandTest, ServeDocumentsThePostgresRunLogAndTheClusterOptions) {
  auto r = RunStratrun({"serve", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* text : {"--db FILE|URI", "an SQLite file or a postgresql:// URI", "--instance-name NAME",
                           "--lease-timeout SECONDS", "declared dead"}) {
    EXPECT_TRUE(Contains(r.out, text)) << "'" << text << "' in:\n" << r.out;
  }
  r = RunStratrun({"db", "migrate", "--help"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "--db FILE|URI")) << r.out;
  r = RunStratrun({"serve", "--lease-timeout", "0", "--db", "postgresql:///nope?host=/nonexistent"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(Contains(r.err, "--lease-timeout")) << r.err;
}

}  // namespace
}  // namespace stratrun
