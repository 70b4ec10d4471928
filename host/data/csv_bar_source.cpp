#include "data/csv_bar_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <numeric>
#include <optional>
#include <system_error>
#include <utility>

#include "data/universe.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;

// Columns the parser knows, in the order Yahoo writes them.
enum Column : int { kDate, kOpen, kHigh, kLow, kClose, kAdjClose, kVolume, kColumnCount };
constexpr std::array<std::string_view, kColumnCount> kColumnNames = {
    "Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"};
constexpr std::string_view kHeaderLine = "Date,Open,High,Low,Close,Adj Close,Volume";
// How WriteYahooCsv marks a generated file: one more column, on every line.
constexpr std::string_view kSyntheticHeaderEnd = ",Source\n";
constexpr std::string_view kSyntheticLineEnd = ",synthetic\n";

constexpr double kPriceTolerance = 1e-9;  // relative
constexpr size_t kMaxQuotedBytes = 40;
constexpr size_t kMaxFileBytes = size_t{1} << 30;

Status DataErrorStatus(std::string message) { return {StatusCode::kDataError, std::move(message)}; }

// The system's text for an errno value, starting lower-case like our own messages.
std::string ErrnoText(int error) {
  std::string text = std::generic_category().message(error);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

// 'text', cut and reduced to printable ASCII so that any file content can go in a message.
std::string Quoted(std::string_view text) {
  std::string out = "'";
  const size_t shown = std::min(text.size(), kMaxQuotedBytes);
  for (size_t i = 0; i < shown; ++i) {
    const char c = text[i];
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (shown < text.size()) out += "...";
  out += '\'';
  return out;
}

// Shortest decimal that reads back as `value`; for messages.
std::string FormatNumber(double value) {
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

// A trimmed field without one pair of enclosing double quotes.
std::string_view FieldText(std::string_view field) {
  field = Trim(field);
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
    field = Trim(field.substr(1, field.size() - 2));
  }
  return field;
}

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

// Empty, "null" or "nan" (any case): a value the row does not have.
bool IsMissingValue(std::string_view field) {
  return field.empty() || EqualsIgnoreCase(field, "null") || EqualsIgnoreCase(field, "nan");
}

// ---- dates -------------------------------------------------------------------------------
// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).

constexpr int32_t DaysFromCivil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const int year_of_era = year - era * 400;                                        // [0, 399]
  const int day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

struct CivilDate {
  int year, month, day;
};

CivilDate CivilFromDays(int32_t days) {
  const int z = days + 719468;
  const int era = (z >= 0 ? z : z - 146096) / 146097;
  const int day_of_era = z - era * 146097;                                                       // [0, 146096]
  const int year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;  // [0, 399]
  const int day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
  const int mp = (5 * day_of_year + 2) / 153;                                                     // [0, 11]
  const int day = day_of_year - (153 * mp + 2) / 5 + 1;
  const int month = mp < 10 ? mp + 3 : mp - 9;
  const int year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

constexpr int32_t kFirstDay = DaysFromCivil(0, 1, 1);
constexpr int32_t kLastDay = DaysFromCivil(9999, 12, 31);

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[static_cast<size_t>(month - 1)];
}

// True when `text` is `n` ASCII digits.
bool AllDigits(std::string_view text, size_t n) {
  return text.size() == n && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// True for a time of day as pandas and yfinance write it after the date:
// HH:MM[:SS[.fraction]] then, optionally, Z or an offset ±HH:MM / ±HHMM.
bool IsTimeOfDay(std::string_view text) {
  size_t zone = text.find_first_of("Z+-");
  std::string_view clock = text.substr(0, zone);
  if (zone != std::string_view::npos) {
    const std::string_view offset = text.substr(zone + 1);
    const bool ok = text[zone] == 'Z' ? offset.empty()
                                      : AllDigits(offset, 4) || (offset.size() == 5 && offset[2] == ':' &&
                                                                 AllDigits(offset.substr(0, 2), 2) &&
                                                                 AllDigits(offset.substr(3), 2));
    if (!ok) return false;
  }
  if (const size_t dot = clock.find('.'); dot != std::string_view::npos) {
    if (!AllDigits(clock.substr(dot + 1), clock.size() - dot - 1) || dot + 1 == clock.size()) return false;
    clock = clock.substr(0, dot);
  }
  if (clock.size() != 5 && clock.size() != 8) return false;
  if (clock[2] != ':' || (clock.size() == 8 && clock[5] != ':')) return false;
  const int hours = (clock[0] - '0') * 10 + (clock[1] - '0');
  const int minutes = (clock[3] - '0') * 10 + (clock[4] - '0');
  const int seconds = clock.size() == 8 ? (clock[6] - '0') * 10 + (clock[7] - '0') : 0;
  return AllDigits(clock.substr(0, 2), 2) && AllDigits(clock.substr(3, 2), 2) &&
         (clock.size() == 5 || AllDigits(clock.substr(6, 2), 2)) && hours < 24 && minutes < 60 && seconds < 61;
}

// YYYY-MM-DD, optionally followed by ' ' or 'T' and a time of day; the bar's day is the
// date as written (the exchange's local date), whatever the time and offset.
std::optional<int32_t> ParseDate(std::string_view text) {
  if (text.size() > 10 && (text[10] == ' ' || text[10] == 'T')) {
    if (!IsTimeOfDay(text.substr(11))) return std::nullopt;
    text = text.substr(0, 10);
  }
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int parts[3] = {0, 0, 0};
  int part = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 4 || i == 7) {
      ++part;
      continue;
    }
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    parts[part] = parts[part] * 10 + (c - '0');
  }
  const int year = parts[0], month = parts[1], day = parts[2];
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  return DaysFromCivil(year, month, day);
}

// YYYY-MM-DD for a day in [kFirstDay, kLastDay].
void AppendDate(std::string& out, int32_t days) {
  const CivilDate date = CivilFromDays(days);
  char buffer[10];
  const auto put = [&buffer](size_t at, int value, size_t width) {
    for (size_t i = width; i-- > 0;) {
      buffer[at + i] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, date.year, 4);
  buffer[4] = '-';
  put(5, date.month, 2);
  buffer[7] = '-';
  put(8, date.day, 2);
  out.append(buffer, sizeof buffer);
}

std::string FormatDate(int32_t days) {
  std::string out;
  AppendDate(out, days);
  return out;
}

// ---- bars --------------------------------------------------------------------------------

struct Bar {
  double open, high, low, close, adj_close, volume;
  bool operator==(const Bar&) const = default;
};

// a <= b, allowing b to fall short by a relative kPriceTolerance.
bool AtMost(double a, double b) { return a <= b || a - b <= kPriceTolerance * std::max(std::fabs(a), std::fabs(b)); }

// What is wrong with a bar of finite values, or "" when nothing is.
std::string BarProblem(const Bar& bar) {
  const std::array<std::pair<double, Column>, 5> prices = {
      {{bar.open, kOpen}, {bar.high, kHigh}, {bar.low, kLow}, {bar.close, kClose}, {bar.adj_close, kAdjClose}}};
  for (const auto& [value, column] : prices) {
    if (!(value > 0)) {
      return "non-positive price " + FormatNumber(value) + " (column " + std::string(kColumnNames[column]) + ")";
    }
  }
  if (bar.volume < 0) return "negative volume " + FormatNumber(bar.volume) + " (column Volume)";
  if (!AtMost(bar.low, bar.high)) return "high " + FormatNumber(bar.high) + " is below low " + FormatNumber(bar.low);
  for (const auto& [value, name] : {std::pair{bar.open, "open"}, std::pair{bar.close, "close"}}) {
    if (!AtMost(value, bar.high)) {
      return "high " + FormatNumber(bar.high) + " is below " + name + " " + FormatNumber(value);
    }
    if (!AtMost(bar.low, value)) {
      return "low " + FormatNumber(bar.low) + " is above " + name + " " + FormatNumber(value);
    }
  }
  return {};
}

Bar BarAt(const BarSeries& s, size_t i) {
  return {s.open[i], s.high[i], s.low[i], s.close[i], s.adj_close[i], s.volume[i]};
}

void Append(BarSeries& s, int32_t day, const Bar& bar) {
  s.day.push_back(day);
  s.open.push_back(bar.open);
  s.high.push_back(bar.high);
  s.low.push_back(bar.low);
  s.close.push_back(bar.close);
  s.adj_close.push_back(bar.adj_close);
  s.volume.push_back(bar.volume);
}

void Reserve(BarSeries& s, size_t rows) {
  s.day.reserve(rows);
  for (auto* column : {&s.open, &s.high, &s.low, &s.close, &s.adj_close, &s.volume}) column->reserve(rows);
}

// ---- parsing -----------------------------------------------------------------------------

// Splits the line that starts at `pos` into `fields` (on commas, untrimmed) and returns
// where the next line starts. A line ends at "\r\n", "\n", "\r" or the end of the text.
size_t ScanLine(std::string_view text, size_t pos, std::string_view& line, std::vector<std::string_view>& fields) {
  fields.clear();
  const size_t start = pos;
  size_t field_start = pos;
  while (pos < text.size() && text[pos] != '\n' && text[pos] != '\r') {
    if (text[pos] == ',') {
      fields.push_back(text.substr(field_start, pos - field_start));
      field_start = pos + 1;
    }
    ++pos;
  }
  fields.push_back(text.substr(field_start, pos - field_start));
  line = text.substr(start, pos - start);
  if (pos < text.size()) {
    if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
    ++pos;
  }
  return pos;
}

// Spaces, tabs and commas only.
bool IsBlankLine(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return IsBlank(c) || c == ','; });
}

std::string LinePrefix(size_t line_number) { return "bad data at line " + std::to_string(line_number) + ": "; }

}  // namespace

Result<BarSeries> ParseYahooCsv(std::string_view text) {
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    const auto offset = static_cast<size_t>(static_cast<const char*>(nul) - text.data());
    return DataErrorStatus("not a csv text file (NUL byte at offset " + std::to_string(offset) + ")");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);

  std::vector<std::string_view> fields;
  std::string_view line;
  size_t pos = 0;
  size_t line_number = 0;

  // The header: the first non-blank line.
  std::string_view header_line;
  while (pos < text.size() && header_line.empty()) {
    pos = ScanLine(text, pos, line, fields);
    ++line_number;
    if (!IsBlankLine(line)) header_line = line;
  }
  if (header_line.empty()) return DataErrorStatus("no bars");
  std::array<int, kColumnCount> field_of{};
  field_of.fill(-1);
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string_view name = FieldText(fields[i]);
    for (int column = 0; column < kColumnCount; ++column) {
      if (!EqualsIgnoreCase(name, kColumnNames[column])) continue;
      if (field_of[column] >= 0) return DataErrorStatus("duplicate column '" + std::string(kColumnNames[column]) + "'");
      field_of[column] = static_cast<int>(i);
    }
  }
  for (int column = 0; column < kColumnCount; ++column) {
    if (field_of[column] < 0 && column != kAdjClose) {
      return DataErrorStatus("missing column '" + std::string(kColumnNames[column]) + "'");
    }
  }
  const size_t field_count = fields.size();
  const bool has_adj_close = field_of[kAdjClose] >= 0;
  const auto field_index = [&field_of](Column column) { return static_cast<size_t>(field_of[column]); };

  // Rows as read, in file order, with their line numbers for later messages.
  BarSeries rows;
  std::vector<size_t> row_lines;
  const size_t estimate = static_cast<size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(pos), text.end(), '\n')) + 1;
  Reserve(rows, estimate);
  row_lines.reserve(estimate);

  static constexpr std::array<Column, 6> kValueColumns = {kOpen, kHigh, kLow, kClose, kAdjClose, kVolume};
  while (pos < text.size()) {
    pos = ScanLine(text, pos, line, fields);
    ++line_number;
    if (IsBlankLine(line) || line == header_line) continue;
    if (fields.size() != field_count) {
      return DataErrorStatus(LinePrefix(line_number) + "expected " + std::to_string(field_count) + " fields, got " +
                             std::to_string(fields.size()));
    }
    const std::string_view date_text = FieldText(fields[field_index(kDate)]);
    const std::optional<int32_t> day = ParseDate(date_text);
    if (!day) return DataErrorStatus(LinePrefix(line_number) + Quoted(date_text) + " is not a date");

    std::array<std::string_view, kColumnCount> value_text{};
    int missing = 0, present = 0;
    Column first_missing = kOpen;
    for (Column column : kValueColumns) {
      if (column == kAdjClose && !has_adj_close) continue;
      value_text[column] = FieldText(fields[field_index(column)]);
      if (!IsMissingValue(value_text[column])) {
        ++present;
      } else if (missing++ == 0) {
        first_missing = column;
      }
    }
    if (present == 0) continue;  // a holiday row: nothing but null
    if (missing > 0) {
      return DataErrorStatus(LinePrefix(line_number) + "missing value " + Quoted(value_text[first_missing]) +
                             " (column " + std::string(kColumnNames[first_missing]) + ")");
    }

    std::array<double, kColumnCount> value{};
    for (Column column : kValueColumns) {
      if (column == kAdjClose && !has_adj_close) continue;
      const std::string_view number = value_text[column];
      const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value[column]);
      if (error == std::errc::result_out_of_range) {
        return DataErrorStatus(LinePrefix(line_number) + Quoted(number) + " is out of range (column " +
                               std::string(kColumnNames[column]) + ")");
      }
      if (error != std::errc() || end != number.data() + number.size() || !std::isfinite(value[column])) {
        return DataErrorStatus(LinePrefix(line_number) + Quoted(number) + " is not a number (column " +
                               std::string(kColumnNames[column]) + ")");
      }
    }
    const Bar bar{value[kOpen], value[kHigh], value[kLow], value[kClose],
                  has_adj_close ? value[kAdjClose] : value[kClose], value[kVolume] + 0.0 /* -0 → 0 */};
    if (std::string problem = BarProblem(bar); !problem.empty()) {
      return DataErrorStatus(LinePrefix(line_number) + problem);
    }
    Append(rows, *day, bar);
    row_lines.push_back(line_number);
  }
  if (rows.size() == 0) return DataErrorStatus("no bars");
  if (std::adjacent_find(rows.day.begin(), rows.day.end(), std::greater_equal<>()) == rows.day.end()) {
    return rows;  // already strictly increasing: the usual case
  }

  // Sort by date, keeping file order among equal dates, and fold duplicates.
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&rows](size_t a, size_t b) { return rows.day[a] < rows.day[b]; });
  BarSeries sorted;
  Reserve(sorted, rows.size());
  size_t kept = 0;  // the row `sorted` holds for its last date
  for (size_t i : order) {
    if (sorted.size() > 0 && rows.day[i] == sorted.day.back()) {
      if (BarAt(rows, i) != BarAt(rows, kept)) {
        return DataErrorStatus(LinePrefix(std::max(row_lines[i], row_lines[kept])) + "duplicate date " +
                               FormatDate(rows.day[i]) + " with different values");
      }
      continue;
    }
    Append(sorted, rows.day[i], BarAt(rows, i));
    kept = i;
  }
  return sorted;
}

// ---- writing -----------------------------------------------------------------------------

namespace {

// Shortest fixed-point decimal that reads back as `value` (finite).
void AppendNumber(std::string& out, double value) {
  std::array<char, 400> buffer{};  // the longest fixed form of a double is about 330 chars
  auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value, std::chars_format::fixed);
  if (result.ec != std::errc()) {
    result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  }
  out.append(buffer.data(), result.ptr);
}

// Why `series` cannot be written, or "" when it can.
std::string SeriesProblem(const BarSeries& series) {
  const size_t n = series.size();
  if (n == 0) return "no bars";
  for (const auto* column : {&series.open, &series.high, &series.low, &series.close, &series.adj_close, &series.volume}) {
    if (column->size() != n) return "columns have different lengths";
  }
  for (size_t i = 0; i < n; ++i) {
    const int32_t day = series.day[i];
    const std::string where = "bar " + std::to_string(i) + " ";
    if (day < kFirstDay || day > kLastDay) return where + "(day " + std::to_string(day) + "): date outside years 0000-9999";
    const std::string at = where + "(" + FormatDate(day) + "): ";
    if (i > 0 && day <= series.day[i - 1]) return at + "date is not after the previous bar's";
    const Bar bar = BarAt(series, i);
    for (double value : {bar.open, bar.high, bar.low, bar.close, bar.adj_close, bar.volume}) {
      if (!std::isfinite(value)) return at + "value " + FormatNumber(value) + " is not finite";
    }
    if (std::string problem = BarProblem(bar); !problem.empty()) return at + problem;
  }
  return {};
}

// Closes a POSIX file descriptor on scope exit.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  /// Closes now; false (errno set) when close reports an error.
  bool Close() {
    const int fd = std::exchange(fd_, -1);
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return Internal(ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(written));
  }
  return Status::Ok();
}

Status AtomicWrite(const fs::path& file, std::string_view data) {
  static std::atomic<uint64_t> counter{0};
  const fs::path temp = file.parent_path() / ("." + file.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                                              "-" + std::to_string(counter.fetch_add(1)));
  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return Internal("cannot write '" + file.string() + "': " + ErrnoText(errno));
  const auto fail = [&](const std::string& cause) {
    ::unlink(temp.c_str());
    return Internal("cannot write '" + file.string() + "': " + cause);
  };
  if (Status written = WriteAll(fd.get(), data); !written.ok()) return fail(written.message());
  if (::fsync(fd.get()) != 0) return fail(ErrnoText(errno));
  if (!fd.Close()) return fail(ErrnoText(errno));
  if (::rename(temp.c_str(), file.c_str()) != 0) return fail(ErrnoText(errno));
  return Status::Ok();
}

// The whole file in one string. NotFound when it does not exist.
Result<std::string> ReadWholeFile(const fs::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return NotFound("no such file");
    return DataErrorStatus(file.string() + ": cannot read: " + ErrnoText(errno));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return DataErrorStatus(file.string() + ": cannot read: " + ErrnoText(errno));
  if (!S_ISREG(info.st_mode)) return DataErrorStatus(file.string() + ": not a regular file");
  const auto too_large = [&file] { return DataErrorStatus(file.string() + ": file too large (limit 1 GiB)"); };
  if (static_cast<uint64_t>(info.st_size) > kMaxFileBytes) return too_large();

  // One read for a file that does not change meanwhile; a growing file is read to its end.
  std::string text(static_cast<size_t>(info.st_size) + 1, '\0');
  size_t filled = 0;
  for (;;) {
    if (filled == text.size()) {
      if (text.size() > kMaxFileBytes) return too_large();
      text.resize(text.size() * 2);
    }
    const ssize_t got = ::read(fd.get(), text.data() + filled, text.size() - filled);
    if (got < 0) {
      if (errno == EINTR) continue;
      return DataErrorStatus(file.string() + ": cannot read: " + ErrnoText(errno));
    }
    if (got == 0) break;
    filled += static_cast<size_t>(got);
  }
  text.resize(filled);
  return text;
}

}  // namespace

Status WriteYahooCsv(const fs::path& file, const BarSeries& series, bool synthetic) {
  if (std::string problem = SeriesProblem(series); !problem.empty()) return InvalidArgument(problem);
  const std::string_view line_end = synthetic ? kSyntheticLineEnd : "\n";
  std::string text;
  text.reserve(kHeaderLine.size() + 1 + series.size() * (96 + line_end.size()));
  text.append(kHeaderLine);
  text.append(synthetic ? kSyntheticHeaderEnd : "\n");
  for (size_t i = 0; i < series.size(); ++i) {
    AppendDate(text, series.day[i]);
    for (double value : {series.open[i], series.high[i], series.low[i], series.close[i], series.adj_close[i],
                         series.volume[i]}) {
      text += ',';
      AppendNumber(text, value);
    }
    text.append(line_end);
  }
  return AtomicWrite(file, text);
}

bool IsSyntheticCsv(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char buf[4096];
  in.read(buf, sizeof buf);
  const std::string_view head(buf, static_cast<size_t>(in.gcount()));
  const size_t header_end = head.find(kSyntheticHeaderEnd);
  if (header_end == std::string_view::npos || head.find('\n') != header_end + kSyntheticHeaderEnd.size() - 1) {
    return false;
  }
  const size_t row_end = head.find('\n', header_end + kSyntheticHeaderEnd.size());
  return row_end != std::string_view::npos &&
         head.substr(0, row_end + 1).ends_with(kSyntheticLineEnd);
}

// ---- CsvBarSource --------------------------------------------------------------------------

CsvBarSource::CsvBarSource(fs::path dir) : dir_(std::move(dir)) {}

fs::path CsvBarSource::FileFor(std::string_view ticker) const {
  if (!IsValidTicker(ticker)) return {};
  return dir_ / (std::string(ticker) + ".csv");
}

Result<std::shared_ptr<const BarSeries>> CsvBarSource::Load(std::string_view ticker) {
  const fs::path file = FileFor(ticker);
  const auto not_found = [ticker] { return NotFound("no data file for " + Quoted(ticker)); };
  if (file.empty()) return not_found();
  Result<std::string> text = ReadWholeFile(file);
  if (!text) {
    if (text.status().code() == StatusCode::kNotFound) return not_found();
    return text.status();
  }
  Result<BarSeries> series = ParseYahooCsv(*text);
  if (!series) return DataErrorStatus(file.string() + ": " + series.status().message());
  return std::make_shared<const BarSeries>(std::move(series).value());
}

std::vector<std::string> CsvBarSource::ListTickers() {
  std::vector<std::string> tickers;
  std::error_code error;
  // The error_code overloads throughout: a folder that vanishes midway ends the listing.
  for (fs::directory_iterator it(dir_, error); !error && it != fs::directory_iterator(); it.increment(error)) {
    const fs::path& path = it->path();
    if (path.extension() != ".csv") continue;
    std::string stem = path.stem().string();
    std::error_code type_error;
    if (!IsValidTicker(stem) || !it->is_regular_file(type_error)) continue;
    tickers.push_back(std::move(stem));
  }
  std::sort(tickers.begin(), tickers.end());
  return tickers;
}

}  // namespace stratrun
