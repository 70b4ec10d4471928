#include "data/file_stamp.h"

#include <sys/stat.h>

namespace stratrun {

std::optional<FileStamp> StatFile(const std::filesystem::path& file) {
  struct stat st {};
  if (file.empty() || ::stat(file.c_str(), &st) != 0) return std::nullopt;
  return FileStamp{.size = static_cast<uint64_t>(st.st_size),
                   .mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                   .inode = static_cast<uint64_t>(st.st_ino)};
}

}  // namespace stratrun
