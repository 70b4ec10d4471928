// SyntheticBarSource: a deterministic sample universe, so everything works offline.
//
// Each ticker's series depends only on (seed, ticker, days), never on which other
// tickers are generated: a geometric random walk with fat-tailed daily returns, drift and
// volatility per ticker, and volume around a per-ticker base. The series ends on a fixed
// date so that runs are reproducible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/bar_series.h"

namespace stratrun {

struct SyntheticOptions {
  std::vector<std::string> tickers;  // the universe this source lists
  uint64_t seed = 42;
  int days = 1260;  // trading days, about five years
};

/// Generates series on request; it knows only the tickers it was given.
class SyntheticBarSource : public BarSource {
 public:
  explicit SyntheticBarSource(SyntheticOptions options);
  Result<std::shared_ptr<const BarSeries>> Load(std::string_view ticker) override;
  std::vector<std::string> ListTickers() override;

  /// The series for any ticker name, whether or not this source lists it.
  static BarSeries Generate(std::string_view ticker, uint64_t seed, int days);

 private:
  SyntheticOptions options_;
};

}  // namespace stratrun
