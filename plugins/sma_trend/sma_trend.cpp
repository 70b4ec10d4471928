// sma_trend — a small trend screener: passes tickers that trade above their moving
// average and are near their recent high. It is the minimal example that uses the whole
// plugin ABI through the SDK: parameters of each type, bars, per-ticker events, results
// with metrics and reasons, cancellation and logging.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "stratrun/strategy.hpp"

namespace {

namespace sdk = stratrun::sdk;

struct Config {
  int64_t window;
  double max_distance_from_high_pct;
  bool require_rising;
  int64_t min_score;
};

class SmaTrend : public sdk::Screener<Config> {
 public:
  static sdk::Descriptor Describe() {
    return {
        .code = "sma_trend",
        .name = "SMA trend",
        .version = "1.0.0",
        .description = "Scores tickers on a simple trend: close above its N-day simple moving "
                       "average, the average rising, and the close near its N-day high.",
        .parameters =
            sdk::Schema()
                .Integer("window", 50, "Moving-average window in trading days", {.minimum = 2, .maximum = 500})
                .Number("max_distance_from_high_pct", 10.0, "How far below the N-day high still counts as near (%)",
                        {.minimum = 0, .maximum = 100})
                .Boolean("require_rising", true, "Also require the moving average to be rising")
                .Integer("min_score", 70, "Minimum score (0-100) to pass", {.minimum = 0, .maximum = 100})
                .Enum("universe_source", {"sp500", "all"}, "sp500", "Universe when no tickers are given")
                .StringList("tickers", {}, "Explicit tickers; overrides universe_source")
                .Integer("max_workers", 4, "Worker threads for the screen", {.minimum = 1, .maximum = 64}),
        .stages = {"analysis"},
    };
  }

  Config Configure(const sdk::Run& run) const override {
    run.Log(sdk::LogLevel::kDebug, "configuring sma_trend");
    return {run.Integer("window"), run.Number("max_distance_from_high_pct"), run.Boolean("require_rising"),
            run.Integer("min_score")};
  }

  sdk::ResultRow Evaluate(std::string_view, const sdk::Bars& bars, const Config& config) const override {
    sdk::ResultRow row;
    const auto window = static_cast<size_t>(config.window);
    const auto close = bars.close();
    if (close.size() < window + 1) {
      return row.Because("too little history: " + std::to_string(close.size()) + " bars, need " +
                         std::to_string(window + 1));
    }
    const size_t n = close.size();
    auto sma_at = [&](size_t end) {  // mean of close[end - window, end)
      return std::accumulate(close.begin() + static_cast<long>(end - window), close.begin() + static_cast<long>(end), 0.0) /
             static_cast<double>(window);
    };
    const double sma = sma_at(n), sma_before = sma_at(n - 1);
    const auto high = bars.high();
    const double recent_high = *std::max_element(high.end() - static_cast<long>(window), high.end());
    const double last = close[n - 1];
    const double distance_pct = 100.0 * (recent_high - last) / recent_high;

    double score = 0;
    auto rule = [&](bool held, double points, const std::string& text) {
      if (held) score += points;
      row.Because((held ? "+ " : "- ") + text);
    };
    rule(last > sma, 40, "close above its SMA");
    rule(sma > sma_before || !config.require_rising, 30, "SMA rising");
    rule(distance_pct <= config.max_distance_from_high_pct, 30, "close near its recent high");

    row.score = score;
    row.passed = score >= static_cast<double>(config.min_score);
    row.Set("close", last).Set("sma", sma).Set("recent_high", recent_high).Set("distance_from_high_pct", distance_pct);
    return row;
  }
};

}  // namespace

STRATRUN_EXPORT_STRATEGY(SmaTrend)
