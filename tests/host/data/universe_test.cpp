// Universes: the shipped S&P 500 list, "all", and explicit ticker lists.
#include "data/universe.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "data/synthetic_bars.h"

namespace stratrun {
namespace {

ParameterValues Values(std::vector<std::pair<std::string, std::string>> sets) {
  auto schema = ParameterSchema::Parse(
      R"([{"name":"tickers","type":"string_list","default":[]},
          {"name":"universe_source","type":"enum","values":["sp500","all"],"default":"sp500"}])");
  EXPECT_TRUE(schema.ok()) << schema.status().message();
  auto values = schema->ValidateText(sets);
  EXPECT_TRUE(values.ok()) << values.status().message();
  return *values;
}

TEST(UniverseTest, TheShippedSp500ListIsSortedUniqueAndValid) {
  const auto& tickers = Sp500Tickers();
  EXPECT_GE(tickers.size(), 500u);
  EXPECT_LE(tickers.size(), 510u);
  EXPECT_TRUE(std::is_sorted(tickers.begin(), tickers.end()));
  EXPECT_EQ(std::adjacent_find(tickers.begin(), tickers.end()), tickers.end());
  for (const auto& t : tickers) EXPECT_TRUE(IsValidTicker(t)) << t;
  for (const char* t : {"AAPL", "MSFT", "NVDA", "BRK-B", "JPM"}) {
    EXPECT_TRUE(std::binary_search(tickers.begin(), tickers.end(), t)) << t;
  }
}

TEST(UniverseTest, AnExplicitListWinsAndIsNormalised) {
  SyntheticBarSource source({.tickers = {"AAPL"}});
  auto tickers = ResolveUniverse(Values({{"tickers", "msft, aapl ,MSFT,ZZZZ"}, {"universe_source", "all"}}), source);
  ASSERT_TRUE(tickers.ok()) << tickers.status().message();
  EXPECT_EQ(*tickers, (std::vector<std::string>{"MSFT", "AAPL", "ZZZZ"}));  // unknown kept: reported per ticker
}

TEST(UniverseTest, AMalformedTickerIsAnErrorNamingTheField) {
  SyntheticBarSource source({});
  auto tickers = ResolveUniverse(Values({{"tickers", "AAPL,DROP TABLE;"}}), source);
  ASSERT_FALSE(tickers.ok());
  EXPECT_EQ(tickers.status().field(), "tickers");
  EXPECT_NE(tickers.status().message().find("DROP TABLE;"), std::string::npos);
}

TEST(UniverseTest, SourcesSp500AndAll) {
  SyntheticBarSource source({.tickers = {"AAA", "BBB"}});
  EXPECT_EQ(*ResolveUniverse(Values({}), source), Sp500Tickers());
  EXPECT_EQ(*ResolveUniverse(Values({{"universe_source", "all"}}), source), (std::vector<std::string>{"AAA", "BBB"}));
}

TEST(UniverseTest, ValidTickerSymbols) {
  for (const char* ok : {"A", "BRK-B", "BF.B", "^GSPC", "EURUSD=X", "1234567890ABCDEF"}) EXPECT_TRUE(IsValidTicker(ok)) << ok;
  for (const char* bad : {"", "aapl", "A B", "1234567890ABCDEFG", "A/B", "A;"}) EXPECT_FALSE(IsValidTicker(bad)) << bad;
}

}  // namespace
}  // namespace stratrun
