// stratrun/indicators.hpp — technical-analysis helpers for strategy plugins.
//
//   namespace ta = stratrun::sdk::ta;
//   const auto close = bars.close();
//   const auto sma50 = ta::Sma(close, 50);
//   const auto rsi = ta::Rsi(close);
//   if (ta::Last(close) > ta::Last(sma50) && ta::Last(rsi) < 70) ...
//
// Conventions every series function keeps:
//  - It takes columns as std::span<const double> (oldest first) and returns a
//    std::vector<double> of the same length, aligned bar for bar with its input.
//  - A value that is not defined yet (too few bars before it) is NaN; the doc of each
//    function says at which index the first defined value is. Fewer bars than that gives
//    an all-NaN result, never an exception.
//  - It runs in O(n) time, whatever the window, allocating its result and at most one
//    scratch vector — nothing per element. A screen of 500 tickers × 2520 bars through
//    every function here takes well under 100 ms.
//  - Rolling functions (Sma, RollingMax, RollingMin, HistoricalVolatility,
//    RelativeVolume) give NaN for exactly the windows that contain a non-finite input;
//    recursive ones (Ema, Macd, Rsi, Atr) give NaN from the first non-finite input on.
//  - A window, span or period of 0 throws std::invalid_argument (a caller bug).
// Every function is pure and thread-safe. Depends only on the standard library.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace stratrun::sdk::ta {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
/// Trading days per year, used to annualise volatility.
inline constexpr double kTradingDaysPerYear = 252.0;

namespace detail {

inline void RequirePositive(size_t value, const char* what) {
  if (value == 0) throw std::invalid_argument(std::string(what) + " must be at least 1");
}

/// A running sum with Neumaier compensation: adding and removing values keeps the error
/// near one rounding of the current sum instead of letting it drift with n.
class CompensatedSum {
 public:
  void Add(double x) {
    const double t = sum_ + x;
    if (std::fabs(sum_) >= std::fabs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  double value() const { return sum_ + compensation_; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

/// Rolling extreme over `window` values by van Herk/Gil-Werman: cut the series into blocks
/// of `window`; a window then spans the tail of one block and the head of the next, so
/// its extreme is the better of the first's suffix extreme and the second's prefix
/// extreme. About three branch-free comparisons per value, whatever the window; a
/// non-finite value counts as the identity (−inf for max) and its windows are NaN.
template <bool kMax>
std::vector<double> RollingExtreme(std::span<const double> values, size_t window) {
  RequirePositive(window, "window");
  const size_t n = values.size();
  std::vector<double> out(n, kNaN);
  if (n < window) return out;
  constexpr double kIdentity = kMax ? -std::numeric_limits<double>::infinity()
                                    : std::numeric_limits<double>::infinity();
  auto better = [](double a, double b) { return kMax ? (a > b ? a : b) : (a < b ? a : b); };
  auto clean = [&](size_t i) { return std::isfinite(values[i]) ? values[i] : kIdentity; };
  std::vector<double> suffix(n);  // extreme of values[i .. end of i's block]
  for (size_t block = 0; block < n; block += window) {
    size_t i = std::min(block + window, n) - 1;
    suffix[i] = clean(i);
    while (i-- > block) suffix[i] = better(clean(i), suffix[i + 1]);
  }
  double prefix = kIdentity;  // extreme of values[start of i's block .. i]
  size_t last_bad = 0;        // 1 + index of the latest non-finite value; 0: none
  for (size_t i = 0, in_block = 0; i < n; ++i, in_block = in_block + 1 == window ? 0 : in_block + 1) {
    prefix = in_block == 0 ? clean(i) : better(prefix, clean(i));
    if (!std::isfinite(values[i])) last_bad = i + 1;
    if (i + 1 < window) continue;
    const size_t start = i + 1 - window;
    out[i] = last_bad > start ? kNaN : better(suffix[start], prefix);
  }
  return out;
}

/// Wilder's smoothing step avg·(period−1)/period + x/period, with the two factors
/// computed once (no division on the recursive path).
struct Wilder {
  explicit Wilder(size_t period)
      : keep((static_cast<double>(period) - 1) / static_cast<double>(period)),
        take(1 / static_cast<double>(period)) {}
  double Next(double average, double x) const { return std::isfinite(x) ? average * keep + x * take : kNaN; }
  double keep, take;
};

/// max(high − low, |high − previous close|, |low − previous close|); NaN when any of the
/// three is not finite.
inline double TrueRangeAt(double high, double low, double previous_close) {
  const double range = std::max(std::max(high - low, std::fabs(high - previous_close)),
                                std::fabs(low - previous_close));
  // `&`, not `&&`: no branch, so a compiler keeps the whole step branch-free.
  const bool finite = std::isfinite(high) & std::isfinite(low) & std::isfinite(previous_close);
  return finite ? range : kNaN;
}

inline void RequireSameLength(size_t a, size_t b, size_t c) {
  if (a != b || a != c) throw std::invalid_argument("high, low and close must have the same length");
}

}  // namespace detail

/// The last value, or NaN for an empty series; `back` steps further back (Last(v, 1) is
/// the value before the last), NaN when there are not that many values.
inline double Last(std::span<const double> values, size_t back = 0) {
  return back < values.size() ? values[values.size() - 1 - back] : kNaN;
}

/// Simple moving average: out[i] = mean(values[i−window+1 .. i]); first defined at
/// index window−1.
inline std::vector<double> Sma(std::span<const double> values, size_t window) {
  detail::RequirePositive(window, "window");
  const size_t n = values.size();
  std::vector<double> out(n, kNaN);
  detail::CompensatedSum sum;
  size_t last_bad = 0;  // 1 + index of the latest non-finite value; 0: none
  const double w = static_cast<double>(window);
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(values[i])) {
      sum.Add(values[i]);
    } else {
      last_bad = i + 1;
    }
    if (i >= window && std::isfinite(values[i - window])) sum.Add(-values[i - window]);
    if (i + 1 >= window && last_bad <= i + 1 - window) out[i] = sum.value() / w;
  }
  return out;
}

/// Exponential moving average with alpha = 2 / (span + 1), seeded with the first value:
/// out[0] = values[0], out[i] = alpha·values[i] + (1 − alpha)·out[i−1] (pandas
/// `ewm(span=span, adjust=False).mean()`). Defined from index 0.
inline std::vector<double> Ema(std::span<const double> values, size_t span) {
  detail::RequirePositive(span, "span");
  const size_t n = values.size();
  std::vector<double> out(n, kNaN);
  if (n == 0) return out;
  const double alpha = 2.0 / (static_cast<double>(span) + 1.0);
  double ema = std::isfinite(values[0]) ? values[0] : kNaN;
  out[0] = ema;
  for (size_t i = 1; i < n; ++i) {
    ema = std::isfinite(values[i]) ? alpha * values[i] + (1.0 - alpha) * ema : kNaN;
    out[i] = ema;
  }
  return out;
}

/// Wilder's relative strength index. The first value, at index `period`, uses the plain
/// means of the first `period` up and down moves; later ones Wilder's smoothing
/// (avg·(period−1) + move) / period. RSI = 100 − 100 / (1 + avg_up / avg_down), so
/// 100 when there were no down moves, 0 when there were no up moves, and 50 — neutral —
/// when the window had neither (a flat series).
inline std::vector<double> Rsi(std::span<const double> close, size_t period = 14) {
  detail::RequirePositive(period, "period");
  const size_t n = close.size();
  std::vector<double> out(n, kNaN);
  if (n <= period) return out;
  double up = 0, down = 0;
  for (size_t i = 1; i <= period; ++i) {
    const double move = close[i] - close[i - 1];
    if (!std::isfinite(move)) up = down = kNaN;
    up += std::max(move, 0.0);
    down += std::max(-move, 0.0);
  }
  up /= static_cast<double>(period);
  down /= static_cast<double>(period);
  // 100·up / (up + down) is 100 − 100 / (1 + up/down), and also right when down is 0.
  auto rsi = [](double avg_up, double avg_down) {
    const double both = avg_up + avg_down;
    return both == 0 ? 50.0 : 100.0 * avg_up / both;
  };
  out[period] = rsi(up, down);
  const detail::Wilder wilder(period);
  for (size_t i = period + 1; i < n; ++i) {
    const double move = close[i] - close[i - 1];
    if (!std::isfinite(move)) up = down = kNaN;
    // max(move, 0) and max(−move, 0), exactly and without a data-dependent branch.
    const double gain = 0.5 * (move + std::fabs(move));
    up = up * wilder.keep + gain * wilder.take;
    down = down * wilder.keep + (gain - move) * wilder.take;
    out[i] = rsi(up, down);
  }
  return out;
}

/// Moving average convergence/divergence, each series defined from index 0.
struct MacdSeries {
  std::vector<double> line;       // EMA(fast) − EMA(slow)
  std::vector<double> signal;     // EMA(signal_span) of line
  std::vector<double> histogram;  // line − signal
};

/// MACD with pandas-style (adjust=False) EMAs seeded with the first value.
inline MacdSeries Macd(std::span<const double> close, size_t fast = 12, size_t slow = 26,
                       size_t signal_span = 9) {
  detail::RequirePositive(fast, "span");
  detail::RequirePositive(slow, "span");
  detail::RequirePositive(signal_span, "span");
  const size_t n = close.size();
  MacdSeries out{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
  if (n == 0) return out;
  auto alpha = [](size_t span) { return 2.0 / (static_cast<double>(span) + 1.0); };
  const double a_fast = alpha(fast), a_slow = alpha(slow), a_signal = alpha(signal_span);
  // The same recursions as Ema(), interleaved in one pass.
  double ema_fast = std::isfinite(close[0]) ? close[0] : kNaN;
  double ema_slow = ema_fast;
  double signal = ema_fast - ema_slow;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) {
      const double x = std::isfinite(close[i]) ? close[i] : kNaN;
      ema_fast = a_fast * x + (1.0 - a_fast) * ema_fast;
      ema_slow = a_slow * x + (1.0 - a_slow) * ema_slow;
      signal = a_signal * (ema_fast - ema_slow) + (1.0 - a_signal) * signal;
    }
    out.line[i] = ema_fast - ema_slow;
    out.signal[i] = signal;
    out.histogram[i] = out.line[i] - signal;
  }
  return out;
}

/// True range max(high − low, |high − previous close|, |low − previous close|); NaN at
/// index 0, which has no previous close. The three columns must have the same length
/// (else std::invalid_argument).
inline std::vector<double> TrueRange(std::span<const double> high, std::span<const double> low,
                                     std::span<const double> close) {
  detail::RequireSameLength(high.size(), low.size(), close.size());
  std::vector<double> out(close.size(), kNaN);
  for (size_t i = 1; i < close.size(); ++i) out[i] = detail::TrueRangeAt(high[i], low[i], close[i - 1]);
  return out;
}

/// Wilder's average true range: the mean of the first `period` true ranges (bars 1 ..
/// period) at index `period`, then (prev·(period−1) + tr) / period. Columns of different
/// lengths throw std::invalid_argument.
inline std::vector<double> Atr(std::span<const double> high, std::span<const double> low,
                               std::span<const double> close, size_t period = 14) {
  detail::RequirePositive(period, "period");
  detail::RequireSameLength(high.size(), low.size(), close.size());
  const size_t n = close.size();
  std::vector<double> out(n, kNaN);
  if (n <= period) return out;
  double atr = 0;
  for (size_t i = 1; i <= period; ++i) atr += detail::TrueRangeAt(high[i], low[i], close[i - 1]);
  atr /= static_cast<double>(period);
  out[period] = atr;
  const detail::Wilder wilder(period);
  for (size_t i = period + 1; i < n; ++i) {
    atr = wilder.Next(atr, detail::TrueRangeAt(high[i], low[i], close[i - 1]));
    out[i] = atr;
  }
  return out;
}

/// Highest value of the `window` values ending at (and including) each index; first
/// defined at index window−1.
inline std::vector<double> RollingMax(std::span<const double> values, size_t window) {
  return detail::RollingExtreme<true>(values, window);
}

/// Lowest value of the `window` values ending at (and including) each index; first
/// defined at index window−1.
inline std::vector<double> RollingMin(std::span<const double> values, size_t window) {
  return detail::RollingExtreme<false>(values, window);
}

/// Annualised historical volatility: the sample standard deviation (n − 1 divisor) of
/// the last `window` daily log returns ln(close[i] / close[i−1]), times sqrt(252). First
/// defined at index `window` (it needs window + 1 closes); `window` must be at least 2.
/// A close that is not positive makes the returns next to it non-finite. A window whose
/// returns are all equal (a flat series, say) gives exactly 0, not rounding residue.
inline std::vector<double> HistoricalVolatility(std::span<const double> close, size_t window) {
  if (window < 2) throw std::invalid_argument("window must be at least 2");
  const size_t n = close.size();
  std::vector<double> out(n, kNaN);
  if (n <= window) return out;
  // Log returns r[1..n-1]; NaN where either close is not positive or not finite.
  std::vector<double> returns(n, kNaN);
  for (size_t i = 1; i < n; ++i) {
    if (close[i] > 0 && close[i - 1] > 0) returns[i] = std::log(close[i] / close[i - 1]);
  }
  // Sliding Welford update; a non-finite return enters as 0 so the state is exact again
  // once it has left the window, and every window holding it gives NaN.
  auto entered = [&](size_t i) { return std::isfinite(returns[i]) ? returns[i] : 0.0; };
  const double w = static_cast<double>(window);
  const double inverse_w = 1 / w;
  const double variance_to_annual = kTradingDaysPerYear / (w - 1);
  double mean = 0, m2 = 0;
  size_t last_bad = 0;     // 1 + index of the latest non-finite return; 0: none
  size_t last_change = 1;  // latest index whose return differs from the one before
  for (size_t i = 1; i < n; ++i) {
    if (!std::isfinite(returns[i])) last_bad = i + 1;
    const double x = entered(i);
    if (i > 1 && x != entered(i - 1)) last_change = i;
    if (i <= window) {
      const double delta = x - mean;
      mean += delta / static_cast<double>(i);
      m2 += delta * (x - mean);
    } else {
      const double old = entered(i - window);
      const double old_mean = mean;
      mean += (x - old) * inverse_w;
      m2 = std::max(0.0, m2 + (x - old) * (x - mean + old - old_mean));
    }
    if (i < window || last_bad > i + 1 - window) continue;
    out[i] = last_change <= i + 1 - window ? 0.0 : std::sqrt(m2 * variance_to_annual);
  }
  return out;
}

/// Each value divided by the mean of the `window` values ending at it (e.g. today's
/// volume as a multiple of its 20-day average, today included); first defined at index
/// window−1; NaN where that mean is 0 (no volume at all in the window).
inline std::vector<double> RelativeVolume(std::span<const double> volume, size_t window) {
  std::vector<double> out = Sma(volume, window);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = out[i] != 0 ? volume[i] / out[i] : kNaN;
  }
  return out;
}

// ---- Black–Scholes (European call on a non-dividend-paying underlying) -----------------
//
// spot and strike in price units, `years` to expiry, `rate` continuously compounded,
// `vol` annualised. With years <= 0 or vol <= 0 the option is worth its discounted
// intrinsic value max(spot − strike·e^(−rate·years), 0), and its delta is 1 when that is
// positive, else 0. A non-positive spot or strike gives NaN.

/// The standard normal cumulative distribution function.
inline double NormalCdf(double x) { return 0.5 * std::erfc(-x * std::numbers::sqrt2 / 2.0); }

/// The inverse of NormalCdf on (0, 1): Acklam's rational approximation refined by one
/// Halley step, accurate to about 1e-15. NaN outside (0, 1).
inline double InverseNormalCdf(double p) {
  if (!(p > 0 && p < 1)) return kNaN;
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const double q = std::sqrt(-2 * std::log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double e = NormalCdf(x) - p;
  const double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

namespace detail {

/// d1 of Black–Scholes; only meaningful when years > 0 and vol > 0.
inline double D1(double spot, double strike, double years, double rate, double vol) {
  return (std::log(spot / strike) + (rate + vol * vol / 2) * years) / (vol * std::sqrt(years));
}

inline bool Degenerate(double years, double vol) { return !(years > 0) || !(vol > 0); }

}  // namespace detail

/// Price of a European call.
inline double BlackScholesCall(double spot, double strike, double years, double rate, double vol) {
  if (!(spot > 0) || !(strike > 0)) return kNaN;
  const double discounted_strike = strike * std::exp(-rate * std::max(years, 0.0));
  if (detail::Degenerate(years, vol)) return std::max(spot - discounted_strike, 0.0);
  const double d1 = detail::D1(spot, strike, years, rate, vol);
  const double d2 = d1 - vol * std::sqrt(years);
  return spot * NormalCdf(d1) - discounted_strike * NormalCdf(d2);
}

/// Price of a European put (by put–call parity from BlackScholesCall).
inline double BlackScholesPut(double spot, double strike, double years, double rate, double vol) {
  const double call = BlackScholesCall(spot, strike, years, rate, vol);
  return call - spot + strike * std::exp(-rate * std::max(years, 0.0));
}

/// Delta (∂price/∂spot) of a European call: N(d1), in (0, 1).
inline double BlackScholesCallDelta(double spot, double strike, double years, double rate,
                                    double vol) {
  if (!(spot > 0) || !(strike > 0)) return kNaN;
  if (detail::Degenerate(years, vol)) {
    return spot > strike * std::exp(-rate * std::max(years, 0.0)) ? 1.0 : 0.0;
  }
  return NormalCdf(detail::D1(spot, strike, years, rate, vol));
}

/// The strike whose call has delta `target_delta`, in closed form: with
/// d1 = N⁻¹(target_delta), strike = spot · exp((rate + vol²/2)·years − d1·vol·sqrt(years)).
/// Higher deltas give lower (deeper in-the-money) strikes. NaN when target_delta is not
/// in (0, 1), spot is not positive, or years or vol is not positive (delta is then a
/// step and no strike has a delta strictly between 0 and 1).
inline double StrikeForCallDelta(double spot, double years, double rate, double vol,
                                 double target_delta) {
  if (!(spot > 0) || detail::Degenerate(years, vol)) return kNaN;
  const double d1 = InverseNormalCdf(target_delta);
  if (std::isnan(d1)) return kNaN;
  return spot * std::exp((rate + vol * vol / 2) * years - d1 * vol * std::sqrt(years));
}

}  // namespace stratrun::sdk::ta
