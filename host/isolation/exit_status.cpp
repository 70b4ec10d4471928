#include "isolation/exit_status.h"

#include <cstring>
#include <sys/wait.h>

namespace stratrun {

std::string SignalName(int signal) {
  if (const char* abbrev = ::sigabbrev_np(signal)) return std::string("SIG") + abbrev;
  return "signal " + std::to_string(signal);
}

std::string DescribeExit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const int signal = WTERMSIG(wait_status);
    const char* text = ::sigdescr_np(signal);
    return "crashed with " + SignalName(signal) + (text != nullptr ? std::string(" (") + text + ")" : "");
  }
  if (WIFEXITED(wait_status)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  return "ended (wait status " + std::to_string(wait_status) + ")";
}

}  // namespace stratrun
