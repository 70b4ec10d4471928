// ColumnFileCache: an on-disk cache of parsed series shared by every process, in front of
// a file source (CsvBarSource): a process's first load of a ticker reads one binary column
// file (ColumnFile) instead of parsing its CSV.
//
//   auto csv = std::make_shared<CsvBarSource>(data_dir);
//   auto disk = std::make_shared<ColumnFileCache>(csv, ColumnCacheDirFor(cache_root, data_dir));
//   BarCache memory(disk);          // in-process cache over the disk cache
//   auto bars = memory.Load("AAPL");
//
// Guarantees:
//  - The source file stays the truth: a cache file is used only while it was made from
//    the source file as it is now (size, mtime in ns and inode, FileStamp); a ticker whose
//    source file is gone is what the source says (NotFound), and its cache file is removed.
//  - Any other cache file — missing, stale, truncated, garbage, another format version —
//    is a miss: the source is loaded and the cache file rewritten.
//  - Cache files are written atomically (temporary file + rename), so concurrent processes
//    and threads see a whole file or none. A write that fails (read-only or missing folder,
//    disk full) is logged at debug level on the "data" logger and never fails a load.
//  - Errors are not cached: a DataError from the source is returned and nothing written.
// Not detected: a source file rewritten in place to the same size with its mtime restored.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>

#include "data/bar_series.h"
#include "data/file_stamp.h"

namespace stratrun {

/// <cache_root>/<the first 16 hex digits of SHA-256 of the absolute, normalised
/// `data_dir`>: the cache folder of one data folder, so that folders never share files.
std::filesystem::path ColumnCacheDirFor(const std::filesystem::path& cache_root,
                                        const std::filesystem::path& data_dir);

struct ColumnFileCacheStats {
  uint64_t hits = 0;            // loads served from a cache file
  uint64_t misses = 0;          // loads that went to the source (the source file exists)
  uint64_t writes = 0;          // cache files written
  uint64_t write_failures = 0;  // cache files that could not be written
};

/// Thread-safe; any number of instances (in any processes) may share one cache folder.
class ColumnFileCache : public FileBarSource {
 public:
  /// `cache_dir` need not exist: it is created on the first write.
  ColumnFileCache(std::shared_ptr<FileBarSource> source, std::filesystem::path cache_dir);

  Result<std::shared_ptr<const BarSeries>> Load(std::string_view ticker) override;
  std::vector<std::string> ListTickers() override { return source_->ListTickers(); }
  /// The source's file (not the cache file): what a cache above this one must stat.
  std::filesystem::path FileFor(std::string_view ticker) const override { return source_->FileFor(ticker); }

  /// <cache_dir>/<ticker>.bars; empty for a ticker the source has no file name for.
  std::filesystem::path CacheFileFor(std::string_view ticker) const;
  const std::filesystem::path& cache_dir() const { return cache_dir_; }
  ColumnFileCacheStats stats() const;

 private:
  void Store(std::string_view ticker, const std::filesystem::path& file, const BarSeries& series,
             const FileStamp& stamp);

  std::shared_ptr<FileBarSource> source_;
  std::filesystem::path cache_dir_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, writes_{0}, write_failures_{0};
};

}  // namespace stratrun
