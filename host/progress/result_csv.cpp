#include "progress/result_csv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace stratrun {
namespace {

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
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
  for (const auto& name : metric_names) out += "," + CsvField(name);
  out += ",reasons\n";
  for (const auto& row : rows) {
    std::map<std::string, double> values(row.metrics.begin(), row.metrics.end());
    out += CsvField(row.ticker) + "," + FormatNumber(row.score) + "," + (row.passed ? "true" : "false");
    for (const auto& name : metric_names) {
      auto it = values.find(name);
      out += "," + (it == values.end() ? std::string() : FormatNumber(it->second));
    }
    std::string reasons;
    for (const auto& r : row.reasons) reasons += (reasons.empty() ? "" : "; ") + r;
    out += "," + CsvField(reasons) + "\n";
  }
  return out;
}

}  // namespace stratrun
