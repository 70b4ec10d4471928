// FrameRequest: finds the one HTTP/1.x request at the front of a connection's bytes,
// strictly (RFC 9112), and says what to hand Pistache or why the connection is refused.
//
//   Framed f = FrameRequest(buffer, max_request_bytes);
//   if (f.state == Framed::State::kComplete) { feed(f.forwarded); buffer.erase(0, f.length); }
//   else if (f.state == Framed::State::kRefused) { answer f.code with ErrorJson(f.error_code, …); close; }
//   // kIncomplete: wait for more bytes
//
// A pure function of the bytes (no socket, no peer), so it is tested on its own
// (tests/host/http/request_framing_test.cpp). What it guarantees:
// - kComplete only for a whole request: a request line of a known method, an origin-form
//   target and HTTP/1.0 or 1.1; header lines "name: value"; a body of Content-Length
//   bytes. `length` covers exactly that request, so the bytes after it (a pipelined next
//   request) are left for the next call.
// - kRefused, with the JSON error to answer, for anything else it can already tell:
//   431 for a head over 16 KiB; 400 for a malformed request line, target, header line or
//   Content-Length (not digits, or conflicting); 413 when Content-Length or the whole
//   request exceeds max_bytes; 411 for any Transfer-Encoding; 501 for an unknown method;
//   505 for another HTTP version. Once refused, the connection's framing is lost.
// - `forwarded` carries the request line, the headers Pistache would not parse into typed
//   ones (their parsers throw on odd values and the routes read none of them; cookies
//   are dropped too), a normalised Content-Length, and the body.
// Blank lines before a request (allowed between requests) are the caller's to skip.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <pistache/http_defs.h>

namespace stratrun::http {

/// One request found at the front of a connection's buffer.
struct Framed {
  enum class State { kIncomplete, kComplete, kRefused } state = State::kIncomplete;
  size_t length = 0;      // of the request in the buffer, head and body
  std::string forwarded;  // what Pistache gets: the request line, safe headers, body
  bool close = false;     // the client asked for the connection to end after the answer
  bool stream = false;    // an SSE endpoint (its answer is written outside Pistache's queue)
  // kRefused:
  Pistache::Http::Code code = Pistache::Http::Code::Bad_Request;
  std::string error_code, message, field;
};

/// Frames the request at the front of `buffer` (see the overview); `max_bytes` caps the
/// whole request, head and body. `close` is true for "Connection: close", and for
/// HTTP/1.0 without "Connection: keep-alive". `stream` is true for a GET of /api/events or
/// /api/strategies/sse/…. Thread-safe (no shared state).
Framed FrameRequest(std::string_view buffer, size_t max_bytes);

}  // namespace stratrun::http
