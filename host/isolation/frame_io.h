// Length-prefixed frames on a stream socket: a u32 byte count, then the bytes. How the
// host sends a worker its job and a describing worker sends back what it found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stratrun {

/// Frames larger than this are refused by the reader.
inline constexpr uint32_t kMaxFrameBytes = uint32_t{64} << 20;

/// Writes one frame (blocking; retries on EINTR). An error when the peer is gone.
Status WriteFrame(int fd, std::string_view bytes);
/// Reads one frame (blocking). NotFound at a clean EOF before any byte.
Result<std::string> ReadFrame(int fd);
/// The frame at the start of `buffer` (bytes read so far), or nullopt when it is not whole.
std::optional<std::string_view> FrameIn(std::string_view buffer);

}  // namespace stratrun
