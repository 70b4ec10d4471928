#include "common/process_owner.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>

namespace stratrun {
namespace {

/// The whole of a small /proc file, or nullopt with errno set.
std::optional<std::string> ReadProcFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[512];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      errno = error;
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

/// The kernel's boot id; "" while it cannot be read (it is cached once read: it changes
/// only with a reboot).
std::string BootId() {
  static std::mutex mutex;
  static std::string id;
  std::lock_guard lock(mutex);
  if (id.empty()) {
    if (auto text = ReadProcFile("/proc/sys/kernel/random/boot_id")) {
      const size_t end = text->find('\n');
      id = text->substr(0, end);
    }
  }
  return id;
}

/// What /proc/<pid>/stat says about a process.
struct StatAnswer {
  OwnerState state = OwnerState::kUnknown;  // kAlive: `start` is field 22; kDead: gone or a zombie
  std::string start;
};

/// Field 22 (starttime) of /proc/<pid>/stat. The command name (field 2) may hold spaces
/// and parentheses, so fields are counted after the last ')'.
StatAnswer ReadStat(pid_t pid) {
  auto stat = ReadProcFile("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) {
    // ENOENT/ESRCH: no such process (it exited between kill() and here). Anything else
    // (EMFILE, ENFILE, EACCES, ENOMEM…) says nothing about the process.
    return {errno == ENOENT || errno == ESRCH ? OwnerState::kDead : OwnerState::kUnknown, ""};
  }
  const size_t name_end = stat->rfind(')');
  if (name_end == std::string::npos) return {};
  std::istringstream fields(stat->substr(name_end + 1));
  std::string field;
  for (int index = 3; index <= 22; ++index) {  // the stream starts at field 3 (state)
    if (!(fields >> field)) return {};
    if (index == 3 && (field == "Z" || field == "X")) return {OwnerState::kDead, ""};
  }
  return {OwnerState::kAlive, field};
}

struct ParsedOwner {
  std::string_view boot;
  pid_t pid = 0;
  std::string_view start;
};

std::optional<ParsedOwner> Parse(std::string_view owner) {
  const size_t first = owner.find('/');
  const size_t second = first == std::string_view::npos ? first : owner.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  ParsedOwner parsed{.boot = owner.substr(0, first), .start = owner.substr(second + 1)};
  const std::string_view pid_text = owner.substr(first + 1, second - first - 1);
  const auto [end, error] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), parsed.pid);
  if (error != std::errc() || end != pid_text.data() + pid_text.size() || parsed.pid <= 0 || parsed.start.empty() ||
      parsed.boot.empty()) {
    return std::nullopt;
  }
  return parsed;
}

/// This process's owner id once it has been read in full ("" before), and the pid it was
/// read for (a forked child reads its own).
struct SelfCache {
  std::mutex mutex;
  pid_t pid = 0;
  std::string owner;
};

SelfCache& Self() {
  static SelfCache* cache = new SelfCache;  // never destroyed: used from any thread until exit
  return *cache;
}

}  // namespace

std::string ThisProcessOwner() {
  const pid_t pid = getpid();
  SelfCache& self = Self();
  std::lock_guard lock(self.mutex);
  if (self.pid == pid && !self.owner.empty()) return self.owner;
  const StatAnswer stat = ReadStat(pid);
  const std::string owner = BootId() + "/" + std::to_string(pid) + "/" + stat.start;
  if (stat.state == OwnerState::kAlive && Parse(owner)) {
    self.pid = pid;
    self.owner = owner;
  }
  return owner;
}

bool IsThisProcess(std::string_view owner) {
  auto parsed = Parse(owner);
  if (!parsed || parsed->pid != getpid()) return false;
  const std::string self = ThisProcessOwner();
  // Our own start time unread (no fds at the very first call): a well-formed id with our
  // pid may be ours; never let it be taken for a stranger's.
  if (!Parse(self)) return true;
  return owner == self;
}

OwnerState OwnerStateOf(std::string_view owner) {
  auto parsed = Parse(owner);
  if (!parsed) return OwnerState::kUnknown;
  if (IsThisProcess(owner)) return OwnerState::kAlive;
  const std::string boot = BootId();
  if (boot.empty()) return OwnerState::kUnknown;
  if (parsed->boot != boot) return OwnerState::kDead;  // the machine restarted since
  // kill(pid, 0) needs no file descriptor: ESRCH proves the pid is free.
  if (::kill(parsed->pid, 0) != 0 && errno == ESRCH) return OwnerState::kDead;
  const StatAnswer stat = ReadStat(parsed->pid);
  if (stat.state != OwnerState::kAlive) return stat.state;
  return stat.start == parsed->start ? OwnerState::kAlive : OwnerState::kDead;  // another start: a reused pid
}

bool OwnerIsAlive(std::string_view owner) { return OwnerStateOf(owner) == OwnerState::kAlive; }

bool OwnerIsDead(std::string_view owner) { return OwnerStateOf(owner) == OwnerState::kDead; }

}  // namespace stratrun
