// FileStamp: what identifies one version of a file — its size, modification time and
// inode — so that caches can tell a file they parsed from a changed or replaced one.
//
//   std::optional<FileStamp> before = StatFile(csv);
//   … parse csv …
//   if (StatFile(csv) == before) keep the result;
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace stratrun {

/// A file version: replacing the file (rename over it) changes the inode, rewriting it in
/// place changes the mtime (nanoseconds) and usually the size. A rewrite in place that
/// keeps size and mtime (a tool that restores timestamps) is not detected.
struct FileStamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};

/// The stamp of `file` (symlinks followed); nullopt when it cannot be stat()ed (missing,
/// unreadable folder, empty path). Thread-safe.
std::optional<FileStamp> StatFile(const std::filesystem::path& file);

}  // namespace stratrun
