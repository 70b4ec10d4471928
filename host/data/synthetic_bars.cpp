#include "data/synthetic_bars.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace stratrun {
namespace {

/// xoshiro256** seeded through splitmix64: the same numbers on every platform and standard
/// library (std::normal_distribution and friends are not specified bit-for-bit).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  bool Chance(double p) { return Uniform() < p; }
  /// Standard normal (Box–Muller).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  /// Student's t with 4 degrees of freedom, scaled to unit variance: fat tails.
  double FatTail() {
    double chi2 = 0;
    for (int i = 0; i < 4; ++i) {
      const double z = Normal();
      chi2 += z * z;
    }
    return Normal() / std::sqrt(chi2 / 4.0) / std::numbers::sqrt2;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

uint64_t Fnv1a(std::string_view text, uint64_t seed) {
  uint64_t hash = 1469598103934665603ULL ^ seed;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

bool IsWeekday(int32_t day) {
  const int weekday = static_cast<int>((day + 4) % 7);  // 1970-01-01 was a Thursday (4)
  return weekday != 0 && weekday != 6;
}

double Cents(double price) { return std::round(price * 100.0) / 100.0; }

struct Regime {
  double annual_drift;
  double volatility_multiple;
};
constexpr Regime kBull{0.28, 0.85}, kSideways{0.02, 0.7}, kBear{-0.35, 1.4};

}  // namespace

SyntheticBarSource::SyntheticBarSource(SyntheticOptions options) : options_(std::move(options)) {
  std::sort(options_.tickers.begin(), options_.tickers.end());
  options_.tickers.erase(std::unique(options_.tickers.begin(), options_.tickers.end()), options_.tickers.end());
}

std::vector<std::string> SyntheticBarSource::ListTickers() { return options_.tickers; }

Result<std::shared_ptr<const BarSeries>> SyntheticBarSource::Load(std::string_view ticker) {
  if (!std::binary_search(options_.tickers.begin(), options_.tickers.end(), ticker)) {
    return NotFound("no data for '" + std::string(ticker) + "'");
  }
  return std::make_shared<const BarSeries>(Generate(ticker, options_.seed, options_.days));
}

BarSeries SyntheticBarSource::Generate(std::string_view ticker, uint64_t seed, int days) {
  Rng rng(Fnv1a(ticker, seed));
  const size_t n = static_cast<size_t>(std::max(1, days));

  // Per-ticker character.
  const double daily_vol = rng.Uniform(0.18, 0.55) / std::sqrt(252.0);
  const double base_volume = std::exp(rng.Uniform(13.0, 17.5));
  double price = std::exp(rng.Uniform(std::log(8.0), std::log(600.0)));
  Regime regime = rng.Chance(0.55) ? kBull : (rng.Chance(0.5) ? kSideways : kBear);

  // About one ticker in six ends by breaking out of a quiet base on heavy volume, after an
  // uptrend: [trend_start, base_start) is forced bullish, [base_start, breakout_start) is a
  // tight range, and the last days break above it.
  const bool breaks_out = rng.Chance(0.17);
  const size_t breakout_days = 1 + static_cast<size_t>(rng.Uniform(0, 3));
  const size_t base_days = 25 + static_cast<size_t>(rng.Uniform(0, 30));
  const size_t breakout_start = n > breakout_days ? n - breakout_days : 0;
  const size_t base_start = breakout_start > base_days ? breakout_start - base_days : 0;
  const size_t trend_start = base_start > 220 ? base_start - 220 : 0;
  double base_center = 0, base_high = 0;

  std::vector<int32_t> calendar;
  calendar.reserve(n);
  for (int32_t day = kSyntheticLastDay; calendar.size() < n; --day) {
    if (IsWeekday(day)) calendar.push_back(day);
  }
  std::reverse(calendar.begin(), calendar.end());

  BarSeries s;
  for (auto* column : {&s.open, &s.high, &s.low, &s.close, &s.adj_close, &s.volume}) column->reserve(n);
  s.day = std::move(calendar);
  for (size_t i = 0; i < n; ++i) {
    if (rng.Chance(1.0 / 70.0)) {
      const double pick = rng.Uniform();
      regime = pick < 0.5 ? kBull : (pick < 0.8 ? kSideways : kBear);
    }
    double drift = regime.annual_drift / 252.0;
    double vol = daily_vol * regime.volatility_multiple;
    double volume_boost = 1.0;
    const bool in_trend = breaks_out && i >= trend_start && i < base_start;
    const bool in_base = breaks_out && i >= base_start && i < breakout_start;
    const bool in_breakout = breaks_out && i >= breakout_start;
    if (in_trend) {
      drift = kBull.annual_drift / 252.0 * 1.3;
      vol = daily_vol * 0.8;
    } else if (in_base) {
      if (i == base_start) base_center = price;
      drift = -0.08 * std::log(price / base_center);  // pulled back to the middle of the range
      vol = daily_vol * 0.45;
    } else if (in_breakout) {
      drift = 0;
      vol = 0;
    }
    if (price < 2.0) drift += 0.01;  // keep prices positive and plausible

    const double gap = rng.Chance(0.015) ? 3.0 * vol * rng.Normal() : 0.0;
    double move = drift + vol * rng.FatTail();
    if (in_breakout) {
      // Close above the base's high on each breakout day.
      const double target = std::max(base_high, price) * rng.Uniform(1.012, 1.03);
      move = std::log(target / price) - gap;
    }
    const double open = price * std::exp(gap + 0.2 * vol * rng.Normal());
    const double close = price * std::exp(gap + move);
    const double high = std::max(open, close) * std::exp(std::abs(rng.Normal()) * 0.45 * std::max(vol, daily_vol * 0.5));
    const double low = std::min(open, close) * std::exp(-std::abs(rng.Normal()) * 0.45 * std::max(vol, daily_vol * 0.5));

    if (rng.Chance(0.02)) volume_boost *= rng.Uniform(2.0, 4.5);  // news days
    if (in_base) volume_boost *= 0.7;
    if (in_breakout) volume_boost *= rng.Uniform(2.5, 4.0);
    const double size_of_move = std::abs(std::log(close / price)) / daily_vol;
    const double volume =
        std::max(100.0, std::round(base_volume * std::exp(0.25 * rng.Normal()) * (0.7 + 0.3 * size_of_move) * volume_boost));

    // Rounding to cents is monotonic, so Low ≤ Open, Close ≤ High still holds after it.
    s.open.push_back(Cents(open));
    s.high.push_back(Cents(high));
    s.low.push_back(std::max(0.01, Cents(low)));
    s.close.push_back(Cents(close));
    s.adj_close.push_back(Cents(close));
    s.volume.push_back(volume);
    if (in_base) base_high = std::max(base_high, high);
    price = close;
  }
  return s;
}

}  // namespace stratrun
