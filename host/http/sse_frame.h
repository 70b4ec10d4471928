// The Server-Sent Events wire format of every stream (the hub's FrameFormat):
//   event  "id: <seq>\nevent: <type>\ndata: <json>\n\n"
//   message "event: <type>\ndata: <json>\n\n"
//   retry  "retry: <ms>\n\n"      heartbeat ": heartbeat\n\n"
// `json` is one line (ToJson never writes a newline), so a frame has one data line.
#pragma once

#include "live/frame_format.h"

namespace stratrun::http {

/// The one SSE format. Thread-safe; lives for the whole program.
const FrameFormat& SseFrames();

}  // namespace stratrun::http
