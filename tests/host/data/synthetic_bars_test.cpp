// The synthetic sample universe: deterministic, independent per ticker, valid bars, and
// realistic enough that screens find something.
#include "data/synthetic_bars.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "data/universe.h"

namespace stratrun {
namespace {

TEST(SyntheticBarsTest, ASeriesDependsOnlyOnSeedTickerAndDays) {
  const BarSeries a = SyntheticBarSource::Generate("AAPL", 42, 600);
  const BarSeries again = SyntheticBarSource::Generate("AAPL", 42, 600);
  EXPECT_EQ(a.close, again.close);
  EXPECT_EQ(a.volume, again.volume);
  EXPECT_NE(a.close, SyntheticBarSource::Generate("AAPL", 43, 600).close);
  EXPECT_NE(a.close, SyntheticBarSource::Generate("MSFT", 42, 600).close);

  // The universe it is generated with makes no difference.
  SyntheticBarSource small({.tickers = {"AAPL"}, .seed = 42, .days = 600});
  SyntheticBarSource large({.tickers = Sp500Tickers(), .seed = 42, .days = 600});
  EXPECT_EQ((*small.Load("AAPL"))->close, (*large.Load("AAPL"))->close);
}

TEST(SyntheticBarsTest, BarsAreValidTradingDaysEndingOnTheFixedLastDay) {
  for (const char* ticker : {"AAPL", "TSLA", "KO", "XOM", "NVDA"}) {
    const BarSeries s = SyntheticBarSource::Generate(ticker, 7, 2520);
    ASSERT_EQ(s.size(), 2520u);
    EXPECT_EQ(s.day.back(), kSyntheticLastDay);
    for (size_t i = 0; i < s.size(); ++i) {
      if (i > 0) {
        ASSERT_GT(s.day[i], s.day[i - 1]);
      }
      const int weekday = (s.day[i] + 4) % 7;
      ASSERT_NE(weekday, 0) << ticker << " bar " << i << " is a Sunday";
      ASSERT_NE(weekday, 6) << ticker << " bar " << i << " is a Saturday";
      ASSERT_GT(s.low[i], 0.0);
      ASSERT_LE(s.low[i], std::min(s.open[i], s.close[i])) << ticker << " bar " << i;
      ASSERT_GE(s.high[i], std::max(s.open[i], s.close[i])) << ticker << " bar " << i;
      ASSERT_GT(s.volume[i], 0.0);
      ASSERT_EQ(s.adj_close[i], s.close[i]);
    }
  }
}

TEST(SyntheticBarsTest, MovesAreFatTailedAndVolumeSpikes) {
  std::vector<double> returns;
  size_t spikes = 0, days = 0;
  for (const char* ticker : {"AAPL", "MSFT", "AMZN", "GOOGL", "META", "JPM", "XOM", "KO"}) {
    const BarSeries s = SyntheticBarSource::Generate(ticker, 42, 1260);
    double mean_volume = 0;
    for (double v : s.volume) mean_volume += v / static_cast<double>(s.size());
    for (size_t i = 1; i < s.size(); ++i) {
      returns.push_back(std::log(s.close[i] / s.close[i - 1]));
      spikes += s.volume[i] > 2.5 * mean_volume;
      ++days;
    }
  }
  double mean = 0, m2 = 0, m4 = 0;
  for (double r : returns) mean += r / static_cast<double>(returns.size());
  for (double r : returns) {
    m2 += (r - mean) * (r - mean) / static_cast<double>(returns.size());
    m4 += std::pow(r - mean, 4) / static_cast<double>(returns.size());
  }
  EXPECT_GT(m4 / (m2 * m2), 4.0) << "kurtosis of a normal walk is 3; markets are fatter-tailed";
  EXPECT_GT(spikes, days / 200) << "volume spikes on some days";
  EXPECT_LT(spikes, days / 10);
}

TEST(SyntheticBarsTest, SomeTickersBreakOutOfTheirRangeOnHeavyVolume) {
  size_t breakouts = 0;
  const auto& universe = Sp500Tickers();
  for (const auto& ticker : universe) {
    const BarSeries s = SyntheticBarSource::Generate(ticker, 42, 300);
    const size_t last = s.size() - 1;
    const double prior_high = *std::max_element(s.high.end() - 21, s.high.end() - 1);
    double average_volume = 0;
    for (size_t i = last - 19; i <= last; ++i) average_volume += s.volume[i] / 20.0;
    breakouts += s.close[last] > prior_high && s.volume[last] > 1.5 * average_volume;
  }
  EXPECT_GT(breakouts, universe.size() / 20) << breakouts << " of " << universe.size();
  EXPECT_LT(breakouts, universe.size() / 2) << breakouts << " of " << universe.size();
}

}  // namespace
}  // namespace stratrun
