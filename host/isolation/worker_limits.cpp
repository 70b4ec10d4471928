#include "isolation/worker_limits.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

namespace stratrun {
namespace {

Status Errno(const char* what) { return Internal(std::string(what) + ": " + std::strerror(errno)); }

Status DenyNetwork() {
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
  if (filter == nullptr) return Internal("seccomp_init failed");
  int rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
  if (rc == 0) rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
  // io_uring can open sockets without the socket() call.
  if (rc == 0) rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(io_uring_setup), 0);
  if (rc == 0) rc = seccomp_load(filter);
  seccomp_release(filter);
  if (rc != 0) return Internal(std::string("cannot install the no-network filter: ") + std::strerror(-rc));
  return {};
}

}  // namespace

Status ApplyWorkerLimits(const WorkerLimits& limits, pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return Errno("PR_SET_PDEATHSIG");
  if (::getppid() != parent) ::_exit(0);  // the host went before the signal was armed
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("PR_SET_NO_NEW_PRIVS");
  const rlimit no_core{0, 0};
  if (::setrlimit(RLIMIT_CORE, &no_core) != 0) return Errno("RLIMIT_CORE");
#if !defined(__SANITIZE_ADDRESS__)
  if (limits.memory_mb > 0) {
    const rlim_t bytes = static_cast<rlim_t>(limits.memory_mb) << 20;
    const rlimit address_space{bytes, bytes};
    if (::setrlimit(RLIMIT_AS, &address_space) != 0) return Errno("RLIMIT_AS");
  }
#endif
  if (limits.deny_network) return DenyNetwork();
  return {};
}

}  // namespace stratrun
