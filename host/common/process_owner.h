// ProcessOwner: an id for "this process", so that what a process leaves behind when it
// dies — a run it was running (a server or a CLI run killed with -9, a crash, a power
// cut), a plugin load it never finished — can be told apart from what another live process
// is doing right now with the same run log or plugin cache.
//
//   record.owner = ThisProcessOwner();   // when a run is created or claimed
//   if (!OwnerIsAlive(record.owner)) …   // nobody will ever end this run
//
// An owner id is "<boot id>/<pid>/<start time>": the kernel's boot id, the process id and
// the process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), so
// neither a reused pid nor a reboot is mistaken for the owner.
#pragma once

#include <string>
#include <string_view>

namespace stratrun {

/// The owner id of the calling process.
std::string ThisProcessOwner();

/// True when the process `owner` names is still running. An empty or malformed owner (a
/// run logged before owners were stored) is unknown: false.
bool OwnerIsAlive(std::string_view owner);

}  // namespace stratrun
