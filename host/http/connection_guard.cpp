#include "http/connection_guard.h"

#include <sys/socket.h>

#include <exception>
#include <utility>

#include "common/logging.h"
#include "http/api_state.h"
#include "http/http_io.h"
#include "http/request_framing.h"
#include "http/request_parsing.h"
#include "http/routes.h"
#include "http/sse_endpoints.h"

namespace stratrun::http {

using Pistache::Http::Code;
using Pistache::Http::Request;
using Pistache::Http::ResponseWriter;

std::shared_ptr<ConnectionState> ConnectionOf(const Pistache::Tcp::Peer& peer) {
  return std::static_pointer_cast<ConnectionState>(peer.tryGetData(ConnectionState::kPeerData));
}

/// Pistache's side: one complete request at a time comes in through onInput (from the
/// guard) and is routed.
class RequestHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(RequestHandler)
  explicit RequestHandler(std::shared_ptr<ApiState> state) : state_(std::move(state)) {}

  void onRequest(const Request& request, ResponseWriter response) override {
    // Pistache copies the request's Connection header (or writes "Close"): say what the
    // guard will do.
    bool close = false;
    if (auto peer = response.peer(); auto connection = ConnectionOf(*peer)) close = connection->close_after;
    response.headers().remove<Pistache::Http::Header::Connection>();
    response.headers().add<Pistache::Http::Header::Connection>(close ? Pistache::Http::ConnectionControl::Close
                                                                     : Pistache::Http::ConnectionControl::KeepAlive);
    try {
      Route(*state_, request, response);
    } catch (const std::exception& e) {
      Logger("http")->error("{} {}: {}", MethodName(request.method()), Echo(request.resource(), 200), e.what());
      SendError(response, Code::Internal_Server_Error, "internal", "internal error");
    }
  }

 private:
  std::shared_ptr<ApiState> state_;
};

namespace {

// Pistache 0.0.5 declares Http::Handler::onInput private, so the guard (an Http::Handler
// itself, as Endpoint requires) cannot call its base's parser on itself: it hands each
// request to an inner RequestHandler, which must write through the reactor's transport that
// Pistache gave the guard. Tcp::Handler::transport_ has no setter outside Transport; its
// member pointer is named in an explicit instantiation, where access checks do not apply
// ([temp.spec.general]/6).
using TransportMemberPtr = Pistache::Tcp::Transport* Pistache::Tcp::Handler::*;
TransportMemberPtr TransportMember();
template <TransportMemberPtr Member>
struct ExposeTransport {
  friend TransportMemberPtr TransportMember() { return Member; }
};
template struct ExposeTransport<&Pistache::Tcp::Handler::transport_>;

}  // namespace

ConnectionGuard::ConnectionGuard(std::shared_ptr<ApiState> state, size_t max_request_bytes)
    : state_(std::move(state)), max_request_bytes_(max_request_bytes), inner_(std::make_shared<RequestHandler>(state_)) {}

ConnectionGuard::ConnectionGuard(const ConnectionGuard& other)
    : Pistache::Http::Handler(other),
      state_(other.state_),
      max_request_bytes_(other.max_request_bytes_),
      inner_(std::make_shared<RequestHandler>(state_)) {}

void ConnectionGuard::onRequest(const Request& request, ResponseWriter response) {
  inner_->onRequest(request, std::move(response));  // not reached: requests go to inner_
}

void ConnectionGuard::onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  auto connection = ConnectionOf(*peer);
  if (!connection) {
    connection = std::make_shared<ConnectionState>();
    peer->putData(ConnectionState::kPeerData, connection);
  }
  if (connection->closing || connection->streaming) return;
  if (connection->buffer.size() + len > 4 * max_request_bytes_ + (64u << 10)) {
    // Only while waiting for earlier answers can this much pile up (a request is framed,
    // or refused, as soon as it is complete): a client pipelining that far ahead is cut off.
    connection->closing = true;
    connection->buffer.clear();
    ::shutdown(peer->fd(), SHUT_RDWR);
    return;
  }
  connection->buffer.append(buffer, len);
  Drain(peer, *connection);
}

void ConnectionGuard::onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  ForgetStream(*state_, peer.get());
}

/// Hands on every complete request in the buffer, until one closes the connection,
/// becomes a stream, or must wait for earlier answers to reach the socket.
void ConnectionGuard::Drain(const std::shared_ptr<Pistache::Tcp::Peer>& peer, ConnectionState& connection) {
  while (!connection.waiting && !connection.closing && !connection.streaming) {
    size_t skip = 0;  // blank lines between requests are allowed (RFC 9112 §2.2)
    while (connection.buffer.compare(skip, 2, "\r\n") == 0) skip += 2;
    connection.buffer.erase(0, skip);
    if (connection.buffer.empty()) return;
    Framed f = FrameRequest(connection.buffer, max_request_bytes_);
    if (f.state == Framed::State::kIncomplete) return;
    if (f.state == Framed::State::kRefused) {
      // The framing is lost: answer and close. The client may still be sending.
      const std::string body = ErrorJson(f.error_code, f.message, f.field);
      const std::string text = "HTTP/1.1 " + std::to_string(static_cast<int>(f.code)) + " " +
                               Pistache::Http::codeString(f.code) +
                               "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      connection.closing = true;
      connection.buffer.clear();
      peer->send(Pistache::RawBuffer(text, text.size()));
      CloseAfterWrites(peer);
      return;
    }
    if (f.stream && connection.fed) {
      // A stream writes to the socket directly, so earlier answers still in Pistache's
      // write queue must be out first: a write of nothing resolves once they are.
      connection.waiting = true;
      std::weak_ptr<Pistache::Tcp::Peer> weak = peer;
      peer->send(Pistache::RawBuffer(std::string(), 0))
          .then(
              [this, weak](ssize_t) {
                auto p = weak.lock();
                auto c = p ? ConnectionOf(*p) : nullptr;
                if (!c) return;
                c->waiting = false;
                c->fed = false;  // every earlier answer is written
                Drain(p, *c);
              },
              [](std::exception_ptr&) {});
      return;
    }
    connection.buffer.erase(0, f.length);
    connection.fed = true;
    connection.close_after = f.close;
    Feed(f.forwarded, peer);
    if (f.close && !connection.streaming) {
      connection.closing = true;
      connection.buffer.clear();
      CloseAfterWrites(peer);
    }
  }
}

/// Pistache's own parsing and routing of one complete request (answered by inner_).
void ConnectionGuard::Feed(const std::string& request, const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  Pistache::Tcp::Handler& inner = *inner_;
  inner.*TransportMember() = transport();
  inner.onInput(request.data(), request.size(), peer);
}

/// Shuts the socket down once everything queued for it is written (Pistache then sees
/// the end of input and closes it).
void ConnectionGuard::CloseAfterWrites(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
  std::weak_ptr<Pistache::Tcp::Peer> weak = peer;
  peer->send(Pistache::RawBuffer(std::string(), 0))
      .then(
          [weak](ssize_t) {
            if (auto p = weak.lock()) ::shutdown(p->fd(), SHUT_RDWR);
          },
          [](std::exception_ptr&) {});
}

}  // namespace stratrun::http
