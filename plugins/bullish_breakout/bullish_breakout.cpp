// bullish_breakout — scores each ticker 0–100 on seven bullish conditions at its last
// bar and passes those at or above `min_score`:
//
//   close > SMA50                                             15
//   SMA50 > SMA200                                            15
//   RSI14 within [50, 70] (momentum without being overbought) 15
//   MACD(12, 26, 9) histogram > 0                             15
//   breakout: close > highest high of the 20 bars before it   20
//   volume ≥ min_volume_multiple × its 20-day average         10
//     (the average includes the last day)
//   close within 5 % of the 252-day high (highest high)       10
//
// A ticker with fewer than 252 bars is not evaluated (score NaN, not passed, reason
// "needs 252 bars, has N"): the 252-day high is one of the rules, and 200 bars would
// be the bare minimum for SMA200 anyway. Its metrics are still reported, NaN where they
// are not defined. Every row carries all indicator values as metrics and one reason per
// rule, "+ …" when it held and "- …" when it did not.
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "stratrun/indicators.hpp"
#include "stratrun/scorecard.hpp"
#include "stratrun/strategy.hpp"

namespace {

namespace sdk = stratrun::sdk;
namespace ta = stratrun::sdk::ta;

constexpr size_t kMinBars = 252;
constexpr double kRsiLow = 50, kRsiHigh = 70;
constexpr double kMaxPctBelowHigh = 5;

struct Config {
  double min_score;
  double min_volume_multiple;
};

class BullishBreakout : public sdk::Screener<Config> {
 public:
  static sdk::Descriptor Describe() {
    return {
        .code = "bullish_breakout",
        .name = "Bullish breakout",
        .version = "1.0.0",
        .description =
            "Finds stocks in an uptrend making a breakout on volume. Scores each ticker 0-100 at its last bar: "
            "close above SMA50 (15), SMA50 above SMA200 (15), RSI14 between 50 and 70 (15), "
            "MACD(12,26,9) histogram positive (15), close above the highest high of the previous "
            "20 bars (20), volume at least min_volume_multiple times its 20-day average (10), and "
            "close within 5% of its 252-day high (10). Needs 252 bars of history.",
        .parameters =
            sdk::Schema()
                .Integer("min_score", 70, "Minimum score (0-100) to pass", {.minimum = 0, .maximum = 100})
                .Number("min_volume_multiple", 1.0,
                        "Last volume must be at least this multiple of its 20-day average (today included)",
                        {.minimum = 0, .maximum = 100})
                .Integer("max_workers", 4, "Worker threads for the screen", {.minimum = 1, .maximum = 64})
                .Enum("universe_source", {"sp500", "all"}, "sp500", "Universe when no tickers are given")
                .StringList("tickers", {}, "Explicit tickers; overrides universe_source"),
        .stages = {"analysis"},
    };
  }

  Config Configure(const sdk::Run& run) const override {
    return {static_cast<double>(run.Integer("min_score")), run.Number("min_volume_multiple")};
  }

  sdk::ResultRow Evaluate(std::string_view, const sdk::Bars& bars, const Config& config) const override {
    const auto close = bars.close(), high = bars.high(), low = bars.low(), volume = bars.volume();
    const ta::MacdSeries macd = ta::Macd(close);
    const std::vector<double> high_20 = ta::RollingMax(high, 20);

    const double last_close = ta::Last(close);
    const double sma50 = ta::Last(ta::Sma(close, 50));
    const double sma200 = ta::Last(ta::Sma(close, 200));
    const double rsi = ta::Last(ta::Rsi(close, 14));
    const double macd_hist = ta::Last(macd.histogram);
    const double atr = ta::Last(ta::Atr(high, low, close, 14));
    const double avg_volume = ta::Last(ta::Sma(volume, 20));
    const double volume_multiple = avg_volume > 0 ? ta::Last(volume) / avg_volume : ta::kNaN;
    const double high_252 = ta::Last(ta::RollingMax(high, kMinBars));
    const double pct_from_high = 100 * (last_close / high_252 - 1);
    const double prior_high = ta::Last(high_20, 1);  // the 20 bars before the last
    const bool breakout = last_close > prior_high;

    sdk::ResultRow row;
    row.Set("bars", static_cast<double>(bars.size()))
        .Set("close", last_close)
        .Set("volume", ta::Last(volume))
        .Set("sma50", sma50)
        .Set("sma200", sma200)
        .Set("rsi14", rsi)
        .Set("macd", ta::Last(macd.line))
        .Set("macd_signal", ta::Last(macd.signal))
        .Set("macd_hist", macd_hist)
        .Set("atr14", atr)
        .Set("atr_pct", 100 * atr / last_close)
        .Set("avg_volume20", avg_volume)
        .Set("volume_multiple", volume_multiple)
        .Set("high_252", high_252)
        .Set("pct_from_high", pct_from_high)
        .Set("prior_high20", prior_high)
        .Set("breakout", breakout ? 1.0 : 0.0);

    if (bars.size() < kMinBars) {
      row.Because("needs " + std::to_string(kMinBars) + " bars, has " + std::to_string(bars.size()));
      return row;  // score stays NaN: not evaluated
    }

    sdk::Scorecard card(row);
    const std::string close_vs_sma50 = " (" + sdk::Fixed(last_close) + " vs " + sdk::Fixed(sma50) + ")";
    card.Rule(last_close > sma50, 15, "close above SMA50" + close_vs_sma50, "close not above SMA50" + close_vs_sma50);
    const std::string sma50_vs_sma200 = " (" + sdk::Fixed(sma50) + " vs " + sdk::Fixed(sma200) + ")";
    card.Rule(sma50 > sma200, 15, "SMA50 above SMA200" + sma50_vs_sma200, "SMA50 not above SMA200" + sma50_vs_sma200);
    const std::string rsi_band = sdk::Fixed(kRsiLow, 0) + "–" + sdk::Fixed(kRsiHigh, 0);
    card.Rule(rsi >= kRsiLow && rsi <= kRsiHigh, 15, "RSI " + sdk::Fixed(rsi, 1) + " within " + rsi_band,
              "RSI " + sdk::Fixed(rsi, 1) + " outside " + rsi_band);
    card.Rule(macd_hist > 0, 15, "MACD histogram positive (" + sdk::Fixed(macd_hist, 4) + ")",
              "MACD histogram not positive (" + sdk::Fixed(macd_hist, 4) + ")");
    const std::string close_vs_prior = " (" + sdk::Fixed(last_close) + " vs " + sdk::Fixed(prior_high) + ")";
    card.Rule(breakout, 20, "breakout: close above the prior 20-day high" + close_vs_prior,
              "no breakout: close not above the prior 20-day high" + close_vs_prior);
    card.Rule(volume_multiple >= config.min_volume_multiple, 10,
              "volume " + sdk::Fixed(volume_multiple) + "x its 20-day average (min " + sdk::Fixed(config.min_volume_multiple) + "x)",
              "volume " + sdk::Fixed(volume_multiple) + "x its 20-day average, below " + sdk::Fixed(config.min_volume_multiple) + "x");
    card.Rule(pct_from_high >= -kMaxPctBelowHigh, 10,
              "close within " + sdk::Fixed(kMaxPctBelowHigh, 0) + "% of the 252-day high (" + sdk::Fixed(pct_from_high, 1) + "%)",
              "close " + sdk::Fixed(-pct_from_high, 1) + "% below the 252-day high (more than " + sdk::Fixed(kMaxPctBelowHigh, 0) + "%)");

    row.score = card.score();
    row.passed = row.score >= config.min_score;
    return row;
  }
};

}  // namespace

STRATRUN_EXPORT_STRATEGY(BullishBreakout)
