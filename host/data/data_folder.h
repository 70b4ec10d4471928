// The market-data folder: where it is, and the synthetic sample universe that fills it
// on first use so that everything works offline out of the box.
//
//   auto dir = DefaultDataDir();                       // ~/.local/share/stratrun/data
//   auto sample = EnsureSampleData(dir, {});           // generated only if dir is empty
//   if (*sample) std::puts("generated a synthetic sample universe");
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace stratrun {

/// $STRATRUN_DATA_DIR, else $XDG_DATA_HOME/stratrun/data, else ~/.local/share/stratrun/data.
std::filesystem::path DefaultDataDir();

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
