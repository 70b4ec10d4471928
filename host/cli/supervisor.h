// Supervise: keeps `stratrun serve` up when a plugin crashes it.
//
//   if (auto exit_code = Supervise(options.host, options.port)) return *exit_code;  // the supervisor
//   // here: the server process, to serve on options.port
//   …  NotifySupervisorServing();            // once it listens
//   return ServerExit(kExitOk);              // every deliberate exit says so
//
// Plugins run inside the server process, so a plugin that segfaults, aborts or calls
// exit() ends it. The supervisor is the parent process: it reserves the port (a bound,
// never-listening socket with SO_REUSEADDR, so a restarted server gets the same port even
// when 0 asked for any), forks the server, forwards SIGINT/SIGTERM to it and waits.
//
// The server tells the supervisor, over a pipe, when it serves and when it exits on
// purpose (ServerExit: after a SIGINT/SIGTERM, or because it cannot start — bad flags,
// data or database). A server that ends any other way — killed by a signal, or exiting
// with any code, 0 included, without having said so — crashed, and unless the supervisor
// was asked to stop, a new server is started on the same port after a short pause (250 ms,
// doubling to 8 s while crashes follow each other). Its recovery ends the runs the dead
// one was running as `interrupted` (exec/recovery.h) and queues its queued runs again; a
// plugin file whose loading killed it, or whose runs killed it kRunCrashesToQuarantine
// times, is rejected from then on (plugins/load_guard.h) while the others keep being
// served. So the supervisor does not give up on the service for crashes of a server that
// was serving; it gives up (exit 1) only when the server crashes kMaxCrashes times within
// kCrashWindow before ever serving — a crash loop no quarantine ends. The server dies with
// the supervisor (PR_SET_PDEATHSIG), so killing the supervisor never leaves a server behind.
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

/// In a supervised server: tells the supervisor that the server is serving (its start
/// succeeded). From then on, in any server, an exit not announced by ServerExit (a
/// plugin's exit()) ends the process at once with its code (_exit): no static object is
/// destroyed while other threads still use it. Call once; never throws.
void NotifySupervisorServing() noexcept;

/// In a supervised server: tells the supervisor that the process is about to exit with
/// `exit_code` on purpose, so the exit is not taken for a crash; returns `exit_code`. A
/// no-op (returning `exit_code`) in a process Supervise did not start.
int ServerExit(int exit_code) noexcept;

}  // namespace stratrun
