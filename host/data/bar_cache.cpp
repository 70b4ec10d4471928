#include "data/bar_cache.h"

namespace stratrun {

BarCache::BarCache(std::shared_ptr<FileBarSource> files, BarCacheOptions options)
    : files_(std::move(files)), options_(options) {}

size_t BarCache::BytesOf(const BarSeries& series) {
  return sizeof(BarSeries) + series.day.capacity() * sizeof(int32_t) +
         (series.open.capacity() + series.high.capacity() + series.low.capacity() + series.close.capacity() +
          series.adj_close.capacity() + series.volume.capacity()) *
             sizeof(double);
}

Result<std::shared_ptr<const BarSeries>> BarCache::Load(std::string_view ticker_view) {
  const std::string ticker(ticker_view);
  const std::optional<FileStamp> stat = StatFile(files_->FileFor(ticker));
  const bool exists = stat.has_value();
  const FileStamp stamp = stat.value_or(FileStamp{});
  {
    std::unique_lock lock(mutex_);
    for (;;) {
      auto it = entries_.find(ticker);
      if (it != entries_.end() && exists && it->second.stamp == stamp) {
        ++stats_.hits;
        lru_.splice(lru_.begin(), lru_, it->second.lru);
        return it->second.series;
      }
      if (it != entries_.end()) EraseLocked(it);  // changed or gone
      auto flight = in_flight_.find(ticker);
      if (!exists || flight == in_flight_.end()) break;
      if (!(flight->second == stamp)) break;  // another thread parses another version: do ours
      parsed_.wait(lock);                     // the same version is being parsed: wait for it
    }
    ++stats_.misses;
    if (exists) in_flight_[ticker] = stamp;
  }

  auto loaded = files_->Load(ticker);  // outside the lock: loading takes a while
  std::lock_guard lock(mutex_);
  if (auto flight = in_flight_.find(ticker); flight != in_flight_.end() && flight->second == stamp) {
    in_flight_.erase(flight);
  }
  parsed_.notify_all();
  if (!loaded) return loaded.status();
  // Keep it only if the file still is what was stat()ed before parsing started.
  if (exists && StatFile(files_->FileFor(ticker)) == stat) InsertLocked(ticker, stamp, *loaded);
  return *loaded;
}

std::vector<std::string> BarCache::ListTickers() { return files_->ListTickers(); }

void BarCache::InsertLocked(const std::string& ticker, FileStamp stamp, std::shared_ptr<const BarSeries> series) {
  if (auto it = entries_.find(ticker); it != entries_.end()) EraseLocked(it);
  const size_t bytes = BytesOf(*series);
  if (bytes > options_.max_bytes) return;
  while (bytes_ + bytes > options_.max_bytes && !lru_.empty()) {
    EraseLocked(entries_.find(lru_.back()));
    ++stats_.evictions;
  }
  lru_.push_front(ticker);
  entries_.emplace(ticker, Entry{stamp, std::move(series), bytes, lru_.begin()});
  bytes_ += bytes;
}

void BarCache::EraseLocked(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  entries_.erase(it);
}

BarCacheStats BarCache::stats() const {
  std::lock_guard lock(mutex_);
  BarCacheStats s = stats_;
  s.entries = entries_.size();
  s.bytes = bytes_;
  return s;
}

}  // namespace stratrun
