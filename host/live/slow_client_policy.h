// SlowClientPolicy: what the hub does with a stream whose client does not keep up, judged
// every round from the bytes it has not yet written (StreamClient::pending_bytes()):
//   up to conflate_above_bytes          live: everything is sent;
//   past conflate_above_bytes           conflated (a live stream gets only what a batch
//                                       must keep; a stream catching up from the store is
//                                       paused until it drains);
//   past max_pending_bytes, or past
//   conflate_above_bytes for stuck_after dropped: the client is closed. It reconnects with
//                                       Last-Event-ID and replays the rest from the store,
//                                       so only the stuck connection is lost.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace stratrun {

struct SlowClientLimits {
  size_t conflate_above_bytes = 1u << 20;
  size_t max_pending_bytes = 2u << 20;
  std::chrono::steady_clock::duration stuck_after = std::chrono::seconds(30);
};

enum class ClientPace { kLive, kConflated, kDropped };

/// One stream's standing; the hub keeps one per stream and asks it every round.
class SlowClientPolicy {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  explicit SlowClientPolicy(SlowClientLimits limits) : limits_(limits) {}

  /// The stream's pace now, with `pending_bytes` unwritten.
  ClientPace Judge(size_t pending_bytes, SteadyTime now) {
    if (pending_bytes <= limits_.conflate_above_bytes) {
      backlogged_since_.reset();
      return ClientPace::kLive;
    }
    if (!backlogged_since_) backlogged_since_ = now;
    if (pending_bytes > limits_.max_pending_bytes || now >= *backlogged_since_ + limits_.stuck_after) {
      return ClientPace::kDropped;
    }
    return ClientPace::kConflated;
  }

  /// When a conflated stream is dropped if it does not drain; nullopt when it is not behind.
  std::optional<SteadyTime> drop_at() const {
    if (!backlogged_since_) return std::nullopt;
    return *backlogged_since_ + limits_.stuck_after;
  }

  /// Why Judge said kDropped, for the log.
  const char* DropReason(size_t pending_bytes) const {
    return pending_bytes > limits_.max_pending_bytes ? "" : " for too long";
  }

 private:
  SlowClientLimits limits_;
  std::optional<SteadyTime> backlogged_since_;
};

}  // namespace stratrun
