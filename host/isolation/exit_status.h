// How a worker process ended, in words.
#pragma once

#include <string>

namespace stratrun {

/// "SIGSEGV" for a signal number; "signal 77" for one without a name.
std::string SignalName(int signal);

/// For a waitpid status: "crashed with SIGSEGV (Segmentation fault)", "exited with status 3".
std::string DescribeExit(int wait_status);

}  // namespace stratrun
