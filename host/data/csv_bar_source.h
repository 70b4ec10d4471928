// CsvBarSource: daily bars from a folder of Yahoo Finance CSV downloads, one file per
// ticker (<dir>/AAPL.csv), plus the parser and writer of that format.
//
//   Date,Open,High,Low,Close,Adj Close,Volume
//   2024-01-02,187.15,188.44,183.89,185.64,184.94,82488700
//
//   CsvBarSource source("/var/lib/stratrun/data");
//   auto bars = source.Load("AAPL");            // NotFound / DataError / the series
//   if (!bars) Log(bars.status().message());
//
// Real files are messy. Every case has one defined outcome; none crashes and none
// produces a silently wrong number. Line numbers N are physical lines of the file,
// 1-based, the header included. When a text has several problems, the first row problem
// in file order is reported; duplicate dates are checked after all rows were read.
//
// Accepted as they are:
//   - a UTF-8 byte-order mark; LF, CRLF or lone-CR line endings (mixed too); a final
//     newline or none;
//   - blank lines, lines of only spaces/tabs and lines of only commas (spreadsheet
//     residue), anywhere: skipped, but still counted for line numbers;
//   - spaces/tabs around any field, and a field enclosed in double quotes ("12.5");
//     a quoted field cannot contain a comma (it would be split, see field counts);
//   - columns in any order: the header (the first non-blank line) is matched by name,
//     case-insensitively, after trimming. Unknown columns (Dividends, …) are ignored, but
//     every row must still have as many fields as the header;
//   - a copy of the header line further down (concatenated downloads): skipped;
//   - numbers as std::from_chars reads them in general format: "12", "12.50", "1.5e6".
//     Volume may be "1234567" or "1234567.0"; fractional volumes are kept as written;
//   - rows out of date order: sorted, oldest first;
//   - rows repeating a date with the same values (compared as parsed numbers, so "1" and
//     "1.0" are the same): kept once;
//   - rows whose every value field is `null`, `nan` or empty (Yahoo writes
//     `2020-04-10,null,null,null,null,null,null` for holidays): skipped;
//   - prices that break an ordering rule below by a relative error of at most 1e-9
//     (float noise): accepted and kept exactly as written, not clamped;
//   - `Adj Close` missing: Adj Close is a copy of Close.
//
// Rejected with a DataError (the ticker cannot be used):
//   - empty text, only blank lines, a header only, or only skipped rows → "no bars";
//   - a NUL byte (binary data, UTF-16 text) → "not a csv text file (NUL byte at offset N)";
//     other non-CSV text fails on its header, typically "missing column 'Date'";
//   - a header without Date, Open, High, Low, Close or Volume → "missing column 'Volume'";
//     a header naming a column twice → "duplicate column 'Close'";
//   - a row with another field count than the header →
//     "bad data at line N: expected 7 fields, got 5";
//   - a date that is not a valid calendar date written YYYY-MM-DD, optionally followed
//     by a time of day as pandas/yfinance write it ("2024-01-02 00:00:00-05:00",
//     "2024-01-02T00:00:00Z"; the bar's day is the date as written) →
//     "bad data at line N: '2024-13-45' is not a date";
//   - a value that is not a finite number → "bad data at line N: 'abc' is not a number
//     (column Close)" ('nan'/'inf' included; beyond the double range: "… is out of
//     range (column Close)");
//   - some but not all value fields of a row missing →
//     "bad data at line N: missing value 'null' (column Volume)";
//   - a price (Open, High, Low, Close, Adj Close) ≤ 0 →
//     "bad data at line N: non-positive price 0 (column Open)";
//   - volume < 0 → "bad data at line N: negative volume -5 (column Volume)";
//   - High < Low → "bad data at line N: high 9 is below low 10";
//     High < Open or Close → "bad data at line N: high 10 is below close 10.5";
//     Low > Open or Close → "bad data at line N: low 10 is above open 9.5";
//   - one date with different values → "bad data at line N: duplicate date 2024-01-02
//     with different values" (N is the later of the two lines).
// Field text quoted in a message is cut to 40 bytes and has bytes outside printable
// ASCII replaced by '?', so messages stay printable whatever the file holds.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "data/bar_series.h"

namespace stratrun {

/// Parses one Yahoo Finance CSV text into a BarSeries (days since 1970-01-01, strictly
/// increasing; Adj Close = Close when the column is missing). Outcomes for messy input
/// are listed at the top of this header; every failure is a DataError. Pure function,
/// thread-safe.
Result<BarSeries> ParseYahooCsv(std::string_view text);

/// Writes `series` as `Date,Open,High,Low,Close,Adj Close,Volume`, LF line endings, no
/// BOM. Every value is written as the shortest fixed-point decimal that reads back as the
/// same double, so ParseYahooCsv of the file returns `series` bit for bit; in particular
/// a value that was parsed from a decimal of ≤ 15 significant digits is written as that
/// decimal (without redundant zeros: "12.50" comes back as "12.5").
///
/// Atomic: the text goes to a hidden temporary file in the same folder, is fsync'ed and
/// renamed over `file`; readers see the old file or the new one, never a partial one
/// (the rename itself is not fsync'ed to the folder). The folder must exist.
///
/// InvalidArgument, and nothing written, when `series` is one that ParseYahooCsv would
/// reject: no bars, columns of different lengths, days not strictly increasing or outside
/// years 0000–9999, a value that is not finite, or a bar breaking the price/volume rules
/// ("bar 3 (2024-01-04): high 9 is below low 10"). Internal when the file system fails
/// (the message names the path and the cause; the temporary file is removed).
///
/// Generated data say so in the file itself, so the mark travels wherever the file is
/// copied: with `synthetic`, each line ends in one more column, `Source`, whose value is
/// `synthetic` (a column every CSV reader and spreadsheet keeps, and ParseYahooCsv skips).
Status WriteYahooCsv(const std::filesystem::path& file, const BarSeries& series, bool synthetic = false);

/// True when `file` is one WriteYahooCsv wrote with `synthetic` (its header's last column
/// is `Source` and its first row's is `synthetic`). Reads at most the first 4 KiB; false
/// for a missing or unreadable file.
bool IsSyntheticCsv(const std::filesystem::path& file);

/// A folder of <TICKER>.csv files in the Yahoo Finance format. Reads files on every
/// Load (no caching: the cache layer sits on top and uses FileFor to stat files).
/// Thread-safe: it holds no mutable state, so any number of threads may call it at once.
class CsvBarSource : public FileBarSource {
 public:
  /// The folder need not exist yet; until it does, every ticker is NotFound.
  explicit CsvBarSource(std::filesystem::path dir);

  /// Reads and parses FileFor(ticker) in one read. NotFound "no data file for 'AAPL'"
  /// when there is no such file or `ticker` is not a valid ticker symbol (IsValidTicker:
  /// upper-case, so "aapl" is NotFound even if aapl.csv exists). DataError whose message
  /// starts with the file's path when it cannot be read, is not a regular file, is larger
  /// than 1 GiB or cannot be parsed ("/data/AAPL.csv: bad data at line 7: …").
  Result<std::shared_ptr<const BarSeries>> Load(std::string_view ticker) override;

  /// The stem of every regular file (symlinks followed) named *.csv, extension in lower
  /// case, whose stem is a valid ticker, sorted. Other files (notes.txt, "bad name.csv",
  /// aapl.csv, AAPL.CSV) are ignored. Empty when the folder is missing or unreadable.
  std::vector<std::string> ListTickers() override;

  /// <dir>/<ticker>.csv for a valid ticker; an empty path for an invalid one, so that
  /// no ticker text can name a file outside the folder.
  std::filesystem::path FileFor(std::string_view ticker) const override;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace stratrun
