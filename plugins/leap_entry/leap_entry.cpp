// leap_entry — finds entries for LEAP calls (long-dated, deep in-the-money calls used as
// leveraged stock replacement): a stock in a long-term uptrend, pulled back to support,
// while volatility — and so option premium — is low, and a call at the target delta
// that is cheap to hold. Scored 0–100 at the last bar:
//
//   close > SMA200                                               15
//   SMA200 rising: above its value 20 bars earlier               10
//   RSI14 within [rsi_min, rsi_max] (default 40–60)              20
//   close within max_distance_sma50_pct of SMA50 (default 5 %)   25
//   iv_rank ≤ max_iv_rank (default 50)                           15
//   breakeven move ≤ max_breakeven_move_pct (default 12 %)       10
//   leverage ≥ min_leverage (default 2.5)                         5
//
// The pullback carries 45 points, so with the default min_score of 60 a ticker needs at
// least one pullback rule. With require_uptrend (default on), a ticker passes only if
// both trend rules hold, whatever its score: a LEAP call against the long-term trend is
// not an entry.
//
// Volatility: there is no option chain, so implied volatility is proxied by historical
// volatility (annualised, as a fraction: 0.25 = 25 %). "iv_rank" is where today's 20-day
// volatility sits within its own range over the last 252 bars, 0 (lowest) to 100
// (highest); a range of zero (or under a billionth of the volatility) ranks 0. The call
// is priced with Black–Scholes using the 60-day volatility — steadier than the 20-day
// one and closer to the horizon a LEAP buyer cares about — at the strike whose delta is
// target_delta, expiring in dte_days calendar days (years = dte_days / 365), no
// dividends.
//
// Each ticker goes through four stages — data (load its bars), indicators, options_model,
// scoring (report its row) — on one of up to max_workers threads, with a progress event
// after each of the first three and a ticker_completed after scoring, so results stream
// from the start of the run. Progress counts tickers (total_items = tickers; completed =
// tickers scored), so the host's percent, tickers per second and ETA are the run's. A
// stage's stage_completed comes once every ticker has passed it, so the four come in
// order, each after all of that stage's events. A ticker that fails (no data, too short,
// an exception) keeps its reason and is reported not evaluated; the run goes on. A ticker needs 272 bars: 20 to start the 20-day volatility plus 252
// of it for the rank.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "stratrun/indicators.hpp"
#include "stratrun/scorecard.hpp"
#include "stratrun/strategy.hpp"

namespace {

namespace sdk = stratrun::sdk;
namespace ta = stratrun::sdk::ta;

constexpr size_t kRankWindow = 252;
constexpr size_t kRankVolWindow = 20;
constexpr size_t kPricingVolWindow = 60;
constexpr size_t kSlopeBars = 20;
constexpr size_t kMinBars = kRankVolWindow + kRankWindow;
constexpr double kContractShares = 100;
constexpr double kDaysPerYear = 365;

constexpr std::string_view kData = "data";
constexpr std::string_view kIndicators = "indicators";
constexpr std::string_view kOptions = "options_model";
constexpr std::string_view kScoring = "scoring";

struct Config {
  double min_score;
  double rsi_min, rsi_max;
  double max_distance_sma50_pct;
  double max_iv_rank;
  int64_t dte_days;
  double target_delta;
  double risk_free_rate;
  double max_breakeven_move_pct;
  double min_leverage;
  bool require_uptrend;
};

/// Last values of the indicators the rules use.
struct Indicators {
  double close = ta::kNaN;
  double sma50 = ta::kNaN, sma200 = ta::kNaN, sma200_before = ta::kNaN;
  double rsi14 = ta::kNaN, atr14 = ta::kNaN;
  double hv20 = ta::kNaN, hv20_low = ta::kNaN, hv20_high = ta::kNaN, hv60 = ta::kNaN;
  double iv_rank = ta::kNaN;
};

/// The modelled LEAP call; NaN when it could not be priced.
struct Call {
  double years = ta::kNaN, vol = ta::kNaN;
  double strike = ta::kNaN, price = ta::kNaN, delta = ta::kNaN;
  double breakeven = ta::kNaN, breakeven_move_pct = ta::kNaN, leverage = ta::kNaN;
};

/// One ticker's state through the four stages.
struct Work {
  std::string ticker;
  sdk::Bars bars;
  std::string failure;  // non-empty: not evaluated, and this is why
  Indicators ind;
  Call call;
  std::string pricing_note;  // why the call could not be priced, if it could not
};

/// Runs `step` on `w`; whatever it throws becomes the ticker's failure.
template <typename Step>
void Guarded(Work& w, Step&& step) {
  try {
    step(w);
  } catch (const std::exception& e) {
    w.failure = std::string("evaluation failed: ") + e.what();
  } catch (...) {
    w.failure = "evaluation failed: unknown exception";
  }
}

/// Calls `visit(ticker)` for every ticker on up to run.max_workers() threads, checking for
/// cancellation before each; once the run is cancelled, no further ticker starts.
template <typename Visit>
void ForEachTicker(const sdk::Run& run, const std::vector<std::string>& tickers, Visit visit) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < tickers.size(); i = next++) {
      if (run.Cancelled()) return;
      visit(tickers[i]);
    }
  };
  const size_t threads = std::min<size_t>(run.max_workers(), std::max<size_t>(tickers.size(), 1));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& thread : pool) thread.join();
}

class LeapEntry : public sdk::Strategy {
 public:
  static sdk::Descriptor Describe() {
    return {
        .code = "leap_entry",
        .name = "LEAP call entry",
        .version = "1.0.0",
        .description =
            "Finds entries for LEAP calls: a long-term uptrend, a pullback, low volatility and a "
            "cheap call. Scores each ticker 0-100: close above SMA200 (15), SMA200 rising over 20 "
            "bars (10), RSI14 within rsi_min-rsi_max (20), close within max_distance_sma50_pct of "
            "SMA50 (25), iv_rank (20-day historical volatility within its 252-bar range, 0-100) at "
            "most max_iv_rank (15), and a Black-Scholes call at target_delta expiring in dte_days, "
            "priced with 60-day historical volatility, needing at most max_breakeven_move_pct to "
            "break even (10) with leverage at least min_leverage (5). Needs 272 bars of history.",
        .parameters =
            sdk::Schema()
                .Integer("min_score", 60, "Minimum score (0-100) to pass", {.minimum = 0, .maximum = 100})
                .Boolean("require_uptrend", true,
                         "Pass only tickers closing above a rising SMA200, whatever their score")
                .Number("rsi_min", 40, "Lower bound of the pullback RSI14 band", {.minimum = 0, .maximum = 100})
                .Number("rsi_max", 60, "Upper bound of the pullback RSI14 band", {.minimum = 0, .maximum = 100})
                .Number("max_distance_sma50_pct", 5,
                        "How far the close may be from its SMA50, above or below (%)", {.minimum = 0, .maximum = 100})
                .Number("max_iv_rank", 50,
                        "Highest volatility rank (0-100) that counts as cheap premium", {.minimum = 0, .maximum = 100})
                .Integer("dte_days", 540, "Calendar days to the call's expiry", {.minimum = 30, .maximum = 1095})
                .Number("target_delta", 0.80, "Delta of the modelled call; sets its strike",
                        {.minimum = 0.05, .maximum = 0.99})
                .Number("risk_free_rate", 0.04, "Annual risk-free rate, continuously compounded (0.04 = 4%)",
                        {.minimum = 0, .maximum = 0.25})
                .Number("max_breakeven_move_pct", 12,
                        "Largest rise to the call's breakeven at expiry (strike + premium) that counts as cheap (%)",
                        {.minimum = 0, .maximum = 1000})
                .Number("min_leverage", 2.5, "Smallest leverage (delta x close / call price) that counts",
                        {.minimum = 0, .maximum = 100})
                .Integer("max_workers", 4, "Worker threads for the screen", {.minimum = 1, .maximum = 64})
                .Enum("universe_source", {"sp500", "all"}, "sp500", "Universe when no tickers are given")
                .StringList("tickers", {}, "Explicit tickers; overrides universe_source"),
        .stages = {std::string(kData), std::string(kIndicators), std::string(kOptions), std::string(kScoring)},
    };
  }

  void Execute(sdk::Run& run) override {
    const Config config = Configure(run);
    const std::vector<std::string>& tickers = run.tickers();
    const auto total = static_cast<int64_t>(tickers.size());
    run.Progress(kData, 0, total, {}, "screening " + std::to_string(tickers.size()) + " tickers");

    std::atomic<int64_t> scored{0}, loaded{0}, priced{0};
    // How many tickers have passed each stage; the thread that completes a stage for the
    // last ticker reports it. A ticker passes its stages in order, so the stages complete
    // in order.
    std::array<std::atomic<size_t>, 4> passed{};
    auto pass = [&](size_t stage, std::string_view name, auto message) {
      if (++passed[stage] == tickers.size()) run.StageCompleted(name, message());
    };
    const auto no_message = [] { return std::string(); };
    auto screen = [&](const std::string& ticker) {
      Work w{.ticker = ticker};
      Guarded(w, [&](Work& v) {
        std::string error;
        if (!run.GetBars(v.ticker, &v.bars, &error)) {
          v.failure = "no data: " + error;
        } else if (v.bars.size() < kMinBars) {
          v.failure = "needs " + std::to_string(kMinBars) + " bars, has " + std::to_string(v.bars.size());
        } else {
          ++loaded;
        }
      });
      run.Progress(kData, scored.load(), total, w.ticker);
      pass(0, kData, [&] { return "bars for " + std::to_string(loaded.load()) + " of " + std::to_string(total) + " tickers"; });

      if (w.failure.empty()) Guarded(w, [](Work& v) { v.ind = ComputeIndicators(v.bars); });
      run.Progress(kIndicators, scored.load(), total, w.ticker);
      pass(1, kIndicators, no_message);

      if (w.failure.empty()) {
        Guarded(w, [&](Work& v) {
          v.call = PriceCall(v.ind, config, &v.pricing_note);
          if (v.pricing_note.empty()) ++priced;
        });
      }
      run.Progress(kOptions, scored.load(), total, w.ticker);
      pass(2, kOptions, [&] { return "priced calls for " + std::to_string(priced.load()) + " tickers"; });

      sdk::ResultRow row;
      if (w.failure.empty()) Guarded(w, [&](Work& v) { row = Score(v, config); });
      if (!w.failure.empty()) {
        row = sdk::ResultRow{};
        row.Because(w.failure);
      }
      row.ticker = w.ticker;
      run.Report(row);
      run.TickerCompleted(kScoring, row, ++scored, total);
      pass(3, kScoring, no_message);
    };
    ForEachTicker(run, tickers, screen);
  }

 private:
  static Config Configure(const sdk::Run& run) {
    Config config{
        .min_score = static_cast<double>(run.Integer("min_score")),
        .rsi_min = run.Number("rsi_min"),
        .rsi_max = run.Number("rsi_max"),
        .max_distance_sma50_pct = run.Number("max_distance_sma50_pct"),
        .max_iv_rank = run.Number("max_iv_rank"),
        .dte_days = run.Integer("dte_days"),
        .target_delta = run.Number("target_delta"),
        .risk_free_rate = run.Number("risk_free_rate"),
        .max_breakeven_move_pct = run.Number("max_breakeven_move_pct"),
        .min_leverage = run.Number("min_leverage"),
        .require_uptrend = run.Boolean("require_uptrend"),
    };
    if (config.rsi_min > config.rsi_max) {
      throw std::invalid_argument("rsi_min (" + sdk::Fixed(config.rsi_min, 1) + ") must not exceed rsi_max (" +
                                  sdk::Fixed(config.rsi_max, 1) + ")");
    }
    return config;
  }

  static Indicators ComputeIndicators(const sdk::Bars& bars) {
    const auto close = bars.close();
    Indicators ind;
    ind.close = ta::Last(close);
    ind.sma50 = ta::Last(ta::Sma(close, 50));
    const std::vector<double> sma200 = ta::Sma(close, 200);
    ind.sma200 = ta::Last(sma200);
    ind.sma200_before = ta::Last(sma200, kSlopeBars);
    ind.rsi14 = ta::Last(ta::Rsi(close, 14));
    ind.atr14 = ta::Last(ta::Atr(bars.high(), bars.low(), close, 14));
    const std::vector<double> hv20 = ta::HistoricalVolatility(close, kRankVolWindow);
    ind.hv20 = ta::Last(hv20);
    ind.hv20_low = ta::Last(ta::RollingMin(hv20, kRankWindow));
    ind.hv20_high = ta::Last(ta::RollingMax(hv20, kRankWindow));
    ind.hv60 = ta::Last(ta::HistoricalVolatility(close, kPricingVolWindow));
    // A range under a billionth of the volatility is rounding noise, not a range: rank 0.
    const double range = ind.hv20_high - ind.hv20_low;
    if (!std::isfinite(range)) {
      ind.iv_rank = ta::kNaN;
    } else if (range <= 1e-9 * ind.hv20_high) {
      ind.iv_rank = 0;
    } else {
      ind.iv_rank = 100 * (ind.hv20 - ind.hv20_low) / range;
    }
    return ind;
  }

  static Call PriceCall(const Indicators& ind, const Config& config, std::string* note) {
    Call call;
    call.years = static_cast<double>(config.dte_days) / kDaysPerYear;
    call.vol = ind.hv60;
    if (!(call.vol > 0) || !(ind.close > 0)) {
      *note = "call not priced: 60-day volatility is " + sdk::Fixed(100 * call.vol) + "%";
      return call;
    }
    const double r = config.risk_free_rate;
    call.strike = ta::StrikeForCallDelta(ind.close, call.years, r, call.vol, config.target_delta);
    call.price = ta::BlackScholesCall(ind.close, call.strike, call.years, r, call.vol);
    call.delta = ta::BlackScholesCallDelta(ind.close, call.strike, call.years, r, call.vol);
    call.breakeven = call.strike + call.price;
    call.breakeven_move_pct = 100 * (call.breakeven / ind.close - 1);
    call.leverage = call.price > 0 ? call.delta * ind.close / call.price : ta::kNaN;
    return call;
  }

  static sdk::ResultRow Score(const Work& w, const Config& config) {
    const Indicators& ind = w.ind;
    const Call& call = w.call;
    const double sma200_slope_pct = 100 * (ind.sma200 / ind.sma200_before - 1);
    const double pct_from_sma50 = 100 * (ind.close / ind.sma50 - 1);
    const double intrinsic = std::max(ind.close - call.strike, 0.0);

    sdk::ResultRow row;
    row.Set("bars", static_cast<double>(w.bars.size()))
        .Set("close", ind.close)
        .Set("sma50", ind.sma50)
        .Set("sma200", ind.sma200)
        .Set("sma200_prev20", ind.sma200_before)
        .Set("sma200_slope_pct", sma200_slope_pct)
        .Set("pct_from_sma50", pct_from_sma50)
        .Set("rsi14", ind.rsi14)
        .Set("atr14", ind.atr14)
        .Set("hv20", ind.hv20)
        .Set("hv20_low_252", ind.hv20_low)
        .Set("hv20_high_252", ind.hv20_high)
        .Set("iv_rank", ind.iv_rank)
        .Set("hv60", ind.hv60)
        .Set("expiry_years", call.years)
        .Set("strike", call.strike)
        .Set("call_delta", call.delta)
        .Set("call_price", call.price)
        .Set("contract_cost", call.price * kContractShares)
        .Set("time_value", call.price - intrinsic)
        .Set("breakeven", call.breakeven)
        .Set("breakeven_move_pct", call.breakeven_move_pct)
        .Set("leverage", call.leverage);

    sdk::Scorecard card(row);
    const bool above_sma200 = ind.close > ind.sma200;
    const bool rising = ind.sma200 > ind.sma200_before;
    const std::string close_vs_sma200 = " (" + sdk::Fixed(ind.close) + " vs " + sdk::Fixed(ind.sma200) + ")";
    card.Rule(above_sma200, 15, "close above SMA200" + close_vs_sma200, "close not above SMA200" + close_vs_sma200);
    card.Rule(rising, 10, "SMA200 rising over 20 bars (" + sdk::Fixed(sma200_slope_pct) + "%)",
              "SMA200 not rising over 20 bars (" + sdk::Fixed(sma200_slope_pct) + "%)");
    const std::string band = sdk::Fixed(config.rsi_min, 0) + "–" + sdk::Fixed(config.rsi_max, 0);
    card.Rule(ind.rsi14 >= config.rsi_min && ind.rsi14 <= config.rsi_max, 20,
              "RSI " + sdk::Fixed(ind.rsi14, 1) + " within " + band, "RSI " + sdk::Fixed(ind.rsi14, 1) + " outside " + band);
    const std::string sma50_text = "close " + sdk::Fixed(pct_from_sma50, 1) + "% from SMA50";
    card.Rule(std::fabs(pct_from_sma50) <= config.max_distance_sma50_pct, 25,
              sma50_text + " (within " + sdk::Fixed(config.max_distance_sma50_pct, 1) + "%)",
              sma50_text + " (more than " + sdk::Fixed(config.max_distance_sma50_pct, 1) + "%)");
    card.Rule(ind.iv_rank <= config.max_iv_rank, 15,
              "iv rank " + sdk::Fixed(ind.iv_rank, 0) + " at most " + sdk::Fixed(config.max_iv_rank, 0),
              "iv rank " + sdk::Fixed(ind.iv_rank, 0) + " above " + sdk::Fixed(config.max_iv_rank, 0));
    if (!w.pricing_note.empty()) row.Because("- " + w.pricing_note);
    card.Rule(call.breakeven_move_pct <= config.max_breakeven_move_pct, 10,
              "breakeven " + sdk::Fixed(call.breakeven_move_pct, 1) + "% above close (max " +
                  sdk::Fixed(config.max_breakeven_move_pct, 1) + "%)",
              "breakeven " + sdk::Fixed(call.breakeven_move_pct, 1) + "% above close (more than " +
                  sdk::Fixed(config.max_breakeven_move_pct, 1) + "%)");
    card.Rule(call.leverage >= config.min_leverage, 5,
              "leverage " + sdk::Fixed(call.leverage, 1) + "x (min " + sdk::Fixed(config.min_leverage, 1) + "x)",
              "leverage " + sdk::Fixed(call.leverage, 1) + "x, below " + sdk::Fixed(config.min_leverage, 1) + "x");

    row.score = card.score();
    row.passed = row.score >= config.min_score;
    if (row.passed && config.require_uptrend && !(above_sma200 && rising)) {
      row.passed = false;
      row.Because("- not passed: require_uptrend needs the close above a rising SMA200");
    }
    return row;
  }
};

}  // namespace

STRATRUN_EXPORT_STRATEGY(LeapEntry)
