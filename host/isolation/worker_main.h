// `stratrun worker`: the hidden command a worker process runs (isolation/worker_process.h
// starts it; users never do).
//
//   stratrun worker --serve --parent PID [--memory-mb N] [--sandbox no-network]
//       waits for one job on fd 3, runs it with its events and results going through the
//       ring on fds 4–6, sends what `run` returned, and exits.
//   stratrun worker --describe LIBRARY --file FILE --sha256 HEX --abi M.N --parent PID …
//       loads the library, sends its descriptor (or why it is rejected) on fd 3, exits.
//
// Before any plugin code it applies WorkerLimits. It exits with _exit: a thread the plugin
// left running never sees static objects destroyed under it.
#pragma once

namespace stratrun {

int WorkerMain(int argc, char** argv);

}  // namespace stratrun
