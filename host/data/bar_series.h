// BarSeries and BarSource: daily OHLCV data and where it comes from; FileBarSource, a
// source that reads each ticker from one file, which caches above it stat() to stay fresh.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace stratrun {

/// Daily bars of one ticker as columns, oldest first, one row per trading day.
/// Invariants: all columns have the same length; days strictly increase.
struct BarSeries {
  std::vector<int32_t> day;  // days since 1970-01-01
  std::vector<double> open, high, low, close, adj_close, volume;

  size_t size() const { return day.size(); }
};

/// A provider of bar series. Thread-safe; series are immutable once handed out.
class BarSource {
 public:
  virtual ~BarSource() = default;
  /// The ticker's bars. NotFound when the source has no such ticker; DataError when it
  /// has one but cannot use it (the message says why).
  virtual Result<std::shared_ptr<const BarSeries>> Load(std::string_view ticker) = 0;
  /// Every ticker the source can provide, sorted.
  virtual std::vector<std::string> ListTickers() = 0;
};

/// A BarSource whose every series is read from one file, FileFor(ticker), and depends on
/// nothing else: a cache above it may serve a series as long as that file's FileStamp
/// (size, mtime, inode) is unchanged, and must forget it when the file is gone.
class FileBarSource : public BarSource {
 public:
  /// The file that Load(ticker) reads; empty when no file can hold `ticker` (Load is then
  /// NotFound). Thread-safe.
  virtual std::filesystem::path FileFor(std::string_view ticker) const = 0;
};

}  // namespace stratrun
