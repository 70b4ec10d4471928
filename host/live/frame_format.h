// FrameFormat: how the hub writes what it streams. The hub decides what each stream gets
// and when; the transport says how it looks on the wire (http/sse_frame.h: Server-Sent
// Events). The hub formats each event once, for every stream that gets it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace stratrun {

class FrameFormat {
 public:
  virtual ~FrameFormat() = default;
  /// A run's event: `seq` is its id (a client resumes after it), `type` its event type,
  /// `json` its one-line JSON.
  virtual std::string Event(uint64_t seq, std::string_view type, std::string_view json) const = 0;
  /// A message without an id (lifecycle frames: a reconnecting client gets a fresh snapshot).
  virtual std::string Message(std::string_view type, std::string_view json) const = 0;
  /// How long a client should wait before reconnecting; the first thing every stream gets.
  virtual std::string RetryHint(std::chrono::milliseconds delay) const = 0;
  /// Says nothing; keeps a quiet connection open.
  virtual std::string Heartbeat() const = 0;
};

}  // namespace stratrun
