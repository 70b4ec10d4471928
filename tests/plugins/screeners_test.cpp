// The bundled screeners bullish_breakout and leap_entry, loaded from the build's plugin
// folder and run through RunPlugin against crafted bar series whose verdicts are known:
// scores and reasons per rule, history and data failures, metrics that agree with the
// SDK's indicators, parameters, and the event stream (stages, ticker_completed, one
// terminal event).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/bar_series.h"
#include "exec/plugin_run.h"
#include "plugins/plugin_loader.h"
#include "stratrun/indicators.hpp"
#include "support/test_support.h"

namespace stratrun {
namespace {

namespace ta = sdk::ta;
using testing::kBundledPluginDir;
using testing::RecordingSink;
using testing::TempDir;

/// Bars held in memory; any other ticker is NotFound.
class MapBarSource : public BarSource {
 public:
  void Add(const std::string& ticker, BarSeries series) {
    series_[ticker] = std::make_shared<const BarSeries>(std::move(series));
  }
  Result<std::shared_ptr<const BarSeries>> Load(std::string_view ticker) override {
    auto it = series_.find(std::string(ticker));
    if (it == series_.end()) return NotFound("no data for ticker '" + std::string(ticker) + "'");
    return it->second;
  }
  std::vector<std::string> ListTickers() override {
    std::vector<std::string> out;
    for (const auto& [ticker, series] : series_) out.push_back(ticker);
    return out;
  }

 private:
  std::map<std::string, std::shared_ptr<const BarSeries>> series_;
};

/// Closes compounding from `start` by returns(i) for bar i ≥ 1.
std::vector<double> Walk(double start, size_t n, const std::function<double(size_t)>& returns) {
  std::vector<double> close = {start};
  for (size_t i = 1; i < n; ++i) close.push_back(close.back() * (1 + returns(i)));
  return close;
}

/// Daily bars from closes: open at the previous close, high and low 0.2 % beyond the
/// body, volume 1,000,000 unless given.
BarSeries Bars(const std::vector<double>& close, std::vector<double> volume = {}) {
  BarSeries s;
  if (volume.empty()) volume.assign(close.size(), 1e6);
  for (size_t i = 0; i < close.size(); ++i) {
    const double open = i > 0 ? close[i - 1] : close[i];
    s.day.push_back(static_cast<int32_t>(18000 + i));
    s.open.push_back(open);
    s.high.push_back(std::max(open, close[i]) * 1.002);
    s.low.push_back(std::min(open, close[i]) * 0.998);
    s.close.push_back(close[i]);
    s.adj_close.push_back(close[i]);
  }
  s.volume = std::move(volume);
  return s;
}

/// 300 bars rising +1.2 % / −0.8 % in turn, then a +3 % day on three times the volume.
BarSeries UptrendBreakout() {
  auto close = Walk(100, 299, [](size_t i) { return i % 2 ? 0.012 : -0.008; });
  close.push_back(close.back() * 1.03);
  std::vector<double> volume(close.size(), 1e6);
  volume.back() = 3e6;
  return Bars(close, volume);
}

/// `n` bars falling −1.2 % / +0.8 % in turn.
BarSeries Downtrend(size_t n) {
  return Bars(Walk(300, n, [](size_t i) { return i % 2 ? -0.012 : 0.008; }));
}

/// A LEAP entry: 330 bars of a volatile uptrend (+3 % / −2.2 %), then 70 calm bars
/// (+0.85 % / −0.75 %) that pull RSI to the middle and the close to its SMA50, and put
/// the 20-day volatility at the bottom of its one-year range.
BarSeries CalmPullbackInUptrend() {
  return Bars(Walk(50, 400, [](size_t i) {
    if (i < 330) return i % 2 ? 0.03 : -0.022;
    return i % 2 ? 0.0085 : -0.0075;
  }));
}

BarSeries Flat(size_t n) { return Bars(std::vector<double>(n, 50.0)); }

const ResultRow* FindRow(const std::vector<ResultRow>& rows, const std::string& ticker) {
  for (const auto& row : rows) {
    if (row.ticker == ticker) return &row;
  }
  return nullptr;
}

/// The metric's value; NaN, with a test failure, when the row lacks it.
double MetricOf(const ResultRow& row, const std::string& name) {
  for (const auto& [key, value] : row.metrics) {
    if (key == name) return value;
  }
  ADD_FAILURE() << row.ticker << " has no metric " << name;
  return ta::kNaN;
}

/// The reason that starts with `prefix`, or "" when none does.
std::string ReasonStartingWith(const ResultRow& row, const std::string& prefix) {
  for (const auto& reason : row.reasons) {
    if (reason.rfind(prefix, 0) == 0) return reason;
  }
  return "";
}

std::string Reasons(const ResultRow& row) {
  std::string out;
  for (const auto& reason : row.reasons) out += "\n  " + reason;
  return out;
}

class ScreenerTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Plugin> Load(const std::string& code) {
    auto plugin = LoadPlugin(kBundledPluginDir / (code + ".so"), {.cache_dir = cache_.path()});
    EXPECT_TRUE(plugin.ok()) << plugin.status().message();
    return plugin.ok() ? *plugin : nullptr;
  }

  RunOutcome Run(const Plugin& plugin, const std::vector<std::pair<std::string, std::string>>& sets,
                 std::vector<std::string> tickers, const Cancellation& cancel = {}) {
    sink_ = std::make_unique<RecordingSink>();
    auto parameters = plugin.schema().ValidateText(sets);
    EXPECT_TRUE(parameters.ok()) << parameters.status().message();
    RunRequest request{.run_id = "run-1", .parameters = *parameters, .tickers = std::move(tickers), .max_workers = 2};
    return RunPlugin(plugin, request, data_, *sink_, cancel);
  }

  /// The only row of a run of `plugin` over `ticker` alone.
  ResultRow RunOne(const Plugin& plugin, const std::string& ticker,
                   const std::vector<std::pair<std::string, std::string>>& sets = {}) {
    RunOutcome outcome = Run(plugin, sets, {ticker});
    EXPECT_EQ(outcome.state, RunState::kCompleted) << outcome.message;
    const auto rows = sink_->results();
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? ResultRow{} : rows.front();
  }

  /// Started first, seq from 1 without gaps, exactly one terminal event, last.
  void ExpectWellFormedStream() {
    const auto events = sink_->events();
    ASSERT_GE(events.size(), 2u);
    EXPECT_EQ(events.front().type, EventType::kStarted);
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].seq, i + 1) << "event " << i;
      EXPECT_EQ(IsTerminal(events[i].type), i + 1 == events.size()) << "event " << i;
    }
  }

  std::vector<ProgressEvent> EventsOfType(EventType type) const {
    std::vector<ProgressEvent> out;
    for (const auto& e : sink_->events()) {
      if (e.type == type) out.push_back(e);
    }
    return out;
  }

  void ExpectDescribedParameters(const Plugin& plugin, const std::vector<std::string>& names) {
    for (const auto& name : names) {
      const ParamSpec* spec = plugin.schema().Find(name);
      ASSERT_NE(spec, nullptr) << name;
      EXPECT_FALSE(spec->description.empty()) << name;
      EXPECT_TRUE(spec->default_value.has_value()) << name;
    }
    const ParamSpec* universe = plugin.schema().Find("universe_source");
    EXPECT_EQ(universe->values, (std::vector<std::string>{"sp500", "all"}));
    EXPECT_EQ(std::get<std::string>(*universe->default_value), "sp500");
    EXPECT_EQ(std::get<std::vector<std::string>>(*plugin.schema().Find("tickers")->default_value).size(), 0u);
    EXPECT_EQ(std::get<int64_t>(*plugin.schema().Find("max_workers")->default_value), 4);
    EXPECT_EQ(plugin.schema().Find("max_workers")->maximum.value_or(0), 64);
    EXPECT_TRUE(plugin.schema().ValidateText({{"min_score", "0"}}).ok());
    auto too_high = plugin.schema().ValidateText({{"min_score", "101"}});
    ASSERT_FALSE(too_high.ok());
    EXPECT_EQ(too_high.status().field(), "min_score");
  }

  TempDir cache_;
  MapBarSource data_;
  std::unique_ptr<RecordingSink> sink_ = std::make_unique<RecordingSink>();
};

// ---- bullish_breakout -------------------------------------------------------------------

class BullishBreakoutTest : public ScreenerTest {
 protected:
  void SetUp() override {
    plugin_ = Load("bullish_breakout");
    ASSERT_TRUE(plugin_);
  }
  std::shared_ptr<const Plugin> plugin_;
};

TEST_F(BullishBreakoutTest, DescribesItselfAndItsParameters) {
  EXPECT_EQ(plugin_->code(), "bullish_breakout");
  EXPECT_NE(plugin_->description().find("breakout"), std::string::npos);
  EXPECT_EQ(plugin_->stages(), (std::vector<std::string>{"analysis"}));
  ExpectDescribedParameters(*plugin_, {"min_score", "min_volume_multiple", "max_workers", "universe_source", "tickers"});
  EXPECT_EQ(std::get<int64_t>(*plugin_->schema().Find("min_score")->default_value), 70);
  EXPECT_EQ(std::get<double>(*plugin_->schema().Find("min_volume_multiple")->default_value), 1.0);
}

TEST_F(BullishBreakoutTest, AnUptrendBreakingOutOnTripleVolumeScoresHundredAndPasses) {
  data_.Add("UP", UptrendBreakout());
  const ResultRow row = RunOne(*plugin_, "UP");
  EXPECT_EQ(row.score, 100) << Reasons(row);
  EXPECT_TRUE(row.passed);
  ASSERT_EQ(row.reasons.size(), 7u) << Reasons(row);
  for (const auto& reason : row.reasons) EXPECT_EQ(reason.rfind("+ ", 0), 0u) << reason;
  EXPECT_NE(ReasonStartingWith(row, "+ close above SMA50"), "");
  EXPECT_NE(ReasonStartingWith(row, "+ SMA50 above SMA200"), "");
  EXPECT_NE(ReasonStartingWith(row, "+ RSI"), "");
  EXPECT_NE(ReasonStartingWith(row, "+ MACD histogram positive"), "");
  EXPECT_NE(ReasonStartingWith(row, "+ breakout"), "");
  EXPECT_NE(ReasonStartingWith(row, "+ volume 2.73x"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "+ close within 5% of the 252-day high"), "");
  EXPECT_EQ(MetricOf(row, "breakout"), 1);
}

TEST_F(BullishBreakoutTest, ASteadyDowntrendFailsTheTrendMomentumAndBreakoutRules) {
  data_.Add("DOWN", Downtrend(300));
  const ResultRow row = RunOne(*plugin_, "DOWN");
  EXPECT_FALSE(row.passed);
  EXPECT_LE(row.score, 25) << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- close not above SMA50"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- SMA50 not above SMA200"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- RSI 38.0 outside 50–70"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- no breakout"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- close 41.0% below the 252-day high"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "+ volume 1.00x"), "") << Reasons(row);  // steady volume: multiple 1
  EXPECT_EQ(MetricOf(row, "breakout"), 0);
}

TEST_F(BullishBreakoutTest, TooLittleHistoryIsNotEvaluatedAndSaysHowManyBarsItNeeds) {
  data_.Add("NEW", Downtrend(120));
  const ResultRow row = RunOne(*plugin_, "NEW");
  EXPECT_TRUE(std::isnan(row.score));
  EXPECT_FALSE(row.passed);
  EXPECT_EQ(row.reasons, (std::vector<std::string>{"needs 252 bars, has 120"}));
  EXPECT_DOUBLE_EQ(MetricOf(row, "close"), Downtrend(120).close.back());
  EXPECT_TRUE(std::isnan(MetricOf(row, "sma200")));
}

TEST_F(BullishBreakoutTest, AnUnknownTickerIsReportedAsHavingNoData) {
  const ResultRow row = RunOne(*plugin_, "ZZZZ");
  EXPECT_TRUE(std::isnan(row.score));
  EXPECT_FALSE(row.passed);
  ASSERT_EQ(row.reasons.size(), 1u);
  EXPECT_NE(row.reasons[0].find("no data"), std::string::npos) << row.reasons[0];
  EXPECT_NE(row.reasons[0].find("ZZZZ"), std::string::npos) << row.reasons[0];
}

TEST_F(BullishBreakoutTest, ReportsEveryIndicatorAsAMetricEqualToTheSdksValue) {
  const BarSeries bars = UptrendBreakout();
  data_.Add("UP", bars);
  const ResultRow row = RunOne(*plugin_, "UP");
  for (const char* name : {"close", "volume", "sma50", "sma200", "rsi14", "macd", "macd_signal", "macd_hist",
                           "atr14", "atr_pct", "avg_volume20", "volume_multiple", "high_252", "pct_from_high",
                           "prior_high20", "breakout", "bars"}) {
    EXPECT_TRUE(std::isfinite(MetricOf(row, name))) << name;
  }
  const ta::MacdSeries macd = ta::Macd(bars.close);
  EXPECT_DOUBLE_EQ(MetricOf(row, "close"), bars.close.back());
  EXPECT_DOUBLE_EQ(MetricOf(row, "sma50"), ta::Last(ta::Sma(bars.close, 50)));
  EXPECT_DOUBLE_EQ(MetricOf(row, "sma200"), ta::Last(ta::Sma(bars.close, 200)));
  EXPECT_DOUBLE_EQ(MetricOf(row, "rsi14"), ta::Last(ta::Rsi(bars.close)));
  EXPECT_DOUBLE_EQ(MetricOf(row, "macd"), ta::Last(macd.line));
  EXPECT_DOUBLE_EQ(MetricOf(row, "macd_hist"), ta::Last(macd.histogram));
  EXPECT_DOUBLE_EQ(MetricOf(row, "atr14"), ta::Last(ta::Atr(bars.high, bars.low, bars.close)));
  EXPECT_DOUBLE_EQ(MetricOf(row, "avg_volume20"), 1.1e6);  // 19 days of 1M and one of 3M
  EXPECT_DOUBLE_EQ(MetricOf(row, "volume_multiple"), 3e6 / 1.1e6);
  EXPECT_DOUBLE_EQ(MetricOf(row, "high_252"), bars.high.back());
  EXPECT_DOUBLE_EQ(MetricOf(row, "pct_from_high"), 100 * (bars.close.back() / bars.high.back() - 1));
  EXPECT_DOUBLE_EQ(MetricOf(row, "prior_high20"),
                   *std::max_element(bars.high.end() - 21, bars.high.end() - 1));
  EXPECT_EQ(MetricOf(row, "bars"), 300);
}

TEST_F(BullishBreakoutTest, ParametersChangeTheVerdict) {
  data_.Add("UP", UptrendBreakout());
  data_.Add("DOWN", Downtrend(300));
  // Volume rule fails at 5x, so 90 points: still passes 70, fails 95.
  ResultRow row = RunOne(*plugin_, "UP", {{"min_volume_multiple", "5"}});
  EXPECT_EQ(row.score, 90);
  EXPECT_TRUE(row.passed);
  EXPECT_NE(ReasonStartingWith(row, "- volume 2.73x its 20-day average, below 5.00x"), "") << Reasons(row);
  row = RunOne(*plugin_, "UP", {{"min_volume_multiple", "5"}, {"min_score", "95"}});
  EXPECT_FALSE(row.passed);
  row = RunOne(*plugin_, "DOWN", {{"min_score", "0"}});
  EXPECT_TRUE(row.passed);
}

TEST_F(BullishBreakoutTest, EmitsOneTickerCompletedPerTickerAndCompletesTheAnalysisStage) {
  data_.Add("UP", UptrendBreakout());
  data_.Add("DOWN", Downtrend(300));
  data_.Add("NEW", Downtrend(100));
  RunOutcome outcome = Run(*plugin_, {}, {"UP", "DOWN", "NEW", "ZZZZ"});
  EXPECT_EQ(outcome.state, RunState::kCompleted) << outcome.message;
  EXPECT_EQ(outcome.result_count, 4);
  EXPECT_EQ(outcome.passed_count, 1);
  ExpectWellFormedStream();
  const auto done = EventsOfType(EventType::kTickerCompleted);
  ASSERT_EQ(done.size(), 4u);
  std::vector<std::string> items;
  for (const auto& e : done) items.push_back(e.current_item);
  std::sort(items.begin(), items.end());
  EXPECT_EQ(items, (std::vector<std::string>{"DOWN", "NEW", "UP", "ZZZZ"}));
  const auto stages = EventsOfType(EventType::kStageCompleted);
  ASSERT_EQ(stages.size(), 1u);
  EXPECT_EQ(stages[0].stage, "analysis");
  EXPECT_EQ(sink_->events().back().type, EventType::kCompleted);
  const auto rows = sink_->results();
  const ResultRow* up = FindRow(rows, "UP");
  ASSERT_NE(up, nullptr);
  EXPECT_TRUE(up->passed);
}

// ---- leap_entry ---------------------------------------------------------------------------

class LeapEntryTest : public ScreenerTest {
 protected:
  void SetUp() override {
    plugin_ = Load("leap_entry");
    ASSERT_TRUE(plugin_);
  }
  std::shared_ptr<const Plugin> plugin_;
};

const std::vector<std::string> kLeapStages = {"data", "indicators", "options_model", "scoring"};

TEST_F(LeapEntryTest, DescribesItsFourStagesAndItsParameters) {
  EXPECT_EQ(plugin_->code(), "leap_entry");
  EXPECT_NE(plugin_->description().find("LEAP"), std::string::npos);
  EXPECT_EQ(plugin_->stages(), kLeapStages);
  ExpectDescribedParameters(*plugin_, {"min_score", "require_uptrend", "rsi_min", "rsi_max", "max_distance_sma50_pct",
                                       "max_iv_rank", "dte_days", "target_delta", "risk_free_rate",
                                       "max_breakeven_move_pct", "min_leverage", "max_workers", "universe_source",
                                       "tickers"});
  const ParameterSchema& schema = plugin_->schema();
  EXPECT_EQ(std::get<int64_t>(*schema.Find("min_score")->default_value), 60);
  EXPECT_EQ(std::get<int64_t>(*schema.Find("dte_days")->default_value), 540);
  EXPECT_EQ(std::get<double>(*schema.Find("target_delta")->default_value), 0.80);
  EXPECT_EQ(std::get<double>(*schema.Find("risk_free_rate")->default_value), 0.04);
  EXPECT_EQ(std::get<double>(*schema.Find("max_iv_rank")->default_value), 50);
  EXPECT_EQ(std::get<double>(*schema.Find("rsi_min")->default_value), 40);
  EXPECT_EQ(std::get<double>(*schema.Find("rsi_max")->default_value), 60);
  EXPECT_EQ(std::get<double>(*schema.Find("max_distance_sma50_pct")->default_value), 5);
  EXPECT_FALSE(schema.ValidateText({{"target_delta", "1.5"}}).ok());
}

TEST_F(LeapEntryTest, ACalmPullbackInAnUptrendScoresHundredAndPasses) {
  data_.Add("LEAP", CalmPullbackInUptrend());
  const ResultRow row = RunOne(*plugin_, "LEAP");
  EXPECT_EQ(row.score, 100) << Reasons(row);
  EXPECT_TRUE(row.passed);
  ASSERT_EQ(row.reasons.size(), 7u) << Reasons(row);
  for (const auto& reason : row.reasons) EXPECT_EQ(reason.rfind("+ ", 0), 0u) << reason;
  EXPECT_NE(ReasonStartingWith(row, "+ close above SMA200"), "");
  EXPECT_NE(ReasonStartingWith(row, "+ SMA200 rising over 20 bars"), "");
  EXPECT_NE(ReasonStartingWith(row, "+ RSI 54.8 within 40–60"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "+ close 1.6% from SMA50"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "+ iv rank 0 at most 50"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "+ breakeven 7.3% above close"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "+ leverage 6.1x"), "") << Reasons(row);
  EXPECT_NEAR(MetricOf(row, "iv_rank"), 0, 1e-9);
  EXPECT_LT(MetricOf(row, "strike"), MetricOf(row, "close"));  // an 0.80-delta call is in the money
}

TEST_F(LeapEntryTest, ADowntrendFailsTheTrendAndPullbackRulesAndTheUptrendGate) {
  data_.Add("DOWN", Downtrend(400));
  ResultRow row = RunOne(*plugin_, "DOWN");
  EXPECT_EQ(row.score, 30) << Reasons(row);  // only the volatility and option rules hold
  EXPECT_FALSE(row.passed);
  EXPECT_NE(ReasonStartingWith(row, "- close not above SMA200"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- SMA200 not rising over 20 bars"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- RSI 38.0 outside 40–60"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- close -5.4% from SMA50 (more than 5.0%)"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "+ iv rank 0"), "") << Reasons(row);  // constant volatility ranks 0

  row = RunOne(*plugin_, "DOWN", {{"min_score", "0"}});
  EXPECT_FALSE(row.passed);
  EXPECT_NE(ReasonStartingWith(row, "- not passed: require_uptrend"), "") << Reasons(row);

  row = RunOne(*plugin_, "DOWN", {{"min_score", "0"}, {"require_uptrend", "false"}});
  EXPECT_TRUE(row.passed);
  EXPECT_EQ(ReasonStartingWith(row, "- not passed"), "");
}

TEST_F(LeapEntryTest, TooLittleHistoryAndUnknownTickersAreReportedWithTheirReasons) {
  data_.Add("NEW", Downtrend(260));  // enough for bullish_breakout, not for the volatility rank
  RunOutcome outcome = Run(*plugin_, {}, {"NEW", "ZZZZ"});
  EXPECT_EQ(outcome.state, RunState::kCompleted) << outcome.message;
  const auto rows = sink_->results();
  const ResultRow* fresh = FindRow(rows, "NEW");
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(std::isnan(fresh->score));
  EXPECT_FALSE(fresh->passed);
  EXPECT_EQ(fresh->reasons, (std::vector<std::string>{"needs 272 bars, has 260"}));
  const ResultRow* unknown = FindRow(rows, "ZZZZ");
  ASSERT_NE(unknown, nullptr);
  EXPECT_TRUE(std::isnan(unknown->score));
  ASSERT_EQ(unknown->reasons.size(), 1u);
  EXPECT_NE(unknown->reasons[0].find("no data"), std::string::npos) << unknown->reasons[0];
  EXPECT_NE(unknown->reasons[0].find("ZZZZ"), std::string::npos) << unknown->reasons[0];
}

TEST_F(LeapEntryTest, AFlatSeriesCannotBePricedAndSaysSo) {
  data_.Add("FLAT", Flat(300));
  const ResultRow row = RunOne(*plugin_, "FLAT");
  EXPECT_FALSE(row.passed);
  EXPECT_NE(ReasonStartingWith(row, "- call not priced: 60-day volatility is 0.00%"), "") << Reasons(row);
  EXPECT_NE(ReasonStartingWith(row, "- breakeven n/a"), "") << Reasons(row);
  EXPECT_EQ(MetricOf(row, "hv60"), 0);
  EXPECT_TRUE(std::isnan(MetricOf(row, "strike")));
  EXPECT_EQ(MetricOf(row, "rsi14"), 50);
}

TEST_F(LeapEntryTest, ReportsEveryIndicatorAndTheModelledCallAsTheSdkComputesThem) {
  const BarSeries bars = CalmPullbackInUptrend();
  data_.Add("LEAP", bars);
  const ResultRow row = RunOne(*plugin_, "LEAP", {{"dte_days", "730"}, {"target_delta", "0.7"}, {"risk_free_rate", "0.05"}});
  for (const char* name : {"bars", "close", "sma50", "sma200", "sma200_prev20", "sma200_slope_pct", "pct_from_sma50",
                           "rsi14", "atr14", "hv20", "hv20_low_252", "hv20_high_252", "iv_rank", "hv60",
                           "expiry_years", "strike", "call_delta", "call_price", "contract_cost", "time_value",
                           "breakeven", "breakeven_move_pct", "leverage"}) {
    EXPECT_TRUE(std::isfinite(MetricOf(row, name))) << name;
  }
  const auto& close = bars.close;
  const double spot = close.back(), years = 730 / 365.0;
  const double vol = ta::Last(ta::HistoricalVolatility(close, 60));
  const double strike = ta::StrikeForCallDelta(spot, years, 0.05, vol, 0.7);
  const double call = ta::BlackScholesCall(spot, strike, years, 0.05, vol);
  const std::vector<double> sma200 = ta::Sma(close, 200);
  EXPECT_DOUBLE_EQ(MetricOf(row, "sma200"), ta::Last(sma200));
  EXPECT_DOUBLE_EQ(MetricOf(row, "sma200_prev20"), sma200[sma200.size() - 21]);
  EXPECT_DOUBLE_EQ(MetricOf(row, "rsi14"), ta::Last(ta::Rsi(close)));
  EXPECT_DOUBLE_EQ(MetricOf(row, "hv20"), ta::Last(ta::HistoricalVolatility(close, 20)));
  EXPECT_DOUBLE_EQ(MetricOf(row, "hv60"), vol);
  EXPECT_DOUBLE_EQ(MetricOf(row, "expiry_years"), years);
  EXPECT_DOUBLE_EQ(MetricOf(row, "strike"), strike);
  EXPECT_DOUBLE_EQ(MetricOf(row, "call_price"), call);
  EXPECT_NEAR(MetricOf(row, "call_delta"), 0.7, 1e-12);
  EXPECT_DOUBLE_EQ(MetricOf(row, "contract_cost"), 100 * call);
  EXPECT_DOUBLE_EQ(MetricOf(row, "breakeven"), strike + call);
  EXPECT_DOUBLE_EQ(MetricOf(row, "breakeven_move_pct"), 100 * ((strike + call) / spot - 1));
  EXPECT_NEAR(MetricOf(row, "leverage"), 0.7 * spot / call, 1e-9);
  EXPECT_DOUBLE_EQ(MetricOf(row, "time_value"), call - std::max(spot - strike, 0.0));
}

TEST_F(LeapEntryTest, EmitsProgressPerTickerAndStageThenEachStageCompletedInOrder) {
  data_.Add("LEAP", CalmPullbackInUptrend());
  data_.Add("DOWN", Downtrend(400));
  data_.Add("NEW", Downtrend(100));
  const std::vector<std::string> tickers = {"LEAP", "DOWN", "NEW", "ZZZZ"};
  RunOutcome outcome = Run(*plugin_, {}, tickers);
  EXPECT_EQ(outcome.state, RunState::kCompleted) << outcome.message;
  EXPECT_EQ(outcome.result_count, 4);
  EXPECT_EQ(outcome.passed_count, 1);
  ExpectWellFormedStream();

  std::vector<std::string> stages;
  for (const auto& e : EventsOfType(EventType::kStageCompleted)) stages.push_back(e.stage);
  EXPECT_EQ(stages, kLeapStages);

  // Every ticker is visited in each of the first three stages, and completed in scoring;
  // a stage's events all come before its stage_completed.
  const auto events = sink_->events();
  std::map<std::string, std::vector<std::string>> visited;
  std::vector<std::string> completed_stages;
  for (const auto& e : events) {
    if (e.type == EventType::kStageCompleted) completed_stages.push_back(e.stage);
    if (e.type == EventType::kProgress && !e.current_item.empty()) visited[e.stage].push_back(e.current_item);
    if (e.type == EventType::kTickerCompleted) {
      EXPECT_EQ(e.stage, "scoring");
    }
    if (e.type == EventType::kProgress || e.type == EventType::kTickerCompleted) {
      EXPECT_EQ(std::count(completed_stages.begin(), completed_stages.end(), e.stage), 0) << e.stage;
    }
  }
  for (const std::string stage : {"data", "indicators", "options_model"}) {
    auto items = visited[stage];
    std::sort(items.begin(), items.end());
    EXPECT_EQ(items, (std::vector<std::string>{"DOWN", "LEAP", "NEW", "ZZZZ"})) << stage;
  }
  const auto done = EventsOfType(EventType::kTickerCompleted);
  ASSERT_EQ(done.size(), 4u);
  // Progress counts tickers: every event's total is the 4 tickers, and the ticker_completed
  // events count them 1 to 4.
  std::vector<int64_t> counts;
  for (const auto& e : done) counts.push_back(e.completed_items.value_or(0));
  std::sort(counts.begin(), counts.end());
  EXPECT_EQ(counts, (std::vector<int64_t>{1, 2, 3, 4}));
  for (const auto& e : events) {
    if (e.total_items) {
      EXPECT_EQ(*e.total_items, 4) << EventTypeName(e.type) << " " << e.stage;
    }
  }
  EXPECT_EQ(sink_->events().back().type, EventType::kCompleted);
}

TEST_F(LeapEntryTest, AnInvertedRsiBandFailsTheRunWithAReason) {
  data_.Add("LEAP", CalmPullbackInUptrend());
  RunOutcome outcome = Run(*plugin_, {{"rsi_min", "60"}, {"rsi_max", "40"}}, {"LEAP"});
  EXPECT_EQ(outcome.state, RunState::kError);
  EXPECT_NE(outcome.message.find("rsi_min"), std::string::npos) << outcome.message;
  ExpectWellFormedStream();
  EXPECT_TRUE(sink_->results().empty());
}

TEST_F(LeapEntryTest, ACancelledRunStopsWithoutCompletingAStage) {
  data_.Add("LEAP", CalmPullbackInUptrend());
  Cancellation cancel;
  cancel.Cancel(CancelReason::kUser, "cancelled");
  RunOutcome outcome = Run(*plugin_, {}, {"LEAP", "ZZZZ"}, cancel);
  EXPECT_EQ(outcome.state, RunState::kCancelled);
  ExpectWellFormedStream();
  EXPECT_TRUE(EventsOfType(EventType::kStageCompleted).empty());
  EXPECT_TRUE(sink_->results().empty());
  EXPECT_EQ(sink_->events().back().type, EventType::kCancelled);
}

}  // namespace
}  // namespace stratrun
