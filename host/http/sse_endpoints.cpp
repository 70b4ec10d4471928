#include "http/sse_endpoints.h"

#include <memory>
#include <mutex>
#include <utility>

#include "http/api_state.h"
#include "http/connection_guard.h"
#include "http/sse_stream.h"

namespace stratrun::http {
namespace {

/// The connection now carries a stream: the guard hands Pistache nothing more from it.
void MarkStreaming(Pistache::Http::ResponseWriter& response) {
  if (auto connection = ConnectionOf(*response.peer())) connection->streaming = true;
}

void Remember(ApiState& s, const std::shared_ptr<PeerStream>& stream, SubscriptionId id) {
  std::lock_guard lock(s.streams_mutex);
  s.streams[stream->peer_address()] = {id, stream};
}

}  // namespace

void OpenRunStream(ApiState& state, Pistache::Http::ResponseWriter& response, const std::string& run_id,
                   uint64_t after_seq) {
  auto stream = std::make_shared<PeerStream>(response.peer());
  if (!stream->Open()) return;
  MarkStreaming(response);
  auto id = state.services.hub.SubscribeRun(run_id, after_seq, stream);
  if (!id) {
    stream->Close();
    return;
  }
  Remember(state, stream, *id);
}

void OpenLifecycleStream(ApiState& state, Pistache::Http::ResponseWriter& response) {
  auto stream = std::make_shared<PeerStream>(response.peer());
  if (!stream->Open()) return;
  MarkStreaming(response);
  Remember(state, stream, state.services.hub.SubscribeAll(stream));
}

void ForgetStream(ApiState& state, const Pistache::Tcp::Peer* peer) {
  std::pair<SubscriptionId, std::shared_ptr<PeerStream>> stream;
  {
    std::lock_guard lock(state.streams_mutex);
    auto it = state.streams.find(peer);
    if (it == state.streams.end()) return;
    stream = std::move(it->second);
    state.streams.erase(it);
  }
  state.services.hub.Unsubscribe(stream.first);
}

}  // namespace stratrun::http
