// ProcessOwner: an id for "this process", so that what a process leaves behind when it
// dies — a run it was running (a server or a CLI run killed with -9, a crash, a power
// cut), a plugin load it never finished — can be told apart from what another live process
// is doing right now with the same run log or plugin cache.
//
//   record.owner = ThisProcessOwner();            // when a run is created or claimed
//   if (OwnerStateOf(record.owner) == OwnerState::kDead) …   // nobody will ever end this run
//
// An owner id is "<boot id>/<pid>/<start time>": the kernel's boot id, the process id and
// the process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), so
// neither a reused pid nor a reboot is mistaken for the owner.
//
// Whether an owner lives is a tri-state: only positive evidence makes a process dead (no
// such pid, another start time, a zombie, another boot). When the evidence cannot be read
// (out of file descriptors, /proc not readable, a malformed id) the answer is kUnknown,
// and callers must treat unknown as "leave it alone", never as dead.
#pragma once

#include <string>
#include <string_view>

namespace stratrun {

enum class OwnerState {
  kAlive,    // the named process is running
  kDead,     // proven gone: nobody will ever act for this owner again
  kUnknown,  // cannot tell (EMFILE, /proc unreadable, malformed or empty id)
};

/// The owner id of the calling process. Read once per process (a forked child reads its
/// own); while its start time cannot be read (e.g. out of file descriptors at the very
/// first call) the id has an empty start time, which OwnerStateOf calls unknown.
std::string ThisProcessOwner();

/// True when `owner` names the calling process. Checked from memory (no file is read), so
/// it holds even when the process is out of file descriptors.
bool IsThisProcess(std::string_view owner);

/// What is known about the process `owner` names; see the overview. The calling process
/// is always kAlive. Never throws.
OwnerState OwnerStateOf(std::string_view owner);

/// OwnerStateOf(owner) == kAlive.
bool OwnerIsAlive(std::string_view owner);

/// OwnerStateOf(owner) == kDead: the only answer that lets a caller take over what the
/// owner left behind.
bool OwnerIsDead(std::string_view owner);

}  // namespace stratrun
