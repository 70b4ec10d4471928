#include "http/sse_stream.h"

#include <sys/socket.h>

#include <cstdio>

#include <pistache/async.h>
#include <pistache/os.h>

namespace stratrun::http {

PeerStream::PeerStream(const std::shared_ptr<Pistache::Tcp::Peer>& peer) : peer_(peer), peer_address_(peer.get()) {}

bool PeerStream::Open() {
  auto peer = peer_.lock();
  if (!peer) return false;
  peer->setIdle(true);
  return Write(
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "Connection: keep-alive\r\n"
      "X-Accel-Buffering: no\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
}

bool PeerStream::Send(std::string text) {
  if (text.empty()) return !closed_;
  char size_line[24];
  const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", text.size());
  std::string chunk;
  chunk.reserve(static_cast<size_t>(n) + text.size() + 2);
  chunk.append(size_line, static_cast<size_t>(n)).append(text).append("\r\n");
  return Write(std::move(chunk));
}

bool PeerStream::Write(std::string bytes) {
  if (closed_) return false;
  auto peer = peer_.lock();
  if (!peer) {
    closed_ = true;
    return false;
  }
  const size_t size = bytes.size();
  pending_bytes_ += size;
  auto self = weak_from_this();
  auto done = [self, size](ssize_t) {
    if (auto stream = self.lock()) stream->pending_bytes_ -= size;
  };
  auto failed = [self, size](std::exception_ptr) {
    if (auto stream = self.lock()) {
      stream->pending_bytes_ -= size;
      stream->closed_ = true;
    }
  };
  peer->send(Pistache::RawBuffer(std::move(bytes), size)).then(done, failed);
  return true;
}

void PeerStream::Close() {
  if (closed_) return;
  auto peer = peer_.lock();
  if (!peer) {
    closed_ = true;
    return;
  }
  const size_t size = 5;
  pending_bytes_ += size;
  std::weak_ptr<Pistache::Tcp::Peer> weak_peer = peer;
  auto shut = [weak_peer](ssize_t) {
    if (auto p = weak_peer.lock()) ::shutdown(p->fd(), SHUT_RDWR);
  };
  auto failed = [weak_peer](std::exception_ptr) {
    if (auto p = weak_peer.lock()) ::shutdown(p->fd(), SHUT_RDWR);
  };
  closed_ = true;
  peer->send(Pistache::RawBuffer(std::string("0\r\n\r\n"), size)).then(shut, failed);
}

}  // namespace stratrun::http
