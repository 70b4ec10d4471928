// Clock: where the host's components read the time, so that a test can set it. Rates,
// ETAs and timestamps are computed from a Clock; Clock::System() is the real one.
// Waiting (timeouts, condition variables) always uses the real steady clock.
#pragma once

#include <chrono>

namespace stratrun {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Wall-clock time: event timestamps, created/started/finished times.
  virtual std::chrono::system_clock::time_point Now() const = 0;
  /// Monotonic time: rates, elapsed times, estimates.
  virtual std::chrono::steady_clock::time_point Steady() const = 0;

  /// The real clocks. Thread-safe; never destroyed, so threads still running at exit may use it.
  static const Clock& System();
};

}  // namespace stratrun
