#include "data/universe.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <variant>

namespace stratrun {

extern const std::string_view kSp500ListText;

const std::vector<std::string>& Sp500Tickers() {
  static const std::vector<std::string> tickers = [] {
    std::set<std::string> unique;
    size_t pos = 0;
    const std::string_view text = kSp500ListText;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      if (line.empty() || line.front() == '#') continue;
      size_t start = 0;
      while (start < line.size()) {
        size_t stop = line.find(' ', start);
        if (stop == std::string_view::npos) stop = line.size();
        if (stop > start) unique.emplace(line.substr(start, stop - start));
        start = stop + 1;
      }
    }
    return std::vector<std::string>(unique.begin(), unique.end());
  }();
  return tickers;
}

bool IsValidTicker(std::string_view ticker) {
  if (ticker.empty() || ticker.size() > 16) return false;
  return std::all_of(ticker.begin(), ticker.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '^' || c == '=';
  });
}

Result<std::vector<std::string>> ResolveUniverse(const ParameterValues& parameters, BarSource& source) {
  if (const ParamValue* listed = parameters.Find("tickers")) {
    if (const auto* items = std::get_if<std::vector<std::string>>(listed); items && !items->empty()) {
      std::vector<std::string> tickers;
      std::set<std::string> seen;
      for (const std::string& item : *items) {
        // Trimmed and upper-cased; a space inside stays and makes the symbol invalid.
        const size_t first = item.find_first_not_of(" \t\r\n");
        const size_t last = item.find_last_not_of(" \t\r\n");
        std::string ticker = first == std::string::npos ? "" : item.substr(first, last - first + 1);
        for (char& c : ticker) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (!IsValidTicker(ticker)) {
          return InvalidArgument("'" + item + "' is not a ticker symbol", "tickers");
        }
        if (seen.insert(ticker).second) tickers.push_back(std::move(ticker));
      }
      return tickers;
    }
  }
  std::string universe = "sp500";
  if (const ParamValue* value = parameters.Find("universe_source")) {
    if (const auto* text = std::get_if<std::string>(value)) universe = *text;
  }
  if (universe == "sp500") return Sp500Tickers();
  if (universe == "all") return source.ListTickers();
  return InvalidArgument("unknown universe '" + universe + "' (expected sp500 or all)", "universe_source");
}

}  // namespace stratrun
