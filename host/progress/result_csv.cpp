#include "progress/result_csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

namespace stratrun {
namespace {

/// Characters a spreadsheet takes as the start of a formula.
bool StartsLikeAFormula(const std::string& text) {
  return !text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos;
}

void AppendTextCell(std::string& out, const std::string& text) {
  const bool formula = StartsLikeAFormula(text);
  if (!formula && text.find_first_of(",\"\n\r") == std::string::npos) {
    out += text;
    return;
  }
  out += '"';
  if (formula) out += '\'';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

/// The shortest text that parses back to exactly `value`; "" for NaN and infinities.
void AppendNumberCell(std::string& out, double value) {
  if (!std::isfinite(value)) return;
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, ec == std::errc() ? end : buf);
}

}  // namespace

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return "";
  char buf[32];
  // Whole numbers (volumes, counts) in full; others to 6 significant digits.
  const bool whole = std::fabs(value) < 1e15 && value == std::trunc(value);
  std::snprintf(buf, sizeof buf, whole ? "%.0f" : "%.6g", value);
  return buf;
}

std::string ResultsToCsv(const std::vector<ResultRow>& rows) {
  std::vector<std::string> metric_names;
  for (const auto& row : rows) {
    for (const auto& [name, value] : row.metrics) {
      if (std::find(metric_names.begin(), metric_names.end(), name) == metric_names.end()) metric_names.push_back(name);
    }
  }
  std::string out = "ticker,score,passed";
  for (const auto& name : metric_names) {
    out += ',';
    AppendTextCell(out, name);
  }
  out += ",reasons\n";
  for (const auto& row : rows) {
    std::map<std::string, double> values(row.metrics.begin(), row.metrics.end());
    AppendTextCell(out, row.ticker);
    out += ',';
    AppendNumberCell(out, row.score);
    out += row.passed ? ",true" : ",false";
    for (const auto& name : metric_names) {
      out += ',';
      if (auto it = values.find(name); it != values.end()) AppendNumberCell(out, it->second);
    }
    std::string reasons;
    for (const auto& r : row.reasons) {
      if (!reasons.empty()) reasons += "; ";
      reasons += r;
    }
    out += ',';
    AppendTextCell(out, reasons);
    out += '\n';
  }
  return out;
}

}  // namespace stratrun
