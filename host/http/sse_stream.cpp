#include "http/sse_stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

namespace stratrun::http {

PeerStream::PeerStream(const std::shared_ptr<Pistache::Tcp::Peer>& peer) : peer_(peer), peer_address_(peer.get()) {}

PeerStream::~PeerStream() {
  if (fd_ >= 0) ::close(fd_);
}

bool PeerStream::Open() {
  auto peer = peer_.lock();
  if (!peer) return false;
  fd_ = ::fcntl(peer->fd(), F_DUPFD_CLOEXEC, 0);
  if (fd_ < 0) return false;
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  peer->setIdle(true);
  outbox_ =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: text/event-stream\r\n"
      "Cache-Control: no-cache\r\n"
      "Connection: keep-alive\r\n"
      "X-Accel-Buffering: no\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  Flush();
  return !broken_;
}

bool PeerStream::Send(std::string text) {
  if (broken_ || fd_ < 0) return false;
  if (text.empty()) return true;
  if (written_ > 0 && written_ == outbox_.size()) {
    outbox_.clear();
    written_ = 0;
  }
  char size_line[24];
  const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", text.size());
  outbox_.append(size_line, static_cast<size_t>(n)).append(text).append("\r\n");
  Flush();
  return !broken_;
}

void PeerStream::Flush() {
  while (!broken_ && fd_ >= 0 && written_ < outbox_.size()) {
    const ssize_t n = ::send(fd_, outbox_.data() + written_, outbox_.size() - written_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      written_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      break;  // the socket is full: the rest goes in a later round
    } else {
      broken_ = true;  // reset or closed by the client
    }
  }
  if (written_ == outbox_.size()) {
    outbox_.clear();
    written_ = 0;
  } else if (written_ > (1u << 20)) {
    outbox_.erase(0, written_);
    written_ = 0;
  }
}

void PeerStream::Close() {
  if (fd_ < 0) return;
  if (!broken_) {
    // A reader that keeps up gets the rest and the terminating chunk; one that is far
    // behind (being dropped) does not hold the fan-out thread: it reconnects and replays.
    const bool keeping_up = pending_bytes() < (256u << 10);
    outbox_.append("0\r\n\r\n");
    Flush();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (keeping_up && !broken_ && pending_bytes() > 0 && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 20);
      Flush();
    }
  }
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  fd_ = -1;
  broken_ = true;
}

}  // namespace stratrun::http
