// WorkerLimits: what a worker process gives up before it runs any plugin code.
#pragma once

#include <cstdint>
#include <sys/types.h>

#include "common/status.h"

namespace stratrun {

/// The exit status of a worker whose allocation failed under --worker-memory.
inline constexpr int kWorkerOutOfMemoryExit = 87;

struct WorkerLimits {
  uint64_t memory_mb = 0;     // 0: no limit
  bool deny_network = false;  // --sandbox no-network
};

/// Applied in the worker, in this order: it dies with the host (PR_SET_PDEATHSIG, and
/// exits at once when `parent` is already gone), gains no privileges (PR_SET_NO_NEW_PRIVS),
/// writes no core dump (RLIMIT_CORE 0), gets at most memory_mb of address space
/// (RLIMIT_AS; not in AddressSanitizer builds, whose shadow memory needs terabytes of it:
/// there the host's RSS watch is the limit, see isolation/worker_runner.h), and with
/// deny_network may create no socket but AF_UNIX ones (seccomp: socket() fails EACCES).
Status ApplyWorkerLimits(const WorkerLimits& limits, pid_t parent);

}  // namespace stratrun
