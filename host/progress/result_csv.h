// Result rows as CSV: ticker, score, passed, one column per metric (the union over the
// rows, in first-seen order), reasons joined with "; ". RFC 4180 quoting; NaN is empty.
#pragma once

#include <string>
#include <vector>

#include "progress/progress_event.h"

namespace stratrun {

std::string ResultsToCsv(const std::vector<ResultRow>& rows);

/// A value as results show it: up to 6 significant digits; NaN and infinities are "".
std::string FormatNumber(double value);

}  // namespace stratrun
