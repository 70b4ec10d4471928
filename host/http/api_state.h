// ApiState: what every part of the HTTP server shares — the services, the start time,
// whether shutdown began, the cache of finished runs and the open SSE streams. One per
// ApiServer, held by shared_ptr by every handler clone on every reactor thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include <pistache/peer.h>

#include "http/api_server.h"
#include "live/event_hub.h"
#include "store/run_store.h"

namespace stratrun::http {

class PeerStream;

/// Everything the handler clones share. Thread-safe as documented per member.
struct ApiState {
  explicit ApiState(ApiServices s) : services(std::move(s)) {}
  ApiServices services;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<bool> shutting_down{false};
  // Finished runs never change: their records are kept here so that polling a finished
  // run's status does not touch SQLite. Bounded (cleared when full).
  std::mutex finished_mutex;
  std::unordered_map<std::string, RunRecord> finished;
  static constexpr size_t kMaxFinished = 4096;
  std::mutex streams_mutex;
  // Open SSE streams by peer, so a disconnect unsubscribes them.
  std::unordered_map<const Pistache::Tcp::Peer*, std::pair<SubscriptionId, std::shared_ptr<PeerStream>>> streams;
};

}  // namespace stratrun::http
