#include "support/pg_cluster.h"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <vector>

#include "store/pg.h"

extern char** environ;

namespace stratrun::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kInstallHint = "run scripts/install-deps.sh (it installs the postgresql package)";
/// Folders of servers a test binary started for itself: "<prefix><pid>-<random>".
constexpr std::string_view kOwnDirPrefix = "stratrun-pg-";

fs::path DataDir(const fs::path& dir) { return dir / "data"; }
fs::path CommandLog(const fs::path& dir) { return dir / "commands.log"; }
fs::path ServerLog(const fs::path& dir) { return dir / "server.log"; }

/// The bin folder of the highest PostgreSQL version installed the Debian way.
Result<fs::path> ServerBinaries() {
  const fs::path root = "/usr/lib/postgresql";
  std::optional<std::pair<int, fs::path>> best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    const long version = std::strtol(name.c_str(), &end, 10);
    if (end == name.c_str() || *end != '\0') continue;
    const fs::path bin = entry.path() / "bin";
    if (!fs::exists(bin / "initdb") || !fs::exists(bin / "pg_ctl")) continue;
    if (!best || version > best->first) best.emplace(static_cast<int>(version), bin);
  }
  if (!best) {
    return Status(StatusCode::kUnavailable, "no PostgreSQL server binaries in " + root.string() +
                                                "/<version>/bin (initdb, pg_ctl): " + std::string(kInstallHint));
  }
  return best->second;
}

bool IsRoot() { return geteuid() == 0; }

/// The postgres system user's ids (the postgresql package creates it).
Result<std::pair<uid_t, gid_t>> PostgresUser() {
  const passwd* user = getpwnam("postgres");
  if (user == nullptr) return Status(StatusCode::kUnavailable, "no postgres system user: " + std::string(kInstallHint));
  return std::pair{user->pw_uid, user->pw_gid};
}

std::string Tail(const fs::path& file, size_t max_chars = 2000) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > max_chars ? "…" + all.substr(all.size() - max_chars) : all;
}

/// Runs `args` (args[0] a path) in `cwd`, as the postgres user when this process is root,
/// with stdout and stderr appended to `log`; its exit code, or -1 when it could not start.
int RunCommand(std::vector<std::string> args, const fs::path& cwd, const fs::path& log) {
  if (IsRoot()) {
    std::string runuser = "/usr/sbin/runuser";
    if (!fs::exists(runuser)) runuser = "/sbin/runuser";
    args.insert(args.begin(), {runuser, "-u", "postgres", "--"});
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string CommandFailure(std::string_view what, const fs::path& dir) {
  std::string message = std::string(what) + " failed (" + dir.string() + ")";
  message += "\n--- " + CommandLog(dir).string() + ":\n" + Tail(CommandLog(dir));
  if (fs::exists(ServerLog(dir))) message += "\n--- " + ServerLog(dir).string() + ":\n" + Tail(ServerLog(dir));
  return message;
}

/// Stops the servers of test binaries that died without stopping theirs.
void StopServersOfDeadProcesses(const fs::path& parent) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kOwnDirPrefix)) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + kOwnDirPrefix.size()));
    if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH) continue;
    (void)PgCluster::StopAt(entry.path());
  }
}

/// Where a test binary puts a server of its own. A root process's server runs as postgres,
/// who must reach it: /tmp, not a private TMPDIR. Either way the socket's path must stay
/// short (a Unix socket path holds 107 bytes).
fs::path OwnServersFolder() {
  if (IsRoot()) return "/tmp";
  std::error_code ec;
  fs::path temp = fs::temp_directory_path(ec);
  if (ec || temp.string().size() > 60) return "/tmp";
  return temp;
}

std::string DatabaseName(std::string_view label) {
  static std::atomic<int> counter{0};
  std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter) + "_";
  for (char c : label) {
    const auto u = static_cast<unsigned char>(c);
    const char lower = static_cast<char>(std::tolower(u));
    const bool keep = std::isalnum(u) != 0;
    if (keep) {
      name += lower;
    } else if (name.back() != '_') {
      name += '_';
    }
    if (name.size() >= 63) break;  // PostgreSQL keeps 63 bytes of a name
  }
  return name;
}

}  // namespace

Status PgCluster::StartAt(const fs::path& dir) {
  auto bin = ServerBinaries();
  if (!bin) return bin.status();
  const std::string dir_text = dir.string();
  if (dir_text.find_first_of(" \t\n'\"\\$`") != std::string::npos) {
    return InvalidArgument("a PostgreSQL test folder must not need quoting: " + dir_text);
  }
  if ((dir / ".s.PGSQL.5432").string().size() > 100) {
    return InvalidArgument("a PostgreSQL test folder must have a short path (a Unix socket goes in it): " + dir_text);
  }
  if (fs::exists(dir)) (void)StopAt(dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Internal("create " + dir_text + ": " + ec.message());
  if (IsRoot()) {
    auto user = PostgresUser();
    if (!user) return user.status();
    if (chown(dir.c_str(), user->first, user->second) != 0) return Internal("chown " + dir_text + " to postgres");
  }

  // A throwaway server: trust authentication on a socket only this folder holds, no TCP
  // port, nothing synced to disk.
  if (RunCommand({(*bin / "initdb").string(), "-D", DataDir(dir).string(), "-U", "postgres", "-A", "trust", "-E",
                  "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
                 dir, CommandLog(dir)) != 0) {
    return {StatusCode::kUnavailable, CommandFailure("initdb", dir)};
  }
  const std::string options = "-k " + dir_text +
                              " -c listen_addresses='' -F -c max_connections=200 -c synchronous_commit=off"
                              " -c full_page_writes=off";
  if (RunCommand({(*bin / "pg_ctl").string(), "-D", DataDir(dir).string(), "-l", ServerLog(dir).string(), "-w", "-t",
                  "60", "-o", options, "start"},
                 dir, CommandLog(dir)) != 0) {
    return {StatusCode::kUnavailable, CommandFailure("pg_ctl start", dir)};
  }
  return Status::Ok();
}

Status PgCluster::StopAt(const fs::path& dir) {
  Status status;
  if (fs::exists(DataDir(dir) / "postmaster.pid")) {
    auto bin = ServerBinaries();
    if (!bin) return bin.status();
    if (RunCommand({(*bin / "pg_ctl").string(), "-D", DataDir(dir).string(), "-m", "immediate", "-w", "stop"}, dir,
                   CommandLog(dir)) != 0) {
      status = {StatusCode::kInternal, CommandFailure("pg_ctl stop", dir)};
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec && status.ok()) status = Internal("remove " + dir.string() + ": " + ec.message());
  return status;
}

Result<PgCluster*> PgCluster::Shared() {
  static std::mutex mutex;
  static std::unique_ptr<PgCluster> shared;  // stopped at exit when this process started it
  static Status failed;
  std::lock_guard lock(mutex);
  if (shared != nullptr) return shared.get();
  if (!failed.ok()) return failed;
  if (const char* host = std::getenv("STRATRUN_TEST_PG_HOST"); host != nullptr && *host != '\0') {
    shared = std::make_unique<PgCluster>(host, /*owned=*/false);
    return shared.get();
  }
  const fs::path parent = OwnServersFolder();
  StopServersOfDeadProcesses(parent);
  std::random_device random;
  const fs::path dir =
      parent / (std::string(kOwnDirPrefix) + std::to_string(getpid()) + "-" + std::to_string(random() % 1000000));
  if (Status status = StartAt(dir); !status.ok()) {
    failed = status;
    return failed;
  }
  shared = std::make_unique<PgCluster>(dir, /*owned=*/true);
  return shared.get();
}

PgCluster::PgCluster(fs::path dir, bool owned) : dir_(std::move(dir)), owned_(owned), owner_pid_(getpid()) {}

PgCluster::~PgCluster() {
  if (owned_ && getpid() == owner_pid_) (void)StopAt(dir_);
}

std::string PgCluster::Uri(std::string_view database) const {
  return "postgresql:///" + std::string(database) + "?host=" + dir_.string() + "&user=postgres";
}

Result<std::string> PgCluster::CreateDatabase(std::string_view label) {
  auto admin = pg::Connection::Open(Uri("postgres"));
  if (!admin) {
    return Status(admin.status().code(),
                  admin.status().message() + (owned_ ? "" : " (STRATRUN_TEST_PG_HOST names a server that is not "
                                                           "running: is ctest's postgres.cluster_start fixture?)"));
  }
  std::string name = DatabaseName(label);
  // The name is letters, digits and '_' only, so quoting it is enough.
  if (auto created = (*admin)->Exec("CREATE DATABASE \"" + name + "\""); !created) return created.status();
  return name;
}

Status PgCluster::DropDatabase(std::string_view database) {
  auto admin = pg::Connection::Open(Uri("postgres"));
  if (!admin) return admin.status();
  auto dropped = (*admin)->Exec("DROP DATABASE IF EXISTS \"" + std::string(database) + "\" WITH (FORCE)");
  return dropped.status();
}

ScopedPgDatabase::ScopedPgDatabase() {
  auto cluster = PgCluster::Shared();
  if (!cluster) {
    error_ = "no PostgreSQL server for the test: " + cluster.status().message();
    return;
  }
  cluster_ = *cluster;
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string label = test != nullptr ? std::string(test->test_suite_name()) + "_" + test->name() : "db";
  auto name = cluster_->CreateDatabase(label);
  if (!name) {
    error_ = "create a PostgreSQL test database: " + name.status().message();
    return;
  }
  name_ = *name;
  uri_ = cluster_->Uri(name_);
}

ScopedPgDatabase::~ScopedPgDatabase() {
  if (cluster_ == nullptr || name_.empty()) return;
  if (Status status = cluster_->DropDatabase(name_); !status.ok()) {
    ADD_FAILURE() << "drop the PostgreSQL test database " << name_ << ": " << status.message();
  }
}

}  // namespace stratrun::testing
