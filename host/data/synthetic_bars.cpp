#include "data/synthetic_bars.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace stratrun {
namespace {

constexpr int32_t kLastDay = 20451;  // 2025-12-30, a Tuesday

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

}  // namespace

SyntheticBarSource::SyntheticBarSource(SyntheticOptions options) : options_(std::move(options)) {
  std::sort(options_.tickers.begin(), options_.tickers.end());
}

std::vector<std::string> SyntheticBarSource::ListTickers() { return options_.tickers; }

Result<std::shared_ptr<const BarSeries>> SyntheticBarSource::Load(std::string_view ticker) {
  if (!std::binary_search(options_.tickers.begin(), options_.tickers.end(), ticker)) {
    return NotFound("unknown ticker '" + std::string(ticker) + "'");
  }
  return std::make_shared<const BarSeries>(Generate(ticker, options_.seed, options_.days));
}

BarSeries SyntheticBarSource::Generate(std::string_view ticker, uint64_t seed, int days) {
  std::mt19937_64 rng(Fnv1a(ticker, seed));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::student_t_distribution<double> fat_tail(4.0);
  const double annual_drift = -0.05 + 0.30 * uniform(rng);
  const double annual_vol = 0.15 + 0.35 * uniform(rng);
  const double daily_vol = annual_vol / std::sqrt(252.0);
  const double base_volume = std::exp(13.0 + 3.0 * uniform(rng));
  double price = 10.0 + 290.0 * uniform(rng);

  std::vector<int32_t> calendar;
  for (int32_t day = kLastDay; static_cast<int>(calendar.size()) < days; --day) {
    if (IsWeekday(day)) calendar.push_back(day);
  }
  std::reverse(calendar.begin(), calendar.end());

  BarSeries s;
  const size_t n = calendar.size();
  for (auto* column : {&s.open, &s.high, &s.low, &s.close, &s.adj_close, &s.volume}) column->reserve(n);
  s.day = std::move(calendar);
  for (size_t i = 0; i < n; ++i) {
    const double ret = annual_drift / 252.0 + daily_vol * fat_tail(rng) / std::sqrt(2.0);
    const double open = price * (1.0 + daily_vol * 0.3 * (uniform(rng) - 0.5));
    const double close = std::max(0.5, price * std::exp(ret));
    const double high = std::max(open, close) * (1.0 + daily_vol * 0.5 * uniform(rng));
    const double low = std::min(open, close) * (1.0 - daily_vol * 0.5 * uniform(rng));
    const double volume = std::round(base_volume * (0.5 + uniform(rng)) * (1.0 + 10.0 * std::abs(ret)));
    s.open.push_back(open);
    s.high.push_back(high);
    s.low.push_back(low);
    s.close.push_back(close);
    s.adj_close.push_back(close);
    s.volume.push_back(volume);
    price = close;
  }
  return s;
}

}  // namespace stratrun
