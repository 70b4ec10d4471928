// PeerStream: one Server-Sent Events connection, written straight to the Pistache peer.
//
// Pistache's ResponseStream is not safe across threads (see
// ../shared/notes/pistache-and-dll.md), so the response head and every batch of frames
// are written as HTTP/1.1 chunks with Tcp::Peer::send(), which only enqueues and may be
// called from any thread. Bytes handed to send() and not yet written are counted, which
// is the back-pressure signal the EventHub uses to conflate or drop a slow client.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include <pistache/peer.h>

#include "progress/event_hub.h"

namespace stratrun::http {

/// Thread-safe. Holds the peer weakly: a closed connection makes Send() return false.
class PeerStream : public StreamClient, public std::enable_shared_from_this<PeerStream> {
 public:
  explicit PeerStream(const std::shared_ptr<Pistache::Tcp::Peer>& peer);

  /// Writes the response head (200, text/event-stream, chunked) and switches the peer to
  /// idle mode so that Pistache's request timeout does not cut the stream.
  bool Open();
  bool Send(std::string text) override;
  size_t pending_bytes() const override { return pending_bytes_.load(); }
  /// Sends the terminating chunk, then shuts the socket down.
  void Close() override;
  /// The peer this stream writes to (to match disconnect notifications).
  const Pistache::Tcp::Peer* peer_address() const { return peer_address_; }

 private:
  bool Write(std::string bytes);

  std::weak_ptr<Pistache::Tcp::Peer> peer_;
  const Pistache::Tcp::Peer* peer_address_;
  std::atomic<size_t> pending_bytes_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace stratrun::http
