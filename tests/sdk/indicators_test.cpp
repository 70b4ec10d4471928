// The SDK's technical-analysis helpers (stratrun/indicators.hpp): each indicator against
// values worked out by hand on short series and against a naive second implementation
// (O(n·w) loops, the recursion written out) on a long pseudo-random series; NaN before a
// value is defined; edge cases (short, flat, zero-volume and gappy series); Black–Scholes
// against textbook values.
#include "stratrun/indicators.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace stratrun::sdk::ta {
namespace {

constexpr double kTolerance = 1e-9;

/// A random-walk price series with highs and lows around each close; deterministic.
struct RandomBars {
  std::vector<double> high, low, close, volume;
};

RandomBars MakeRandomBars(size_t n, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) / 9007199254740992.0; };  // [0, 1)
  RandomBars bars;
  double price = 100;
  for (size_t i = 0; i < n; ++i) {
    price *= std::exp((uniform() - 0.5) * 0.06);
    const double spread = price * 0.02 * uniform();
    bars.close.push_back(price);
    bars.high.push_back(price + spread * uniform() + (uniform() < 0.1 ? price * 0.03 : 0));
    bars.low.push_back(price - spread * uniform() - (uniform() < 0.1 ? price * 0.03 : 0));
    bars.volume.push_back(std::floor(1e6 * (0.5 + uniform())));
  }
  return bars;
}

void ExpectSeriesNear(const std::vector<double>& actual, const std::vector<double>& expected,
                      double relative = kTolerance) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "index " << i << ": " << actual[i];
    } else {
      EXPECT_NEAR(actual[i], expected[i], relative * std::max(1.0, std::fabs(expected[i]))) << "index " << i;
    }
  }
}

bool AllNaN(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isnan(v); });
}

size_t FirstDefined(const std::vector<double>& values) {
  size_t i = 0;
  while (i < values.size() && std::isnan(values[i])) ++i;
  return i;
}

// ---- naive references -------------------------------------------------------------------

std::vector<double> NaiveSma(const std::vector<double>& v, size_t w) {
  std::vector<double> out(v.size(), kNaN);
  for (size_t i = w - 1; i < v.size(); ++i) {
    double sum = 0;
    for (size_t j = i + 1 - w; j <= i; ++j) sum += v[j];
    out[i] = sum / static_cast<double>(w);
  }
  return out;
}

std::vector<double> NaiveRolling(const std::vector<double>& v, size_t w, bool max) {
  std::vector<double> out(v.size(), kNaN);
  for (size_t i = w - 1; i < v.size(); ++i) {
    double best = v[i + 1 - w];
    for (size_t j = i + 1 - w; j <= i; ++j) best = max ? std::max(best, v[j]) : std::min(best, v[j]);
    out[i] = best;
  }
  return out;
}

std::vector<double> NaiveEma(const std::vector<double>& v, size_t span) {
  std::vector<double> out;
  const double alpha = 2.0 / (static_cast<double>(span) + 1);
  for (double x : v) out.push_back(out.empty() ? x : alpha * x + (1 - alpha) * out.back());
  return out;
}

/// Wilder's RSI written from its definition: separate gain/loss columns, a seed mean,
/// then the smoothing recursion.
std::vector<double> NaiveRsi(const std::vector<double>& c, size_t period) {
  std::vector<double> out(c.size(), kNaN);
  if (c.size() <= period) return out;
  std::vector<double> gains(c.size(), 0), losses(c.size(), 0);
  for (size_t i = 1; i < c.size(); ++i) {
    gains[i] = c[i] > c[i - 1] ? c[i] - c[i - 1] : 0;
    losses[i] = c[i] < c[i - 1] ? c[i - 1] - c[i] : 0;
  }
  const double p = static_cast<double>(period);
  double g = std::accumulate(gains.begin() + 1, gains.begin() + static_cast<long>(period) + 1, 0.0) / p;
  double l = std::accumulate(losses.begin() + 1, losses.begin() + static_cast<long>(period) + 1, 0.0) / p;
  for (size_t i = period; i < c.size(); ++i) {
    if (i > period) {
      g = (g * (p - 1) + gains[i]) / p;
      l = (l * (p - 1) + losses[i]) / p;
    }
    out[i] = l == 0 ? (g == 0 ? 50 : 100) : 100 * g / (g + l);  // = 100 − 100/(1+g/l)
  }
  return out;
}

std::vector<double> NaiveAtr(const RandomBars& b, size_t period) {
  std::vector<double> out(b.close.size(), kNaN);
  std::vector<double> tr;
  double atr = 0;
  for (size_t i = 1; i < b.close.size(); ++i) {
    const double range = std::max({b.high[i] - b.low[i], std::fabs(b.high[i] - b.close[i - 1]),
                                   std::fabs(b.low[i] - b.close[i - 1])});
    tr.push_back(range);
    if (tr.size() == period) {
      atr = std::accumulate(tr.begin(), tr.end(), 0.0) / static_cast<double>(period);
      out[i] = atr;
    } else if (tr.size() > period) {
      atr = (atr * static_cast<double>(period - 1) + range) / static_cast<double>(period);
      out[i] = atr;
    }
  }
  return out;
}

/// Two-pass sample standard deviation of each window of log returns, annualised.
std::vector<double> NaiveVolatility(const std::vector<double>& c, size_t w) {
  std::vector<double> out(c.size(), kNaN);
  for (size_t i = w; i < c.size(); ++i) {
    std::vector<double> r;
    for (size_t j = i + 1 - w; j <= i; ++j) r.push_back(std::log(c[j] / c[j - 1]));
    const double mean = std::accumulate(r.begin(), r.end(), 0.0) / static_cast<double>(w);
    double ss = 0;
    for (double x : r) ss += (x - mean) * (x - mean);
    out[i] = std::sqrt(ss / static_cast<double>(w - 1)) * std::sqrt(252.0);
  }
  return out;
}

// ---- moving averages --------------------------------------------------------------------

TEST(IndicatorSma, MatchesHandValuesAndIsNaNUntilTheWindowIsFull) {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6};
  const auto sma = Sma(v, 3);
  ExpectSeriesNear(sma, {kNaN, kNaN, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(Sma(v, 1)[4], 5);
  EXPECT_DOUBLE_EQ(Sma(v, 6)[5], 3.5);
}

TEST(IndicatorSma, MatchesANaiveLoopOnALongSeries) {
  const auto bars = MakeRandomBars(2520);
  for (size_t w : {1u, 2u, 20u, 50u, 200u, 2520u}) {
    SCOPED_TRACE(w);
    ExpectSeriesNear(Sma(bars.close, w), NaiveSma(bars.close, w), 1e-12);
  }
}

TEST(IndicatorSma, FewerBarsThanTheWindowGiveAllNaNAndEmptyGivesEmpty) {
  const std::vector<double> v(49, 10.0);
  EXPECT_EQ(Sma(v, 50).size(), 49u);
  EXPECT_TRUE(AllNaN(Sma(v, 50)));
  EXPECT_TRUE(Sma(std::vector<double>{}, 5).empty());
}

TEST(IndicatorSma, AFlatSeriesAveragesToItsValueAndAnOutlierLeavesNoResidue) {
  std::vector<double> v(5000, 123.25);
  const auto flat = Sma(v, 50);
  for (size_t i = 49; i < v.size(); ++i) ASSERT_EQ(flat[i], 123.25) << i;
  // A plain running sum would keep rounding error from the 1e17 after it left the window.
  v[100] = 1e17;
  const auto sma = Sma(v, 50);
  for (size_t i = 150; i < v.size(); ++i) ASSERT_EQ(sma[i], 123.25) << i;
}

TEST(IndicatorSma, ANaNInputSpoilsOnlyTheWindowsThatHoldIt) {
  std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8};
  v[3] = kNaN;
  ExpectSeriesNear(Sma(v, 3), {kNaN, kNaN, 2, kNaN, kNaN, kNaN, 6, 7});
}

TEST(IndicatorSma, AZeroWindowIsRejected) {
  const std::vector<double> v = {1, 2};
  EXPECT_THROW(Sma(v, 0), std::invalid_argument);
  EXPECT_THROW(Ema(v, 0), std::invalid_argument);
  EXPECT_THROW(RollingMax(v, 0), std::invalid_argument);
  EXPECT_THROW(HistoricalVolatility(v, 1), std::invalid_argument);
}

TEST(IndicatorEma, SeedsWithTheFirstValueAndFollowsTheRecursion) {
  const std::vector<double> v = {1, 2, 3};
  ExpectSeriesNear(Ema(v, 3), {1, 1.5, 2.25});  // alpha = 0.5
  const auto bars = MakeRandomBars(2520);
  for (size_t span : {1u, 9u, 12u, 26u}) {
    SCOPED_TRACE(span);
    ExpectSeriesNear(Ema(bars.close, span), NaiveEma(bars.close, span), 1e-12);
  }
}

TEST(IndicatorEma, IsDefinedFromTheFirstBarAndIsFlatOnAFlatSeries) {
  const std::vector<double> v(30, 42.0);
  const auto ema = Ema(v, 26);
  EXPECT_EQ(FirstDefined(ema), 0u);
  for (double x : ema) EXPECT_DOUBLE_EQ(x, 42.0);
}

TEST(IndicatorMacd, IsTheDifferenceOfEmasWithItsSignalAndHistogram) {
  const std::vector<double> v = {10, 11, 12};
  const MacdSeries macd = Macd(v, 1, 3, 1);  // alpha: 1, 0.5, 1
  ExpectSeriesNear(macd.line, {0, 0.5, 0.75});
  ExpectSeriesNear(macd.signal, macd.line);
  ExpectSeriesNear(macd.histogram, {0, 0, 0});

  const auto bars = MakeRandomBars(2520);
  const MacdSeries full = Macd(bars.close);
  const auto fast = NaiveEma(bars.close, 12), slow = NaiveEma(bars.close, 26);
  std::vector<double> line(fast.size());
  for (size_t i = 0; i < line.size(); ++i) line[i] = fast[i] - slow[i];
  const auto signal = NaiveEma(line, 9);
  std::vector<double> histogram(line.size());
  for (size_t i = 0; i < line.size(); ++i) histogram[i] = line[i] - signal[i];
  ExpectSeriesNear(full.line, line);
  ExpectSeriesNear(full.signal, signal);
  ExpectSeriesNear(full.histogram, histogram);
}

TEST(IndicatorMacd, IsZeroOnAFlatSeries) {
  const MacdSeries macd = Macd(std::vector<double>(100, 7.5));
  EXPECT_EQ(macd.line.size(), 100u);
  for (size_t i = 0; i < 100; ++i) {
    EXPECT_EQ(macd.line[i], 0);
    EXPECT_EQ(macd.histogram[i], 0);
  }
}

// ---- RSI ----------------------------------------------------------------------------------

TEST(IndicatorRsi, MatchesHandValuesWithWilderSmoothing) {
  // moves +1, −0.5, +1, +0.5, −1; period 3
  const std::vector<double> close = {10, 11, 10.5, 11.5, 12, 11};
  const auto rsi = Rsi(close, 3);
  // index 3: up 2/3, down 1/6 → RS 4 → 80
  // index 4: up (2·2/3 + 0.5)/3 = 11/18, down (2·1/6)/3 = 2/18 → RS 5.5 → 100 − 100/6.5
  // index 5: up (2·11/18)/3 = 11/27, down (2·2/18 + 1)/3 = 11/27 → RS 1 → 50
  ExpectSeriesNear(rsi, {kNaN, kNaN, kNaN, 80, 100 - 100 / 6.5, 50});
}

TEST(IndicatorRsi, MatchesTheDefinitionOnALongSeriesFromIndexPeriod) {
  const auto bars = MakeRandomBars(2520);
  const auto rsi = Rsi(bars.close);
  EXPECT_EQ(FirstDefined(rsi), 14u);
  ExpectSeriesNear(rsi, NaiveRsi(bars.close, 14));
  for (double x : rsi) {
    if (!std::isnan(x)) {
      EXPECT_GE(x, 0);
      EXPECT_LE(x, 100);
    }
  }
}

TEST(IndicatorRsi, IsFiftyWhenFlatHundredWhenOnlyRisingZeroWhenOnlyFalling) {
  const auto flat = Rsi(std::vector<double>(30, 50.0));
  EXPECT_EQ(FirstDefined(flat), 14u);
  for (size_t i = 14; i < 30; ++i) EXPECT_EQ(flat[i], 50);

  std::vector<double> rising, falling;
  for (int i = 0; i < 30; ++i) {
    rising.push_back(100 + i);
    falling.push_back(100 - i);
  }
  EXPECT_EQ(Last(Rsi(rising)), 100);
  EXPECT_EQ(Last(Rsi(falling)), 0);
}

TEST(IndicatorRsi, FewerBarsThanPeriodPlusOneGiveAllNaN) {
  EXPECT_TRUE(AllNaN(Rsi(std::vector<double>(14, 1.0))));
  EXPECT_FALSE(AllNaN(Rsi(std::vector<double>(15, 1.0))));
}

// ---- ATR ----------------------------------------------------------------------------------

TEST(IndicatorAtr, MatchesHandValuesIncludingAGap) {
  const std::vector<double> high = {10, 11, 10.8, 12, 11.9, 10};
  const std::vector<double> low = {9, 9.5, 10, 10.5, 11, 9};
  const std::vector<double> close = {9.5, 10.5, 10.2, 11.8, 11.2, 9.5};
  // true ranges from bar 1: 1.5, 0.8, 1.8 (high − previous close), 0.9, 2.2 (gap down:
  // previous close − low)
  ExpectSeriesNear(TrueRange(high, low, close), {kNaN, 1.5, 0.8, 1.8, 0.9, 2.2});
  const double first = (1.5 + 0.8 + 1.8) / 3;
  const double second = (first * 2 + 0.9) / 3;
  ExpectSeriesNear(Atr(high, low, close, 3), {kNaN, kNaN, kNaN, first, second, (second * 2 + 2.2) / 3});
}

TEST(IndicatorAtr, MatchesTheDefinitionOnALongSeriesFromIndexPeriod) {
  const auto bars = MakeRandomBars(2520);
  const auto atr = Atr(bars.high, bars.low, bars.close);
  EXPECT_EQ(FirstDefined(atr), 14u);
  ExpectSeriesNear(atr, NaiveAtr(bars, 14));
}

TEST(IndicatorAtr, IsZeroOnAFlatSeriesAndNaNWhenTooShort) {
  const std::vector<double> flat(20, 10.0);
  const auto atr = Atr(flat, flat, flat);
  for (size_t i = 14; i < 20; ++i) EXPECT_EQ(atr[i], 0);
  const std::vector<double> short_series(14, 10.0);
  EXPECT_TRUE(AllNaN(Atr(short_series, short_series, short_series)));
}

TEST(IndicatorAtr, RejectsColumnsOfDifferentLengths) {
  const std::vector<double> a(20, 1.0), b(19, 1.0);
  EXPECT_THROW(Atr(a, b, a), std::invalid_argument);
}

// ---- rolling extremes ---------------------------------------------------------------------

TEST(IndicatorRolling, MaxAndMinMatchHandValues) {
  const std::vector<double> v = {3, 1, 4, 1, 5, 9, 2, 6};
  ExpectSeriesNear(RollingMax(v, 3), {kNaN, kNaN, 4, 4, 5, 9, 9, 9});
  ExpectSeriesNear(RollingMin(v, 3), {kNaN, kNaN, 1, 1, 1, 1, 2, 2});
  ExpectSeriesNear(RollingMax(v, 1), v);
}

TEST(IndicatorRolling, MaxAndMinMatchANaiveScanOnALongSeries) {
  const auto bars = MakeRandomBars(2520);
  for (size_t w : {1u, 2u, 20u, 252u, 2520u}) {
    SCOPED_TRACE(w);
    ExpectSeriesNear(RollingMax(bars.high, w), NaiveRolling(bars.high, w, true), 0);
    ExpectSeriesNear(RollingMin(bars.low, w), NaiveRolling(bars.low, w, false), 0);
  }
  // Ties and monotonic runs exercise the queue's pop rules.
  std::vector<double> steps;
  for (int i = 0; i < 300; ++i) steps.push_back(static_cast<double>((i / 7) % 5));
  ExpectSeriesNear(RollingMax(steps, 10), NaiveRolling(steps, 10, true), 0);
  ExpectSeriesNear(RollingMin(steps, 10), NaiveRolling(steps, 10, false), 0);
}

TEST(IndicatorRolling, FewerBarsThanTheWindowGiveAllNaNAndNaNSpoilsOnlyItsWindows) {
  EXPECT_TRUE(AllNaN(RollingMax(std::vector<double>(251, 1.0), 252)));
  std::vector<double> v = {1, 5, 2, 3, 4, 1, 1};
  v[1] = kNaN;
  ExpectSeriesNear(RollingMax(v, 2), {kNaN, kNaN, kNaN, 3, 4, 4, 1});
  ExpectSeriesNear(RollingMin(v, 2), {kNaN, kNaN, kNaN, 2, 3, 1, 1});
}

// ---- volatility and volume ----------------------------------------------------------------

TEST(IndicatorVolatility, MatchesATwoPassSampleStdevOfLogReturns) {
  const auto bars = MakeRandomBars(2520);
  for (size_t w : {2u, 20u, 60u, 252u}) {
    SCOPED_TRACE(w);
    const auto hv = HistoricalVolatility(bars.close, w);
    EXPECT_EQ(FirstDefined(hv), w);
    ExpectSeriesNear(hv, NaiveVolatility(bars.close, w), 1e-8);
  }
}

TEST(IndicatorVolatility, MatchesAHandValue) {
  // log returns ln 1.1, ln(1/1.1), ln 1.1: mean ln(1.1)/3, sample variance 4/3·ln²1.1
  const std::vector<double> close = {100, 110, 100, 110};
  const double expected = std::sqrt(4.0 / 3.0) * std::log(1.1) * std::sqrt(252.0);
  EXPECT_NEAR(Last(HistoricalVolatility(close, 3)), expected, 1e-12);
}

TEST(IndicatorVolatility, IsZeroOnAFlatSeriesAndNaNWithoutEnoughReturns) {
  const auto hv = HistoricalVolatility(std::vector<double>(100, 25.0), 20);
  EXPECT_EQ(FirstDefined(hv), 20u);
  for (size_t i = 20; i < 100; ++i) EXPECT_EQ(hv[i], 0);
  // Constant growth: every return equal, so no dispersion.
  std::vector<double> growth = {100};
  for (int i = 0; i < 100; ++i) growth.push_back(growth.back() * 1.01);
  EXPECT_NEAR(Last(HistoricalVolatility(growth, 20)), 0, 1e-9);
  EXPECT_TRUE(AllNaN(HistoricalVolatility(std::vector<double>(20, 25.0), 20)));
  // A volatile stretch that goes flat: exactly 0 once the window is all flat, no residue.
  auto bars = MakeRandomBars(100);
  bars.close.resize(120, bars.close.back());
  const auto calm = HistoricalVolatility(bars.close, 20);
  EXPECT_GT(calm[118], 0);
  EXPECT_EQ(calm[119], 0);
}

TEST(IndicatorVolatility, ABadCloseSpoilsOnlyTheWindowsOfItsReturns) {
  auto bars = MakeRandomBars(200);
  bars.close[100] = 0;  // returns 100 and 101 are not finite
  const auto hv = HistoricalVolatility(bars.close, 20);
  for (size_t i = 100; i <= 120; ++i) EXPECT_TRUE(std::isnan(hv[i])) << i;
  const auto clean = NaiveVolatility(bars.close, 20);
  for (size_t i = 121; i < 200; ++i) EXPECT_NEAR(hv[i], clean[i], 1e-8) << i;
  for (size_t i = 20; i < 100; ++i) EXPECT_NEAR(hv[i], clean[i], 1e-8) << i;
}

TEST(IndicatorRelativeVolume, IsTheVolumeOverItsAverageIncludingTodayAndNaNWithoutVolume) {
  std::vector<double> volume(20, 1000.0);
  volume.push_back(3000);
  const auto relative = RelativeVolume(volume, 20);
  EXPECT_EQ(FirstDefined(relative), 19u);
  EXPECT_DOUBLE_EQ(relative[19], 1.0);
  EXPECT_DOUBLE_EQ(Last(relative), 3000.0 / (19 * 1000.0 + 3000) * 20);

  const auto none = RelativeVolume(std::vector<double>(30, 0.0), 20);
  EXPECT_TRUE(AllNaN(none));
  std::vector<double> quiet(30, 0.0);
  quiet.back() = 500;
  EXPECT_DOUBLE_EQ(Last(RelativeVolume(quiet, 20)), 20.0);
}

TEST(IndicatorLast, ReturnsTheLastValueOrNaN) {
  const std::vector<double> v = {1, 2, 3};
  EXPECT_EQ(Last(v), 3);
  EXPECT_EQ(Last(v, 2), 1);
  EXPECT_TRUE(std::isnan(Last(v, 3)));
  EXPECT_TRUE(std::isnan(Last(std::vector<double>{})));
}

// ---- Black–Scholes ------------------------------------------------------------------------

TEST(IndicatorBlackScholes, MatchesTheTextbookValues) {
  // S = K = 100, T = 1, r = 5 %, σ = 20 % (Hull): call 10.4506, put 5.5735, delta 0.6368.
  EXPECT_NEAR(BlackScholesCall(100, 100, 1, 0.05, 0.2), 10.4506, 5e-5);
  EXPECT_NEAR(BlackScholesPut(100, 100, 1, 0.05, 0.2), 5.5735, 5e-5);
  EXPECT_NEAR(BlackScholesCallDelta(100, 100, 1, 0.05, 0.2), 0.6368, 5e-5);
  // Hull's example 15.6: S = 42, K = 40, T = 0.5, r = 10 %, σ = 20 % → call 4.76.
  EXPECT_NEAR(BlackScholesCall(42, 40, 0.5, 0.1, 0.2), 4.7594, 5e-5);
}

TEST(IndicatorBlackScholes, KeepsPutCallParityAndNoArbitrageBounds) {
  std::mt19937_64 rng(11);
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng() >> 11) / 9007199254740992.0;
  };
  for (int i = 0; i < 200; ++i) {
    const double s = uniform(10, 500), k = s * uniform(0.5, 1.5), t = uniform(0.05, 3);
    const double r = uniform(0, 0.08), vol = uniform(0.05, 1.0);
    const double call = BlackScholesCall(s, k, t, r, vol), put = BlackScholesPut(s, k, t, r, vol);
    EXPECT_NEAR(call - put, s - k * std::exp(-r * t), 1e-9 * s);
    EXPECT_GE(call, std::max(0.0, s - k * std::exp(-r * t)) - 1e-12);
    EXPECT_LE(call, s);
    const double delta = BlackScholesCallDelta(s, k, t, r, vol);
    EXPECT_GT(delta, 0);
    EXPECT_LT(delta, 1);
    // The delta is the price's slope in spot.
    const double h = s * 1e-5;
    const double slope = (BlackScholesCall(s + h, k, t, r, vol) - BlackScholesCall(s - h, k, t, r, vol)) / (2 * h);
    EXPECT_NEAR(delta, slope, 1e-5);
  }
}

TEST(IndicatorBlackScholes, WithoutTimeOrVolatilityIsWorthItsIntrinsicValue) {
  EXPECT_DOUBLE_EQ(BlackScholesCall(110, 100, 0, 0.05, 0.2), 10);
  EXPECT_DOUBLE_EQ(BlackScholesCall(90, 100, 0, 0.05, 0.2), 0);
  EXPECT_NEAR(BlackScholesCall(110, 100, 1, 0.05, 0), 110 - 100 * std::exp(-0.05), 1e-12);
  EXPECT_EQ(BlackScholesCallDelta(110, 100, 1, 0.05, 0), 1);
  EXPECT_EQ(BlackScholesCallDelta(90, 100, 1, 0.05, 0), 0);
  EXPECT_TRUE(std::isnan(BlackScholesCall(0, 100, 1, 0.05, 0.2)));
  EXPECT_TRUE(std::isnan(BlackScholesCall(100, -1, 1, 0.05, 0.2)));
}

TEST(IndicatorBlackScholes, InverseNormalCdfInvertsTheCdf) {
  EXPECT_NEAR(InverseNormalCdf(0.5), 0, 1e-15);
  EXPECT_NEAR(InverseNormalCdf(0.975), 1.959963984540054, 1e-12);
  for (double p : {1e-10, 0.001, 0.02, 0.1, 0.3, 0.7, 0.8, 0.9, 0.98, 0.999}) {
    EXPECT_NEAR(NormalCdf(InverseNormalCdf(p)), p, 1e-13 + p * 1e-12) << p;
  }
  EXPECT_TRUE(std::isnan(InverseNormalCdf(0)));
  EXPECT_TRUE(std::isnan(InverseNormalCdf(1)));
}

TEST(IndicatorBlackScholes, StrikeForCallDeltaRoundTripsThroughTheDelta) {
  for (double target : {0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95}) {
    for (double vol : {0.1, 0.25, 0.6}) {
      for (double years : {0.25, 540.0 / 365.0, 3.0}) {
        const double strike = StrikeForCallDelta(150, years, 0.04, vol, target);
        ASSERT_TRUE(std::isfinite(strike));
        EXPECT_NEAR(BlackScholesCallDelta(150, strike, years, 0.04, vol), target, 1e-12)
            << "target " << target << " vol " << vol << " years " << years;
      }
    }
  }
  // Deeper in the money for higher deltas.
  EXPECT_LT(StrikeForCallDelta(100, 1.5, 0.04, 0.3, 0.8), StrikeForCallDelta(100, 1.5, 0.04, 0.3, 0.5));
  EXPECT_LT(StrikeForCallDelta(100, 1.5, 0.04, 0.3, 0.8), 100);
  EXPECT_TRUE(std::isnan(StrikeForCallDelta(100, 1.5, 0.04, 0.3, 1.0)));
  EXPECT_TRUE(std::isnan(StrikeForCallDelta(100, 1.5, 0.04, 0.0, 0.8)));
  EXPECT_TRUE(std::isnan(StrikeForCallDelta(100, 0.0, 0.04, 0.3, 0.8)));
}

}  // namespace
}  // namespace stratrun::sdk::ta
