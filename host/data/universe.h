// Universes: which tickers a run screens.
//
// A run's standard parameters decide it: a non-empty `tickers` list wins; otherwise
// `universe_source` is "sp500" (the S&P 500 list shipped with stratrun) or "all" (every
// ticker the data source has). A plugin without either parameter screens "sp500".
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "data/bar_series.h"
#include "plugins/parameter_schema.h"

namespace stratrun {

/// The shipped S&P 500 list, sorted, unique.
const std::vector<std::string>& Sp500Tickers();

/// The tickers to screen, upper-cased, trimmed, without duplicates, in the user's order.
/// InvalidArgument (field "tickers") for a malformed ticker; tickers unknown to the data
/// source are kept: the run reports them per ticker.
Result<std::vector<std::string>> ResolveUniverse(const ParameterValues& parameters, BarSource& source);

/// True for 1..16 characters of A-Z 0-9 . - ^ = (Yahoo Finance symbols).
bool IsValidTicker(std::string_view ticker);

}  // namespace stratrun
