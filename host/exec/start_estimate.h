// EstimateStarts: the list-scheduling model behind every estimated start time (Executor's
// queue on one machine, ClusterScheduler's over a cluster). Each slot frees up at a known
// time (or an unknown one); queued runs, in start order, each take the slot that frees up
// first and hold it for their expected duration.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

namespace stratrun {

using EstimateTime = std::chrono::system_clock::time_point;
using EstimateDuration = std::chrono::system_clock::duration;

/// `slots`: when each slot frees up (nullopt: unknown — its run's strategy has no history).
/// `durations`: each queued run's expected duration, in start order (nullopt: unknown).
/// Returns each queued run's estimated start: nullopt when no slot has a known free time.
inline std::vector<std::optional<EstimateTime>> EstimateStarts(std::vector<std::optional<EstimateTime>> slots,
                                                               const std::vector<std::optional<EstimateDuration>>& durations) {
  std::vector<std::optional<EstimateTime>> starts;
  starts.reserve(durations.size());
  for (const auto& duration : durations) {
    auto slot = std::min_element(slots.begin(), slots.end(), [](const auto& a, const auto& b) {
      return a && (!b || *a < *b);  // known before unknown
    });
    if (slot == slots.end() || !*slot) {
      starts.emplace_back(std::nullopt);
      continue;
    }
    starts.emplace_back(**slot);
    *slot = duration ? std::optional(**slot + *duration) : std::nullopt;
  }
  return starts;
}

}  // namespace stratrun
