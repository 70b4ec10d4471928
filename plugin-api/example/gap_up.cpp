// gap_up — an example screener written against the installed SDK: passes tickers whose
// last session opened at least `min_gap_pct` above the previous close, on volume at least
// `min_volume_multiple` times its 20-day average.
#include <numeric>

#include "stratrun/strategy.hpp"

namespace sdk = stratrun::sdk;

struct GapConfig {
  double min_gap_pct;
  double min_volume_multiple;
};

class GapUp : public sdk::Screener<GapConfig> {
 public:
  static sdk::Descriptor Describe() {
    return {.code = "gap_up",
            .name = "Gap up on volume",
            .version = "1.0.0",
            .description = "Last session opened above the previous close on heavy volume.",
            .parameters = sdk::Schema()
                              .Number("min_gap_pct", 0.5, "Smallest gap, in % of the previous close", {.minimum = 0})
                              .Number("min_volume_multiple", 1.0, "Last volume / 20-day average volume", {.minimum = 0})
                              .StringList("tickers", {}, "Tickers to screen (empty: S&P 500)"),
            .stages = {"analysis"}};
  }

  GapConfig Configure(const sdk::Run& run) const override {
    return {run.Number("min_gap_pct"), run.Number("min_volume_multiple")};
  }

  sdk::ResultRow Evaluate(std::string_view, const sdk::Bars& bars, const GapConfig& config) const override {
    sdk::ResultRow row;
    if (bars.size() < 21) return row.Because("needs 21 bars, has " + std::to_string(bars.size()));
    const size_t last = bars.size() - 1;
    const double gap_pct = 100.0 * (bars.open()[last] / bars.close()[last - 1] - 1.0);
    const auto volume = bars.volume().subspan(last - 19, 20);
    const double average_volume = std::accumulate(volume.begin(), volume.end(), 0.0) / 20.0;
    const double volume_multiple = average_volume > 0 ? bars.volume()[last] / average_volume : 0.0;
    row.Set("gap_pct", gap_pct).Set("volume_multiple", volume_multiple);
    const bool gapped = gap_pct >= config.min_gap_pct;
    const bool heavy = volume_multiple >= config.min_volume_multiple;
    row.Because(gapped ? "gapped up" : "no gap").Because(heavy ? "heavy volume" : "light volume");
    row.score = (gapped ? 50.0 : 0.0) + (heavy ? 50.0 : 0.0);
    row.passed = gapped && heavy;
    return row;
  }
};

STRATRUN_EXPORT_STRATEGY(GapUp)
