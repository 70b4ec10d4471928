// WorkerProcess and WorkerPool: starting worker processes — the same binary, run as the
// hidden `stratrun worker` command with posix_spawn (never a fork of the threaded server).
//
//   WorkerPool pool({.executable = StratrunExecutable(), .limits = {.memory_mb = 2048}}, 2);
//   auto worker = pool.TakeRunWorker();   // started earlier: no exec on the start path
//   write the job to (*worker)->control_fd(); drain (*worker)->ring(); (*worker)->Wait();
//
// Every worker is the leader of its own process group (Kill() ends it and whatever it
// started), has the signal mask and dispositions reset, stdin from /dev/null, stdout and
// stderr on non-blocking pipes the host reads, and inherits no other file descriptor but
// its own: fd 3 the control socket, fds 4–6 its ring's memfd and eventfds.
//
// A worker arms PR_SET_PDEATHSIG, which fires when the *thread* that spawned it ends, so
// every worker is spawned on the pool's own thread, which lives as long as the pool.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <sys/types.h>

#include "common/status.h"
#include "isolation/shared_ring.h"
#include "isolation/worker_limits.h"

namespace stratrun {

/// The file of the running executable (/proc/self/exe): what workers run.
std::filesystem::path StratrunExecutable();

struct WorkerOptions {
  std::filesystem::path executable;  // the stratrun binary; empty: StratrunExecutable()
  WorkerLimits limits;
  size_t ring_bytes = size_t{4} << 20;
};

/// One started worker. Destroying it kills its process group and reaps it.
class WorkerProcess {
 public:
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  pid_t pid() const { return pid_; }
  /// Readable once the process exited; -1 when the kernel has no pidfd (then poll Exited()).
  int pidfd() const { return pidfd_; }
  int control_fd() const { return control_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  /// The worker's ring; null for a worker started without one.
  SharedRing* ring() { return ring_.get(); }

  /// SIGKILL to its whole process group; harmless once it is gone.
  void Kill();
  /// True once it exited (it is not reaped yet).
  bool Exited() const;
  /// Waits for it to exit and returns its wait status (waitpid's); once reaped, the same.
  int Wait();

 private:
  friend Result<std::unique_ptr<WorkerProcess>> SpawnWorker(const WorkerOptions&, const std::vector<std::string>&,
                                                            bool);
  WorkerProcess() = default;

  pid_t pid_ = -1;
  int pidfd_ = -1, control_fd_ = -1, stdout_fd_ = -1, stderr_fd_ = -1;
  std::unique_ptr<SharedRing> ring_;
  bool reaped_ = false;
  int wait_status_ = 0;
};

/// Starts `stratrun worker ARGS… --parent PID` (plus the limits' flags), with a ring when
/// `with_ring`. Call it on a thread that outlives the worker (see above).
Result<std::unique_ptr<WorkerProcess>> SpawnWorker(const WorkerOptions& options, const std::vector<std::string>& args,
                                                   bool with_ring);

/// Keeps `idle` run workers started and waiting for a job, and spawns every worker on its
/// own thread. Thread-safe.
class WorkerPool {
 public:
  WorkerPool(WorkerOptions options, size_t idle);
  /// Stops the pool's thread and kills the idle workers (workers handed out are their
  /// holders'; they die with the pool's thread, so the pool must outlive their runs).
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// A run worker waiting for its job: an idle one (a dead idle one is skipped), or one
  /// started now when none is idle. The pool starts a replacement in the background, a
  /// little later (the run's own start goes first).
  Result<std::unique_ptr<WorkerProcess>> TakeRunWorker();
  /// A worker for `args`, started on the pool's thread (discovery's short-lived workers).
  Result<std::unique_ptr<WorkerProcess>> Spawn(std::vector<std::string> args, bool with_ring);

  const WorkerOptions& options() const { return options_; }

 private:
  struct Request {
    std::vector<std::string> args;
    bool with_ring;
    std::function<void(Result<std::unique_ptr<WorkerProcess>>)> done;
  };
  void Loop();

  const WorkerOptions options_;
  const size_t target_idle_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<WorkerProcess>> idle_;  // guarded by mutex_
  std::deque<Request> requests_;                     // guarded by mutex_
  bool stopping_ = false;                            // guarded by mutex_
  std::chrono::steady_clock::time_point refill_at_;  // guarded by mutex_: no idle spawn before
  std::thread thread_;
};

}  // namespace stratrun
