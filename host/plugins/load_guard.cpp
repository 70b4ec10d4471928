#include "plugins/load_guard.h"

#include <unistd.h>

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

std::string Rejection(const fs::path& crashed_mark, const std::string& what) {
  return "loading it killed the process: " + what + "; it stays rejected until the file changes (or delete " +
         crashed_mark.string() + " to try again)";
}

}  // namespace

std::optional<std::string> LoadGuard::CrashReason(const fs::path& cache_dir, const std::string& sha256) {
  const fs::path crashed = cache_dir / "crashed" / sha256;
  std::error_code ec;
  if (fs::exists(crashed, ec)) return Rejection(crashed, ReadText(crashed));

  const std::string prefix = sha256 + ".";
  for (fs::directory_iterator it(cache_dir / "loading", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.find(".tmp") != std::string::npos) continue;
    const std::string owner = ReadText(it->path());
    if (owner.empty() || OwnerIsAlive(owner)) continue;  // being written, or another live process loading it now
    const std::string what = "stratrun process " + name.substr(prefix.size()) + " died while running its load code";
    WriteText(crashed, what);
    fs::remove(it->path(), ec);
    Logger("plugins")->error("plugin {} quarantined: {}", sha256, what);
    return Rejection(crashed, what);
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

}  // namespace stratrun
