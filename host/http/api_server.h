// ApiServer: the HTTP API of DESIGN.md, the SSE streams and the dashboard, over Pistache.
//
//   ApiServer server({.host = "127.0.0.1", .port = 8080}, services);
//   if (Status s = server.Start(); !s.ok()) …;          // listening on server.port()
//   …
//   server.Stop();                                      // after the hub closed every stream
//
// Routing is our own (exact methods per path, 405 with Allow for the others) rather than
// Pistache's Rest::Router, whose 0.0.5 version races on unregistered methods. Requests are
// handled on Pistache's reactor threads and never wait on a running plugin.
//
// Framing is ours too: Pistache 0.0.5's parser drops a pipelined second request, keeps
// connections open after "Connection: close" and HTTP/1.0, and answers a bad
// Content-Length with C++ exception text. So every connection's bytes pass a guard first,
// which checks the request line and headers strictly (a JSON error and a close for what
// it refuses), hands Pistache one complete request at a time, answers pipelined requests
// in order, and closes the connection after a response that says so.
//
// A `{run_id}` in a path is the whole id or any unique prefix of it (the dashboard shows 8
// characters): 404 when none matches, 400 "ambiguous_run_id" naming the matches when
// several do. Answers carry the whole id.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "data/bar_series.h"
#include "exec/run_scheduler.h"
#include "plugins/plugin_registry.h"
#include "live/event_hub.h"
#include "store/run_store.h"

namespace Pistache::Http {
class Endpoint;
}

namespace stratrun::http {

struct ApiServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (see port())
  int threads = 2;
  size_t max_request_bytes = 64 * 1024;
};

/// What the routes work with. Everything must outlive the server.
struct ApiServices {
  PluginRegistry& registry;
  RunStore& store;
  BarSource& data;
  RunScheduler& executor;  // the Executor, or on a cluster the ClusterScheduler
  EventHub& hub;
  std::filesystem::path web_root;  // the dashboard's files
  std::string version;
  bool market_data_synthetic = false;   // /api/health "market_data": the generated sample, not real prices
  std::filesystem::path market_data_dir;
};

class ApiServer {
 public:
  ApiServer(ApiServerOptions options, ApiServices services);
  ~ApiServer();

  /// Binds and starts serving on background threads. InvalidArgument when the address
  /// cannot be bound (the message says why).
  Status Start();
  /// The bound port (useful with port 0).
  uint16_t port() const;
  /// The server is going down (SIGTERM): from now on /api/health says "shutting_down" and
  /// every lifecycle stream (now open or opened later) gets an `event: server` frame with
  /// {"state":"shutting_down","grace_seconds":N}. It keeps serving until Stop(). Idempotent.
  void BeginShutdown(std::chrono::seconds grace);
  /// Stops accepting and serving. Close SSE streams first (EventHub::Shutdown).
  void Stop();

 private:
  ApiServerOptions options_;
  std::shared_ptr<struct ApiState> state_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

}  // namespace stratrun::http
