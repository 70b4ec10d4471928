// LoadGuard: makes a plugin file whose own code kills the process — a segfault or an
// abort in its static constructors or entry point, or `exit()`, a segfault… in its runs,
// again and again — a rejected file for every later scan, instead of a file that kills
// each process that loads or runs it.
//
//   if (auto reason = LoadGuard::CrashReason(cache_dir, sha256)) return Rejected(*reason);
//   LoadGuard guard(cache_dir, sha256);   // marked while the plugin's code runs
//   library.load(…); entry(…);           // the mark is removed when `guard` ends
//   …
//   RunGuard mark(cache_dir, sha256, run_id);  // marked while its `run` hook runs
//
// Files, beside the private copies in the plugin cache:
//   <cache_dir>/loading/<sha256>.<pid>   while a process loads the file; holds its owner
//                                        id (common/process_owner.h)
//   <cache_dir>/running/<sha256>.<pid>.<n>  while a run of the file executes in a process;
//                                        holds its owner id and run id
//   <cache_dir>/run_crashes/<sha256>/<pid>.<n>  a running mark of a process that died:
//                                        one crash attributed to the file
//   <cache_dir>/crashed/<sha256>         once a loading mark of a process that died was
//                                        found, or kRunCrashesToQuarantine run crashes;
//                                        holds what happened. The file stays rejected
//                                        until its contents change (a new SHA) or this
//                                        mark (and run_crashes/<sha256>) is deleted.
// A process killed from outside (kill -9, a power cut) while a load is marked, or killed
// with -9 while a run is marked, is indistinguishable from a crash and counts the same way;
// the reason names the marks to delete. (A running mark from before a reboot is dropped
// without counting.) Every run in progress in a process that died counts for its file: with several
// runs at once, a file that shared a process with a crashing one is counted too (which is
// why one run crash is not enough to quarantine a file). An owner that cannot be checked
// (common/process_owner.h: unknown) is never counted.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace stratrun {

/// How many runs of one file may kill their process before the file is quarantined.
inline constexpr int kRunCrashesToQuarantine = 3;

class LoadGuard {
 public:
  /// Why the file with `sha256` must not be loaded: an earlier load of it killed its
  /// process (recorded now if a loading mark of a dead process is found), or
  /// kRunCrashesToQuarantine of its runs did (running marks of dead processes are counted
  /// now, each once even when several processes look at once). nullopt otherwise. Never
  /// throws.
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

/// Marks a run of the file with `sha256` as executing in this process, for as long as the
/// object lives (see the overview). Best effort, like LoadGuard; an empty cache_dir marks
/// nothing. Thread-safe (each object has its own mark).
class RunGuard {
 public:
  RunGuard(const std::filesystem::path& cache_dir, const std::string& sha256, const std::string& run_id);
  ~RunGuard();
  RunGuard(const RunGuard&) = delete;
  RunGuard& operator=(const RunGuard&) = delete;

 private:
  std::filesystem::path mark_;
};

}  // namespace stratrun
