// BarCache: parsed bar series kept in memory across runs, over a source that reads each
// ticker from one file (CsvBarSource, or ColumnFileCache over one so that a fresh process
// reads the on-disk column cache instead of parsing CSV).
//
//   auto files = std::make_shared<CsvBarSource>(dir);
//   BarCache cache(files, {.max_bytes = 512 << 20});
//   auto bars = cache.Load("AAPL");   // loaded once; later loads are a stat() and a lookup
//
// Guarantees:
//  - A series is reloaded when its file (FileFor) changes (size, modification time or inode
//    differ) and forgotten when the file disappears; a load never returns data older than
//    the file it was checked against at the start of that load.
//  - Shared by any number of concurrent runs: series are immutable and handed out as
//    shared_ptr, so evicting one never invalidates a run that holds it. Concurrent loads
//    of the same missing ticker load it from the source once.
//  - Memory is bounded: when the cached series exceed `max_bytes`, the least recently
//    used are dropped (a single series larger than the bound is returned but not kept).
//  - Errors are not cached: a broken file is retried on the next load.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "data/bar_series.h"
#include "data/csv_bar_source.h"
#include "data/file_stamp.h"

namespace stratrun {

struct BarCacheOptions {
  size_t max_bytes = size_t{512} << 20;
};

struct BarCacheStats {
  uint64_t hits = 0, misses = 0, evictions = 0;
  size_t entries = 0, bytes = 0;
};

/// Thread-safe.
class BarCache : public BarSource {
 public:
  /// `files` is the source of truth; its FileFor names the file whose stamp decides freshness.
  explicit BarCache(std::shared_ptr<FileBarSource> files, BarCacheOptions options = {});

  Result<std::shared_ptr<const BarSeries>> Load(std::string_view ticker) override;
  std::vector<std::string> ListTickers() override;

  BarCacheStats stats() const;
  const FileBarSource& files() const { return *files_; }

  /// Memory a series takes in the cache.
  static size_t BytesOf(const BarSeries& series);

 private:
  struct Entry {
    FileStamp stamp;
    std::shared_ptr<const BarSeries> series;
    size_t bytes = 0;
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recent)
  };

  void InsertLocked(const std::string& ticker, FileStamp stamp, std::shared_ptr<const BarSeries> series);
  void EraseLocked(std::unordered_map<std::string, Entry>::iterator it);

  std::shared_ptr<FileBarSource> files_;
  BarCacheOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable parsed_;                 // signalled when a parse in flight ends
  std::unordered_map<std::string, Entry> entries_;  // guarded by mutex_
  std::unordered_map<std::string, FileStamp> in_flight_;  // tickers being parsed, guarded by mutex_
  std::list<std::string> lru_;                     // guarded by mutex_
  size_t bytes_ = 0;                               // guarded by mutex_
  BarCacheStats stats_;                            // guarded by mutex_
};

}  // namespace stratrun
