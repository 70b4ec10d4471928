// SyntheticBarSource: a deterministic, realistic sample universe, so everything works
// offline out of the box.
//
// Each ticker's series depends only on (seed, ticker, days) — never on which other
// tickers are generated. The price follows a regime-switching random walk (bull, bear
// and sideways regimes with their own drift and volatility, fat-tailed daily moves and
// occasional gaps); volume moves with the size of the day's move and spikes now and then;
// some tickers end by breaking out of a quiet base on heavy volume, so that screens find
// something. Bars always satisfy Low ≤ min(Open, Close) ≤ max(Open, Close) ≤ High and
// Volume > 0. The series ends on a fixed trading day (kSyntheticLastDay) so that runs are
// reproducible.
//
//   BarSeries aapl = SyntheticBarSource::Generate("AAPL", /*seed=*/42, /*days=*/1260);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/bar_series.h"

namespace stratrun {

/// The last day of every synthetic series: 2026-11-20, a Friday (days since 1970-01-01).
inline constexpr int32_t kSyntheticLastDay = 20777;

struct SyntheticOptions {
  std::vector<std::string> tickers;  // the universe this source lists
  uint64_t seed = 42;
  int days = 1260;  // trading days, about five years
};

/// Generates series on request; it knows only the tickers it was given. Thread-safe.
class SyntheticBarSource : public BarSource {
 public:
  explicit SyntheticBarSource(SyntheticOptions options);
  Result<std::shared_ptr<const BarSeries>> Load(std::string_view ticker) override;
  std::vector<std::string> ListTickers() override;

  /// The series for any ticker name, whether or not this source lists it. `days` ≥ 1.
  static BarSeries Generate(std::string_view ticker, uint64_t seed, int days);

 private:
  SyntheticOptions options_;
};

}  // namespace stratrun
