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
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "data/bar_series.h"
#include "exec/executor.h"
#include "plugins/plugin_registry.h"
#include "progress/event_hub.h"
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
  Executor& executor;
  EventHub& hub;
  std::filesystem::path web_root;  // the dashboard's files
  std::string version;
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
  /// Stops accepting and serving. Close SSE streams first (EventHub::Shutdown).
  void Stop();

 private:
  ApiServerOptions options_;
  std::shared_ptr<struct ApiState> state_;
  std::unique_ptr<Pistache::Http::Endpoint> endpoint_;
};

}  // namespace stratrun::http
