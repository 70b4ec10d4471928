// PeerStream: one Server-Sent Events connection, written straight to its socket.
//
// Pistache's ResponseStream is not safe across threads, and its Peer::send() costs a
// mailbox hop to the reactor per write (see ../shared/notes/pistache-and-dll.md), which
// at hundreds of subscribers is what limits fan-out. So a PeerStream takes its own
// duplicate of the connection's descriptor and writes the response head and every batch
// of frames as HTTP/1.1 chunks with non-blocking send() from the EventHub's fan-out thread.
// What the socket does not take stays in an outbox (pending_bytes(), the back-pressure
// signal the hub uses to conflate or drop a slow client) and is written by Flush() in
// later rounds. The duplicate keeps the socket open until the stream is done with it, so
// Pistache closing its own descriptor can never make us write into a reused one.
#pragma once

#include <memory>
#include <string>

#include <pistache/peer.h>

#include "live/event_hub.h"

namespace stratrun::http {

/// Open() on the request's thread; everything else on the hub's fan-out thread only.
class PeerStream : public StreamClient {
 public:
  explicit PeerStream(const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  ~PeerStream() override;

  /// Takes a duplicate of the peer's descriptor, writes the response head (200,
  /// text/event-stream, chunked) and switches the peer to idle mode so that Pistache's
  /// request timeout does not cut the stream. False when the peer is gone.
  bool Open();
  bool Send(std::string text) override;
  size_t pending_bytes() const override { return outbox_.size() - written_; }
  void Flush() override;
  /// Sends the terminating chunk (waiting briefly for a reader that keeps up), then shuts
  /// the socket down.
  void Close() override;
  /// The peer this stream writes to (to match disconnect notifications).
  const Pistache::Tcp::Peer* peer_address() const { return peer_address_; }

 private:
  std::weak_ptr<Pistache::Tcp::Peer> peer_;
  const Pistache::Tcp::Peer* peer_address_;
  int fd_ = -1;            // our duplicate of the connection's descriptor
  std::string outbox_;     // bytes not yet taken by the socket start at written_
  size_t written_ = 0;
  bool broken_ = false;    // the client went away
};

}  // namespace stratrun::http
