// ConnectionGuard: the Pistache handler every connection's bytes pass first.
//
//   endpoint->setHandler(Pistache::Http::make_handler<ConnectionGuard>(state, max_request_bytes));
//
// Pistache 0.0.5's own parser drops a pipelined second request, keeps connections open
// after "Connection: close" and HTTP/1.0, and answers a bad Content-Length with C++
// exception text. So the guard buffers each connection's input, frames it strictly
// (FrameRequest, request_framing.h) and guarantees:
// - requests are handed to Pistache's parser one complete request at a time, in order,
//   and answered in order (an SSE request waits until the answers before it are written);
// - a refused request is answered with the JSON error and a "Connection: close", and the
//   connection is shut down once that is written; input after it is ignored;
// - after a request that asks to close (or HTTP/1.0 without keep-alive) the answer says
//   "Connection: close" and the connection is shut down once it is written;
// - a client pipelining more than 4 × max_request_bytes + 64 KiB ahead of its answers is
//   cut off;
// - once a connection carries an SSE stream its input is ignored, and its disconnect
//   unsubscribes the stream (ForgetStream).
// Each request is then routed (Route, routes.h); a std::exception from a route is
// answered with a JSON 500 "internal" and logged.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <pistache/http.h>
#include <pistache/peer.h>

namespace stratrun::http {

struct ApiState;
class RequestHandler;

/// What the guard knows of one connection, kept in the peer's data. Reactor thread only
/// (a connection's input, the callbacks of its writes and its requests all run on the
/// reactor thread that owns it).
struct ConnectionState {
  static constexpr const char* kPeerData = "stratrun.connection";
  std::string buffer;        // bytes received, not yet handed to Pistache
  bool fed = false;          // a request was handed on (its answer may still be queued)
  bool waiting = false;      // for earlier answers to be written before the next request
  bool closing = false;      // the connection ends after what was answered: input is ignored
  bool streaming = false;    // an SSE stream took the connection over: input is ignored
  bool close_after = false;  // the request being handled asked to close the connection
};

/// The guard's state of `peer`'s connection; null before its first input.
std::shared_ptr<ConnectionState> ConnectionOf(const Pistache::Tcp::Peer& peer);

/// What Pistache's transport calls: frames each connection's bytes (FrameRequest) and
/// hands them to an inner RequestHandler one request at a time, in order. Each reactor
/// thread gets a clone, with an inner handler of its own.
class ConnectionGuard : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(ConnectionGuard)
  ConnectionGuard(std::shared_ptr<ApiState> state, size_t max_request_bytes);
  ConnectionGuard(const ConnectionGuard& other);

  void onRequest(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override;
  void onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;

 private:
  void Drain(const std::shared_ptr<Pistache::Tcp::Peer>& peer, ConnectionState& connection);
  void Feed(const std::string& request, const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  static void CloseAfterWrites(const std::shared_ptr<Pistache::Tcp::Peer>& peer);

  std::shared_ptr<ApiState> state_;
  size_t max_request_bytes_;
  std::shared_ptr<RequestHandler> inner_;
};

}  // namespace stratrun::http
