#include "http/api_server.h"

#include <exception>

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include "http/api_state.h"
#include "http/connection_guard.h"

// How the server is put together (each file's header says what it guarantees):
//   connection_guard  every connection's bytes: strict framing (request_framing), one
//                     request at a time to Pistache's parser, Connection handling
//   routes            the routing table and each endpoint (request_parsing, json_views,
//                     static_files, sse_endpoints)
//   api_state         what all of them share
namespace stratrun::http {

ApiServer::ApiServer(ApiServerOptions options, ApiServices services)
    : options_(std::move(options)), state_(std::make_shared<ApiState>(std::move(services))) {}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Start() {
  try {
    Pistache::Address address(options_.host, Pistache::Port(options_.port));
    endpoint_ = std::make_unique<Pistache::Http::Endpoint>(address);
    auto opts = Pistache::Http::Endpoint::options()
                    .threads(options_.threads)
                    // ReuseAddr: the port may be held, not listened on, by the supervisor
                    // (cli/supervisor.h).
                    .flags(Pistache::Tcp::Options::ReuseAddr)
                    // The guard frames requests of at most max_request_bytes; what it hands
                    // on (a normalised head) may be a little longer.
                    .maxRequestSize(options_.max_request_bytes + 4096)
                    .keepaliveTimeout(std::chrono::hours(24));
    endpoint_->init(opts);
    endpoint_->setHandler(Pistache::Http::make_handler<ConnectionGuard>(state_, options_.max_request_bytes));
    endpoint_->serveThreaded();
  } catch (const std::exception& e) {
    endpoint_.reset();
    return InvalidArgument("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + e.what(),
                           "port");
  }
  return Status::Ok();
}

void ApiServer::BeginShutdown(std::chrono::seconds grace) {
  if (state_->shutting_down.exchange(true)) return;
  state_->services.hub.AnnounceShutdown(grace);
}

uint16_t ApiServer::port() const { return endpoint_ ? static_cast<uint16_t>(endpoint_->getPort()) : 0; }

void ApiServer::Stop() {
  if (!endpoint_) return;
  endpoint_->shutdown();
  endpoint_.reset();
}

}  // namespace stratrun::http
