// Supervise: keeps `stratrun serve` up when a plugin crashes it.
//
//   if (auto exit_code = Supervise(options.host, options.port)) return *exit_code;  // the supervisor
//   // here: the server process, to serve on options.port
//
// Plugins run inside the server process, so a plugin that segfaults or aborts kills it.
// The supervisor is the parent process: it reserves the port (a bound, never-listening
// socket with SO_REUSEADDR, so a restarted server gets the same port even when 0 asked
// for any), forks the server, forwards SIGINT/SIGTERM to it and waits. When
// the server dies from a signal or exits with a code other than 0 (stopped) or 2 (it could
// not start: bad flags, data or database), a new server is started on the same port after
// a short pause; its recovery ends the runs the dead one was running as `interrupted`
// (exec/recovery.h) and queues its queued runs again, and a plugin whose loading killed
// it is rejected from then on (plugins/load_guard.h). After kMaxCrashes crashes within
// kCrashWindow the supervisor gives up and exits 1. The server dies with the supervisor
// (PR_SET_PDEATHSIG), so killing the supervisor never leaves a server behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace stratrun {

inline constexpr int kMaxCrashes = 5;
inline constexpr std::chrono::seconds kCrashWindow{60};

/// In the supervisor: its exit code, once the server stopped for good. In the server
/// process: nullopt, with `port` set to the reserved port. Call before any thread starts.
std::optional<int> Supervise(const std::string& host, uint16_t& port);

}  // namespace stratrun
