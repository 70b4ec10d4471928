// A minimal blocking HTTP/1.1 client for the tests: one request per connection, and an
// incremental reader of Server-Sent Events (chunked transfer decoded by hand), so the
// tests talk to the server exactly as a browser or curl would, over a real socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace stratrun::testing {

struct HttpResponse {
  int status = 0;  // 0: no response (connection failed)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

/// Sends one request to 127.0.0.1:`port` and reads the whole answer.
HttpResponse HttpRequest(uint16_t port, const std::string& method, const std::string& target,
                         const std::string& body = "", const std::map<std::string, std::string>& headers = {});
inline HttpResponse HttpGet(uint16_t port, const std::string& target) { return HttpRequest(port, "GET", target); }
inline HttpResponse HttpPost(uint16_t port, const std::string& target, const std::string& body) {
  return HttpRequest(port, "POST", target, body, {{"Content-Type", "application/json"}});
}

/// What a raw exchange got back.
struct RawReply {
  std::string bytes;              // everything the server sent
  bool closed_by_server = false;  // the server ended the connection (EOF) before `timeout`
  /// The responses in `bytes`, in order (Content-Length framed; a chunked one is whole).
  std::vector<HttpResponse> Responses() const;
};

/// Sends `request` exactly as given (one write) and reads until the server closes the
/// connection, `timeout` passes, or (when not 0) `stop_after_responses` whole responses
/// have arrived.
RawReply RawExchange(uint16_t port, const std::string& request, size_t stop_after_responses = 0,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct SseEvent {
  std::string id, event, data;
};

/// An open SSE stream.
class SseStream {
 public:
  /// Connects and sends GET `target` (with Last-Event-ID when given); status() tells the answer.
  SseStream(uint16_t port, const std::string& target, std::optional<std::string> last_event_id = std::nullopt);
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  int status() const { return status_; }
  const std::map<std::string, std::string>& headers() const { return headers_; }
  /// The next event (comments and retry lines are skipped; see retry()); nullopt on timeout
  /// or when the stream ended (then ended() is true).
  std::optional<SseEvent> Next(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  /// Every event until the stream ends (or `timeout` passes).
  std::vector<SseEvent> ReadToEnd(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  bool ended() const { return ended_; }
  /// The value of the last `retry:` field seen.
  std::optional<int> retry() const { return retry_; }
  /// Comment lines seen (": heartbeat").
  int comments() const { return comments_; }
  /// Closes the connection abruptly.
  void Drop();

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline);  // reads more decoded body text
  int fd_ = -1;
  int status_ = 0;
  std::map<std::string, std::string> headers_;
  std::string raw_;   // undecoded bytes from the socket
  std::string text_;  // decoded body text not yet parsed into events
  bool chunked_ = false;
  bool ended_ = false;
  std::optional<int> retry_;
  int comments_ = 0;
};

}  // namespace stratrun::testing
