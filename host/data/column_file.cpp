#include "data/column_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <utility>

namespace stratrun {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'S', 'R', 'B', 'A', 'R', 'C', 'O', 'L'};
constexpr uint32_t kByteOrderMark = 0x01020304;
constexpr size_t kColumns = 7;  // day, then the six double columns in BarSeries order

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t header_size;
  uint32_t byte_order;
  uint32_t column_count;
  uint64_t source_size;
  int64_t source_mtime_ns;
  uint64_t source_inode;
  uint64_t bar_count;
  uint64_t file_size;
  uint64_t column_offset[kColumns];
};
static_assert(sizeof(Header) == 120 && sizeof(Header) % 8 == 0);

constexpr uint64_t kBytesPerBar = sizeof(int32_t) + (kColumns - 1) * sizeof(double);

struct Layout {
  std::array<uint64_t, kColumns> offset;
  uint64_t file_size;
};

/// Where the columns of `bars` bars go (the caller keeps `bars` below 2^58: no overflow).
Layout LayoutFor(uint64_t bars) {
  Layout layout{};
  uint64_t at = sizeof(Header);
  layout.offset[0] = at;
  at = (at + bars * sizeof(int32_t) + 7) & ~uint64_t{7};
  for (size_t c = 1; c < kColumns; ++c) {
    layout.offset[c] = at;
    at += bars * sizeof(double);
  }
  layout.file_size = at;
  return layout;
}

std::array<const std::vector<double>*, kColumns - 1> DoubleColumns(const BarSeries& s) {
  return {&s.open, &s.high, &s.low, &s.close, &s.adj_close, &s.volume};
}
std::array<std::vector<double>*, kColumns - 1> DoubleColumns(BarSeries& s) {
  return {&s.open, &s.high, &s.low, &s.close, &s.adj_close, &s.volume};
}

std::string ErrnoText(int error) { return std::error_code(error, std::system_category()).message(); }

Status DataError(const fs::path& file, const std::string& why) {
  return {StatusCode::kDataError, file.string() + ": " + why};
}

/// Closes the descriptor it owns.
struct FileDescriptor {
  int fd = -1;
  explicit FileDescriptor(int descriptor) : fd(descriptor) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};

bool WriteAll(int fd, const void* data, size_t size) {
  const char* at = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, at, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    at += written;
    size -= static_cast<size_t>(written);
  }
  return true;
}

Status ReadExactly(int fd, const fs::path& file, void* data, size_t size, uint64_t offset) {
  ssize_t got;
  do {
    got = ::pread(fd, data, size, static_cast<off_t>(offset));
  } while (got < 0 && errno == EINTR);
  if (got < 0) return DataError(file, "cannot read: " + ErrnoText(errno));
  if (static_cast<size_t>(got) != size) return DataError(file, "truncated while read");
  return Status::Ok();
}

/// Why `header` of a file of `file_size` bytes cannot be used for `source`; ok if it can.
Status CheckHeader(const fs::path& file, const Header& header, uint64_t file_size, const FileStamp& source) {
  if (std::memcmp(header.magic, kMagic, sizeof kMagic) != 0) return DataError(file, "not a column file");
  if (header.byte_order != kByteOrderMark) return DataError(file, "written with another byte order");
  if (header.version != kColumnFileVersion) {
    return DataError(file, "format version " + std::to_string(header.version) + ", not " +
                               std::to_string(kColumnFileVersion));
  }
  if (header.header_size != sizeof(Header) || header.column_count != kColumns) {
    return DataError(file, "unexpected header size or column count");
  }
  if (header.source_size != source.size || header.source_mtime_ns != source.mtime_ns ||
      header.source_inode != source.inode) {
    return DataError(file, "made from another version of the source file");
  }
  if (header.bar_count > (file_size - sizeof(Header)) / kBytesPerBar) {
    return DataError(file, std::to_string(header.bar_count) + " bars do not fit in " + std::to_string(file_size) +
                               " bytes");
  }
  const Layout layout = LayoutFor(header.bar_count);
  if (header.file_size != layout.file_size ||
      !std::equal(layout.offset.begin(), layout.offset.end(), header.column_offset)) {
    return DataError(file, "column offsets do not match the layout");
  }
  if (file_size != layout.file_size) {
    return DataError(file, "file has " + std::to_string(file_size) + " bytes, its header says " +
                               std::to_string(layout.file_size));
  }
  return Status::Ok();
}

}  // namespace

Status WriteColumnFile(const fs::path& file, const BarSeries& series, const FileStamp& source) {
  const uint64_t bars = series.size();
  for (const auto* column : DoubleColumns(series)) {
    if (column->size() != bars) return InvalidArgument("columns of different lengths");
  }
  const Layout layout = LayoutFor(bars);
  Header header{};
  std::memcpy(header.magic, kMagic, sizeof kMagic);
  header.version = kColumnFileVersion;
  header.header_size = sizeof(Header);
  header.byte_order = kByteOrderMark;
  header.column_count = kColumns;
  header.source_size = source.size;
  header.source_mtime_ns = source.mtime_ns;
  header.source_inode = source.inode;
  header.bar_count = bars;
  header.file_size = layout.file_size;
  std::copy(layout.offset.begin(), layout.offset.end(), header.column_offset);

  std::string name = ".";  // appended, not "." + …: g++ 12 -O3 warns wrongly (-Wrestrict) about that
  name += file.filename().string();
  name += ".XXXXXX";
  std::string temp = (file.parent_path() / name).string();
  const int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return Internal("cannot write " + file.string() + ": " + ErrnoText(errno));
  const auto fail = [&](int error) {
    ::unlink(temp.c_str());
    return Internal("cannot write " + file.string() + ": " + ErrnoText(error));
  };
  static constexpr char kPadding[8] = {};
  bool written = WriteAll(fd, &header, sizeof header) &&
                 WriteAll(fd, series.day.data(), bars * sizeof(int32_t)) &&
                 WriteAll(fd, kPadding, layout.offset[1] - layout.offset[0] - bars * sizeof(int32_t));
  for (const auto* column : DoubleColumns(series)) {
    written = written && WriteAll(fd, column->data(), bars * sizeof(double));
  }
  const int write_error = written ? 0 : (errno != 0 ? errno : EIO);
  if (::close(fd) != 0 && written) return fail(errno);
  if (!written) return fail(write_error);
  if (::rename(temp.c_str(), file.c_str()) != 0) return fail(errno);
  return Status::Ok();
}

Result<BarSeries> ReadColumnFile(const fs::path& file, const FileStamp& source) {
  FileDescriptor descriptor(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (descriptor.fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFound("no column file " + file.string());
    return DataError(file, "cannot open: " + ErrnoText(errno));
  }
  struct stat st {};
  if (::fstat(descriptor.fd, &st) != 0) return DataError(file, "cannot stat: " + ErrnoText(errno));
  if (!S_ISREG(st.st_mode)) return DataError(file, "not a regular file");
  const auto file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < sizeof(Header)) return DataError(file, "truncated header (" + std::to_string(file_size) + " bytes)");

  // pread rather than mmap: measured faster (bench/bar_cache_bench.cpp), most of all when
  // several threads load at once, as mapping and unmapping serialise on the process's
  // address space and unmapping interrupts the other cores to flush their TLBs.
  Header header;
  if (Status s = ReadExactly(descriptor.fd, file, &header, sizeof header, 0); !s.ok()) return s;
  if (Status s = CheckHeader(file, header, file_size, source); !s.ok()) return s;

  // The columns straight into the series' vectors, in one call (the padding after the day
  // column into a scratch buffer).
  const size_t bars = header.bar_count;
  BarSeries series;
  series.day.resize(bars);
  char padding[8];
  std::array<iovec, kColumns + 1> parts;
  parts[0] = {series.day.data(), bars * sizeof(int32_t)};
  parts[1] = {padding, header.column_offset[1] - header.column_offset[0] - bars * sizeof(int32_t)};
  size_t part = 2;
  for (auto* column : DoubleColumns(series)) {
    column->resize(bars);
    parts[part++] = {column->data(), bars * sizeof(double)};
  }
  ssize_t got;
  do {
    got = ::preadv(descriptor.fd, parts.data(), static_cast<int>(parts.size()), sizeof(Header));
  } while (got < 0 && errno == EINTR);
  if (got < 0) return DataError(file, "cannot read: " + ErrnoText(errno));
  // Short only at the end of the file: it was cut while being read (a regular file read
  // never stops early otherwise).
  if (static_cast<uint64_t>(got) != file_size - sizeof(Header)) return DataError(file, "truncated while read");

  for (size_t i = 1; i < bars; ++i) {
    if (series.day[i] <= series.day[i - 1]) return DataError(file, "days not strictly increasing");
  }
  return series;
}

}  // namespace stratrun
