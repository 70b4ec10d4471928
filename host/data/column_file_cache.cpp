#include "data/column_file_cache.h"

#include <string>
#include <system_error>
#include <utility>

#include "common/logging.h"
#include "common/sha256.h"
#include "data/column_file.h"
#include "data/file_stamp.h"

namespace stratrun {

namespace fs = std::filesystem;

fs::path ColumnCacheDirFor(const fs::path& cache_root, const fs::path& data_dir) {
  std::error_code error;
  fs::path absolute = fs::weakly_canonical(data_dir, error);
  if (error) absolute = fs::absolute(data_dir, error).lexically_normal();
  std::string key = absolute.string();
  while (key.size() > 1 && key.back() == '/') key.pop_back();  // "/data/" and "/data" are one folder
  return cache_root / Sha256Hex(key).substr(0, 16);
}

ColumnFileCache::ColumnFileCache(std::shared_ptr<FileBarSource> source, fs::path cache_dir)
    : source_(std::move(source)), cache_dir_(std::move(cache_dir)) {}

fs::path ColumnFileCache::CacheFileFor(std::string_view ticker) const {
  if (source_->FileFor(ticker).empty()) return {};  // the source's rule for valid tickers
  return cache_dir_ / (std::string(ticker) + ".bars");
}

Result<std::shared_ptr<const BarSeries>> ColumnFileCache::Load(std::string_view ticker) {
  const fs::path source_file = source_->FileFor(ticker);
  const std::optional<FileStamp> stamp = StatFile(source_file);
  const fs::path cache_file = CacheFileFor(ticker);
  if (!stamp) {  // no source file: the source says what that means, and the cache file goes
    std::error_code ignored;
    if (!cache_file.empty()) fs::remove(cache_file, ignored);
    return source_->Load(ticker);
  }

  Result<BarSeries> cached = ReadColumnFile(cache_file, *stamp);
  if (cached) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    return std::make_shared<const BarSeries>(std::move(cached).value());
  }
  if (cached.status().code() != StatusCode::kNotFound) {
    Logger("data")->debug("bar cache miss: {}", cached.status().message());
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  auto loaded = source_->Load(ticker);
  // Written only when the source file is still what was stat()ed before loading started.
  if (loaded && StatFile(source_file) == stamp) Store(ticker, cache_file, **loaded, *stamp);
  return loaded;
}

void ColumnFileCache::Store(std::string_view ticker, const fs::path& file, const BarSeries& series,
                            const FileStamp& stamp) {
  std::error_code error;
  fs::create_directories(cache_dir_, error);
  Status written = error ? Internal("cannot create " + cache_dir_.string() + ": " + error.message())
                         : WriteColumnFile(file, series, stamp);
  if (written.ok()) {
    writes_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  write_failures_.fetch_add(1, std::memory_order_relaxed);
  Logger("data")->debug("bar cache not written for {} (loaded from its csv instead): {}", ticker, written.message());
}

ColumnFileCacheStats ColumnFileCache::stats() const {
  return {.hits = hits_.load(std::memory_order_relaxed),
          .misses = misses_.load(std::memory_order_relaxed),
          .writes = writes_.load(std::memory_order_relaxed),
          .write_failures = write_failures_.load(std::memory_order_relaxed)};
}

}  // namespace stratrun
