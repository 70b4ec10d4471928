// ColumnFile: one ticker's BarSeries as a binary file of columns, stamped with the source
// file it was parsed from, so that any process can read it back instead of parsing CSV.
//
//   WriteColumnFile(dir / "AAPL.bars", series, *StatFile(csv));   // atomic
//   auto bars = ReadColumnFile(dir / "AAPL.bars", *StatFile(csv));  // !ok: a miss
//
// Layout, format version 1, in the writer's byte order (a file from a machine of the
// other byte order reads as a miss):
//   0     header, 120 bytes: magic "SRBARCOL", u32 version, u32 header size, u32 byte-order
//         mark 0x01020304, u32 column count (7), the source file's u64 size, i64 mtime in
//         ns and u64 inode, u64 bar count n, u64 file size, u64 offset of each column
//   120   day: int32 × n, then zero padding to a multiple of 8
//   …     open, high, low, close, adj_close, volume: double × n each
// Every column starts at a multiple of 8 bytes; the offsets are those of this layout and
// nothing follows the last column.
#pragma once

#include <filesystem>

#include "common/status.h"
#include "data/bar_series.h"
#include "data/file_stamp.h"

namespace stratrun {

/// Version of the layout above; a file of another version is a miss.
inline constexpr uint32_t kColumnFileVersion = 1;

/// Writes `series` to `file`, stamped with `source` (the stamp of the file it was parsed
/// from). Atomic: written to a hidden temporary file in the same folder (which must exist)
/// and renamed over `file`, so a concurrent reader sees the old file, the new one or none,
/// never a part of one; concurrent writers of the same file leave one of their files.
/// Not fsync'ed (it is a cache: a file cut short by a crash reads as a miss).
/// InvalidArgument when the columns differ in length; Internal when the file system fails
/// (the message names the path and the cause; the temporary file is removed).
Status WriteColumnFile(const std::filesystem::path& file, const BarSeries& series, const FileStamp& source);

/// The series in `file`, if it was written from the source version `source`. NotFound
/// when there is no such file; DataError saying why when the file cannot be used: another
/// format version or byte order, not a column file, made from another version of the
/// source (size, mtime or inode differ), truncated or longer than its header says, or days
/// not strictly increasing (e.g. a zero-filled file). Never reads outside the file,
/// whatever it holds. Thread-safe.
Result<BarSeries> ReadColumnFile(const std::filesystem::path& file, const FileStamp& source);

}  // namespace stratrun
