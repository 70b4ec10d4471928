#include "plugins/load_guard.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <system_error>

#include "common/logging.h"
#include "common/process_owner.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& file) {
  std::ifstream in(file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Writes `text` to `file` through a temporary name, so a reader never sees half of it.
void WriteText(const fs::path& file, const std::string& text) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const fs::path temp = file.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << text;
    if (!out.flush()) return;
  }
  fs::rename(temp, file, ec);
  if (ec) fs::remove(temp, ec);
}

constexpr std::string_view kRunCrashPrefix = "runs:";  // a crashed mark written for run crashes

std::string Rejection(const fs::path& cache_dir, const std::string& sha256, const std::string& what) {
  const fs::path crashed_mark = cache_dir / "crashed" / sha256;
  if (what.rfind(kRunCrashPrefix, 0) == 0) {
    return "its runs killed the process: " + what.substr(kRunCrashPrefix.size()) +
           "; it stays rejected until the file changes (or delete " + crashed_mark.string() + " and " +
           (cache_dir / "run_crashes" / sha256).string() + " to try again)";
  }
  return "loading it killed the process: " + what + "; it stays rejected until the file changes (or delete " +
         crashed_mark.string() + " to try again)";
}

/// Moves the running marks of `sha256` left by dead processes to run_crashes/<sha256>/
/// (a rename: when two processes look at once, one of them counts each mark) and returns
/// how many run crashes the file has, with the run ids of the last few.
int CountRunCrashes(const fs::path& cache_dir, const std::string& sha256, std::string* runs) {
  std::error_code ec;
  const fs::path crashes = cache_dir / "run_crashes" / sha256;
  const std::string prefix = sha256 + ".";
  const std::string self = ThisProcessOwner();
  const std::string boot = self.substr(0, self.find('/'));
  for (fs::directory_iterator it(cache_dir / "running", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.find(".tmp") != std::string::npos) continue;
    std::istringstream text(ReadText(it->path()));
    std::string owner, run_id;
    std::getline(text, owner);
    std::getline(text, run_id);
    if (!OwnerIsDead(owner)) continue;  // running now, being written, or cannot tell
    std::error_code move_ec;
    if (owner.rfind(boot + "/", 0) != 0) {  // the machine restarted (a power cut): not the plugin's doing
      fs::remove(it->path(), move_ec);
      continue;
    }
    fs::create_directories(crashes, move_ec);
    fs::rename(it->path(), crashes / name.substr(prefix.size()), move_ec);
    if (!move_ec) {
      Logger("plugins")->error("plugin {}: run {} killed its process ({})", sha256, run_id.empty() ? "?" : run_id,
                               owner);
    }
  }
  int count = 0;
  for (fs::directory_iterator it(crashes, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().find(".tmp") != std::string::npos) continue;
    std::istringstream text(ReadText(it->path()));
    std::string owner, run_id;
    std::getline(text, owner);
    std::getline(text, run_id);
    if (++count <= 5 && !run_id.empty()) *runs += (runs->empty() ? "" : ", ") + run_id;
  }
  return count;
}

}  // namespace

std::optional<std::string> LoadGuard::CrashReason(const fs::path& cache_dir, const std::string& sha256) {
  const fs::path crashed = cache_dir / "crashed" / sha256;
  std::error_code ec;
  if (fs::exists(crashed, ec)) return Rejection(cache_dir, sha256, ReadText(crashed));

  std::string runs;
  if (const int run_crashes = CountRunCrashes(cache_dir, sha256, &runs); run_crashes >= kRunCrashesToQuarantine) {
    const std::string what = std::string(kRunCrashPrefix) + std::to_string(run_crashes) +
                             " of its runs ended their stratrun process (a crash, exit() or a kill)" +
                             (runs.empty() ? "" : " (runs " + runs + ")");
    WriteText(crashed, what);
    Logger("plugins")->error("plugin {} quarantined: {}", sha256, what.substr(kRunCrashPrefix.size()));
    return Rejection(cache_dir, sha256, what);
  }

  const std::string prefix = sha256 + ".";
  for (fs::directory_iterator it(cache_dir / "loading", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.find(".tmp") != std::string::npos) continue;
    const std::string owner = ReadText(it->path());
    if (!OwnerIsDead(owner)) continue;  // being written, a live process loading it now, or cannot tell
    const std::string what = "stratrun process " + name.substr(prefix.size()) + " died while running its load code";
    WriteText(crashed, what);
    fs::remove(it->path(), ec);
    Logger("plugins")->error("plugin {} quarantined: {}", sha256, what);
    return Rejection(cache_dir, sha256, what);
  }
  return std::nullopt;
}

LoadGuard::LoadGuard(const fs::path& cache_dir, const std::string& sha256)
    : mark_(cache_dir / "loading" / (sha256 + "." + std::to_string(::getpid()))) {
  WriteText(mark_, ThisProcessOwner());
}

LoadGuard::~LoadGuard() {
  std::error_code ec;
  fs::remove(mark_, ec);
}

RunGuard::RunGuard(const fs::path& cache_dir, const std::string& sha256, const std::string& run_id) {
  if (cache_dir.empty() || sha256.empty()) return;
  static std::atomic<uint64_t> next{0};
  mark_ = cache_dir / "running" / (sha256 + "." + std::to_string(::getpid()) + "." + std::to_string(next++));
  WriteText(mark_, ThisProcessOwner() + "\n" + run_id + "\n");
}

RunGuard::~RunGuard() {
  if (mark_.empty()) return;
  std::error_code ec;
  fs::remove(mark_, ec);
}

}  // namespace stratrun
