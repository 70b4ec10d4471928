// stratrun/scorecard.hpp — helpers for rule-based screeners: a Scorecard that adds each
// rule's points and records why it held or failed, and number formatting for reasons.
//
//   sdk::ResultRow row;
//   sdk::Scorecard card(row);
//   card.Rule(close > sma50, 15, "close above SMA50", "close " + sdk::Fixed(close) + " below SMA50");
//   row.score = card.score();
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

#include "stratrun/strategy.hpp"

namespace stratrun::sdk {

/// `value` with `decimals` decimals, "n/a" when it is not finite, never "-0.00".
inline std::string Fixed(double value, int decimals = 2) {
  if (!std::isfinite(value)) return "n/a";
  if (std::fabs(value) < 0.5 * std::pow(10.0, -decimals)) value = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

/// Adds a rule's points to the score when it held, and its reason either way:
/// "+ <held_text>" or "- <failed_text>". Keeps a reference to `row`.
class Scorecard {
 public:
  explicit Scorecard(ResultRow& row) : row_(row) {}
  void Rule(bool held, double points, const std::string& held_text, const std::string& failed_text) {
    if (held) score_ += points;
    row_.Because(held ? "+ " + held_text : "- " + failed_text);
  }
  double score() const { return score_; }

 private:
  ResultRow& row_;
  double score_ = 0;
};

}  // namespace stratrun::sdk
