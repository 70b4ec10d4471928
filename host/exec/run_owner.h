// RunOwner: which process is running (or holds queued) a run, so that a run left behind by
// a process that died — a server or a CLI run killed with -9, a power cut — can be told
// apart from a run another live process is running right now on the same run log.
//
//   record.owner = ThisProcessOwner();   // when the run is created or requeued
//   if (!OwnerIsAlive(record.owner)) …   // recovery: nobody will ever end this run
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
