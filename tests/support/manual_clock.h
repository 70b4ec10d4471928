// ManualClock: a Clock that moves only when a test says so, for exact rate/ETA checks.
#pragma once

#include <atomic>
#include <chrono>

#include "common/clock.h"

namespace stratrun::testing {

class ManualClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return wall_start_ + offset(); }
  std::chrono::steady_clock::time_point Steady() const override { return steady_start_ + offset(); }
  void Advance(std::chrono::nanoseconds by) { offset_ns_ += by.count(); }

 private:
  std::chrono::nanoseconds offset() const { return std::chrono::nanoseconds(offset_ns_.load()); }

  const std::chrono::system_clock::time_point wall_start_ = std::chrono::system_clock::now();
  const std::chrono::steady_clock::time_point steady_start_ = std::chrono::steady_clock::now();
  std::atomic<int64_t> offset_ns_{0};
};

}  // namespace stratrun::testing
