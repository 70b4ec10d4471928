// Result rows as CSV: ticker, score, passed, one column per metric (the union over the
// rows, in first-seen order), reasons joined with "; ".
//
// Guarantees, so a download opens safely and reads back exactly in any spreadsheet or
// CSV reader:
//   - RFC 4180 quoting (fields with a comma, quote, CR or LF are quoted, quotes doubled);
//   - numbers in their shortest round-trip form (95563176, 171.165, 1e+300): parsing a
//     cell gives back the same double; NaN and infinities are empty cells;
//   - text cells (tickers, metric names, reasons) that a spreadsheet would run as a
//     formula — starting with = + - @, a tab or a CR — are prefixed with a single quote
//     and quoted (OWASP's "CSV injection" advice), so `=HYPERLINK(…)` shows as text.
//     Numbers the host formats are never prefixed: -3.5 stays a number.
#pragma once

#include <string>
#include <vector>

#include "progress/progress_event.h"

namespace stratrun {

std::string ResultsToCsv(const std::vector<ResultRow>& rows);

/// A value as result tables show it to a person: whole numbers below 1e15 in full
/// (95563176), others to 6 significant digits (171.165); NaN and infinities are "". Not for files that are read back (ResultsToCsv keeps every digit).
std::string FormatNumber(double value);

}  // namespace stratrun
