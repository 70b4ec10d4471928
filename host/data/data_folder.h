// The market-data folder: where it is, how every host process reads it (through the
// on-disk bar cache), and the synthetic sample universe that fills it on first use so
// that everything works offline out of the box.
//
//   auto dir = DefaultDataDir();                       // ~/.local/share/stratrun/data
//   auto sample = EnsureSampleData(dir, {});           // generated only if dir is empty
//   if (*sample) std::puts("generated a synthetic sample universe");
//   BarCache bars(OpenBarFiles(dir));                  // CSV files behind the disk cache
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "data/bar_series.h"

namespace stratrun {

/// $STRATRUN_DATA_DIR, else $XDG_DATA_HOME/stratrun/data, else ~/.local/share/stratrun/data.
std::filesystem::path DefaultDataDir();

/// Where parsed bars are cached on disk for every process (ColumnFileCache):
/// $STRATRUN_CACHE_DIR/bars, else $XDG_CACHE_HOME/stratrun/bars, else
/// ~/.cache/stratrun/bars. Empty when $STRATRUN_BAR_CACHE is "off" or "0".
std::filesystem::path DefaultBarCacheRoot();

/// The CSV files of `dir` as a host process reads them: a CsvBarSource behind a
/// ColumnFileCache in ColumnCacheDirFor(DefaultBarCacheRoot(), dir), or the CsvBarSource
/// alone when the disk cache is off. The one way the CLI, the server and the workers open
/// a data folder, so that they share one cache. Put a BarCache on top for memory caching.
std::shared_ptr<FileBarSource> OpenBarFiles(const std::filesystem::path& dir);

/// The file that marks a folder as holding generated, not real, data.
inline constexpr const char* kSyntheticMarkerFile = "SYNTHETIC-DATA.txt";

/// True when `dir` holds generated data: it has the marker file, or any of its *.csv
/// files is marked synthetic (IsSyntheticCsv), e.g. sample files copied among real ones.
/// Reads the head of each file until one is marked (a few ms for 500 files).
bool IsSyntheticDataDir(const std::filesystem::path& dir);

struct SynthOptions {
  std::vector<std::string> tickers;  // empty: the shipped S&P 500 list
  uint64_t seed = 42;
  int days = 1260;
  unsigned threads = 0;  // 0: one per core
};

/// `count` ticker names for a synthetic universe: the S&P 500 list in order, then
/// SYN0001, SYN0002, … when more are asked for.
std::vector<std::string> SyntheticTickerNames(size_t count);

/// Writes one <TICKER>.csv per ticker into `dir` (created if missing), each marked
/// synthetic in its own rows (WriteYahooCsv), and the folder's marker file.
/// Each file is written atomically; existing files of other tickers are left alone.
Status WriteSyntheticUniverse(const std::filesystem::path& dir, const SynthOptions& options);

/// Makes sure `dir` has market data: when it is missing or holds no *.csv file, generates
/// the sample universe into it and returns true. Safe when several processes do it at
/// once (each generates into a private folder; the first to rename it into place wins).
Result<bool> EnsureSampleData(const std::filesystem::path& dir, const SynthOptions& options);

}  // namespace stratrun
