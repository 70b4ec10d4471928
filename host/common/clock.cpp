#include "common/clock.h"

namespace stratrun {
namespace {

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point Steady() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

const Clock& Clock::System() {
  // Never destroyed: threads still running while the process exits (a plugin calling
  // exit()) keep reading the clock after static destructors have run.
  static const SystemClock* const clock = new SystemClock;
  return *clock;
}

}  // namespace stratrun
