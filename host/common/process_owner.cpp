#include "common/process_owner.h"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace stratrun {
namespace {

/// The kernel's boot id (read once: it changes only with a reboot).
const std::string& BootId() {
  static const std::string id = [] {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string text;
    std::getline(in, text);
    return text;
  }();
  return id;
}

/// Field 22 (starttime) of /proc/<pid>/stat, or "" when there is no such process or it
/// has exited (a zombie). The command name (field 2) may hold spaces and parentheses, so
/// fields are counted after the last ')'.
std::string StartTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  const size_t name_end = stat.rfind(')');
  if (name_end == std::string::npos) return "";
  std::istringstream fields(stat.substr(name_end + 1));
  std::string field;
  for (int index = 3; index <= 22; ++index) {  // the stream starts at field 3 (state)
    if (!(fields >> field)) return "";
    if (index == 3 && (field == "Z" || field == "X")) return "";
  }
  return field;
}

}  // namespace

std::string ThisProcessOwner() {
  const pid_t pid = getpid();  // not cached: a forked child is another owner
  return BootId() + "/" + std::to_string(pid) + "/" + StartTime(pid);
}

bool OwnerIsAlive(std::string_view owner) {
  const size_t first = owner.find('/');
  const size_t second = first == std::string_view::npos ? first : owner.find('/', first + 1);
  if (second == std::string_view::npos) return false;
  const std::string_view boot = owner.substr(0, first);
  const std::string_view pid_text = owner.substr(first + 1, second - first - 1);
  const std::string_view start = owner.substr(second + 1);
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
  if (error != std::errc() || end != pid_text.data() + pid_text.size() || pid <= 0 || start.empty()) return false;
  return boot == BootId() && StartTime(pid) == start;
}

}  // namespace stratrun
