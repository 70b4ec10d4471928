// LoadGuard: makes a plugin file whose own load code kills the process (a segfault or an
// abort in its static constructors or entry point) a rejected file for every later scan,
// instead of a file that kills each process that loads it.
//
//   if (auto reason = LoadGuard::CrashReason(cache_dir, sha256)) return Rejected(*reason);
//   LoadGuard guard(cache_dir, sha256);   // marked while the plugin's code runs
//   library.load(…); entry(…);           // the mark is removed when `guard` ends
//
// Files, beside the private copies in the plugin cache:
//   <cache_dir>/loading/<sha256>.<pid>   while a process loads the file; holds its owner
//                                        id (common/process_owner.h)
//   <cache_dir>/crashed/<sha256>         once a loading mark of a process that died was
//                                        found; holds what happened. The file stays
//                                        rejected until its contents change (a new SHA)
//                                        or this mark is deleted.
// A process killed from outside (kill -9, a power cut) during the milliseconds of a load
// is indistinguishable from a crash and quarantines the file the same way; the reason
// names the mark to delete.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace stratrun {

class LoadGuard {
 public:
  /// Why the file with `sha256` must not be loaded: an earlier load of it killed its
  /// process (recorded now if a loading mark of a dead process is found). nullopt when
  /// no load of it ever died. Never throws.
  static std::optional<std::string> CrashReason(const std::filesystem::path& cache_dir, const std::string& sha256);

  /// Marks the load of `sha256` by this process (best effort: a cache that cannot be
  /// written only loses the protection).
  LoadGuard(const std::filesystem::path& cache_dir, const std::string& sha256);
  ~LoadGuard();
  LoadGuard(const LoadGuard&) = delete;
  LoadGuard& operator=(const LoadGuard&) = delete;

 private:
  std::filesystem::path mark_;
};

}  // namespace stratrun
