// The connection side of the SSE endpoints: turning an answered request into an open
// PeerStream subscribed to the EventHub, and forgetting it when the client goes away.
//
//   OpenRunStream(state, response, run_id, after_seq);   // GET /api/strategies/sse/{id}
//   OpenLifecycleStream(state, response);                // GET /api/events
//   ForgetStream(state, peer.get());                     // from onDisconnection
//
// Once a stream is open the connection is marked streaming (ConnectionState), so the
// connection guard hands Pistache nothing more from it, and it is remembered in
// ApiState::streams by peer until ForgetStream unsubscribes it. Validating the request
// (the run, Last-Event-ID) is the route's job, before these are called.
#pragma once

#include <cstdint>
#include <string>

#include <pistache/http.h>
#include <pistache/peer.h>

namespace stratrun::http {

struct ApiState;

/// Writes the stream's head and subscribes it to `run_id`'s events after `after_seq`.
/// Nothing more is written when the peer is already gone; the stream is closed (the
/// terminating chunk) when the hub refuses the subscription. Reactor thread.
void OpenRunStream(ApiState& state, Pistache::Http::ResponseWriter& response, const std::string& run_id,
                   uint64_t after_seq);
/// Writes the stream's head and subscribes it to every run's lifecycle. Reactor thread.
void OpenLifecycleStream(ApiState& state, Pistache::Http::ResponseWriter& response);
/// Unsubscribes the stream open on `peer`, if any. Thread-safe.
void ForgetStream(ApiState& state, const Pistache::Tcp::Peer* peer);

}  // namespace stratrun::http
