// `serve`: the execution service — the HTTP API, SSE streams and the dashboard.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/supervisor.h"
#include "cluster/cluster_feed.h"
#include "cluster/cluster_scheduler.h"
#include "cluster/instance_lease.h"
#include "common/process_owner.h"
#include "common/logging.h"
#include "exec/executor.h"
#include "exec/recovery.h"
#include "http/api_server.h"
#include "http/sse_frame.h"
#include "live/event_hub.h"
#include "plugins/plugin_watcher.h"

namespace stratrun {
namespace fs = std::filesystem;
namespace {

/// A positive integer from the environment, or nullopt (with a warning when malformed).
std::optional<int64_t> EnvInteger(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (*end != '\0' || value <= 0) {
    std::fprintf(stderr, "stratrun: ignoring %s=%s (expected a positive integer)\n", name, text);
    return std::nullopt;
  }
  return value;
}

fs::path WebRoot(const fs::path& explicit_root) {
  if (!explicit_root.empty()) return explicit_root;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path installed = exe.parent_path() / ".." / "share" / "stratrun" / "web";
  if (fs::exists(installed / "index.html", ec)) return installed.lexically_normal();
  return STRATRUN_SOURCE_WEB_DIR;
}

/// --instance-name, else the host name.
std::string InstanceName(const std::string& explicit_name) {
  if (!explicit_name.empty()) return explicit_name;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "stratrun";
  return host;
}

/// Cluster mode (a run log instances share): this instance's lease, the shared queue's
/// scheduler and what it hears from the others.
struct ClusterNode {
  ClusterNode(const ServeOptions& options, RunStore& store, ClusterStore& cluster, Executor& executor,
              PluginRegistry& registry, BarSource& data, EventHub& hub)
      : self{.id = ThisProcessOwner(),
             .name = InstanceName(options.instance_name),
             .max_concurrent = executor.options().max_concurrent},
        scheduler({.self = self,
                   .queue_capacity = executor.options().queue_capacity,
                   .lease_timeout = std::chrono::seconds(options.lease_timeout_seconds.value_or(kDefaultLeaseTimeoutSeconds))},
                  store, cluster, executor, [&registry] { return registry.catalog(); }, data, hub),
        lease({.self = self, .lease_timeout = std::chrono::seconds(options.lease_timeout_seconds.value_or(kDefaultLeaseTimeoutSeconds))}, store, cluster,
              executor, hub),
        feed(self.id, store, cluster, hub, executor, scheduler) {}

  Status Start() {
    if (Status s = lease.Start(); !s.ok()) return s;
    if (Status s = feed.Start(); !s.ok()) return s;
    scheduler.Wake();  // runs may be waiting already
    return Status::Ok();
  }
  /// Stops claiming runs; the lease goes once the executor has finished (Stop()).
  void StopClaiming() { scheduler.Shutdown(); }
  void Stop() {
    scheduler.Shutdown();
    feed.Stop();
    lease.Stop();
  }

  InstanceInfo self;
  ClusterScheduler scheduler;
  InstanceLease lease;
  ClusterFeed feed;
};

}  // namespace

void ApplyServeEnvironment(ServeOptions& options) {
  if (!options.max_concurrent) {
    if (auto v = EnvInteger("MAX_CONCURRENT_EXECUTIONS")) options.max_concurrent = static_cast<unsigned>(*v);
  }
  if (!options.queue_size) {
    if (auto v = EnvInteger("EXECUTION_QUEUE_SIZE")) options.queue_size = static_cast<size_t>(*v);
  }
  if (!options.timeout_seconds) {
    if (auto v = EnvInteger("EXECUTION_TIMEOUT")) options.timeout_seconds = *v;
  }
  if (!options.lease_timeout_seconds) {
    if (auto v = EnvInteger("STRATRUN_LEASE_TIMEOUT")) options.lease_timeout_seconds = static_cast<int>(std::min<int64_t>(*v, 3600));
  }
  if (!options.sse_timeout_seconds) {
    if (auto v = EnvInteger("SSE_TIMEOUT")) options.sse_timeout_seconds = *v;
  }
}

int ServeCommand(const PluginOptions& plugins, ServeOptions options) {
  ApplyServeEnvironment(options);
  if (options.restart_on_crash) {
    if (auto exit_code = Supervise(options.host, options.port)) return *exit_code;  // the supervisor is done
  }
  auto data = OpenMarketData(options.data_dir);
  if (!data) {
    std::fprintf(stderr, "stratrun: %s\n", data.status().message().c_str());
    return ServerExit(kExitUsage);
  }
  // Process isolation (the default): plugins are described and run in worker processes,
  // and a pool of idle workers keeps starts fast.
  options.isolation.grace = std::chrono::seconds(options.grace_seconds);
  const unsigned slots = options.max_concurrent.value_or(ExecutorOptions{}.max_concurrent);
  auto isolation = MakeIsolation(options.isolation, data->dir, std::clamp(slots, 1u, 4u));
  auto registry = MakeRegistry(plugins, isolation ? isolation->Loader() : PluginLoadFn{});
  auto catalog = ScanPlugins(registry);
  auto store = OpenRunStore(options.db);
  if (!store) {
    std::fprintf(stderr, "stratrun: %s\n", store.status().message().c_str());
    return ServerExit(kExitUsage);
  }

  // Block SIGINT/SIGTERM before any thread starts, so that only the wait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  EventHubOptions hub_options;
  if (options.sse_timeout_seconds) hub_options.max_stream_lifetime = std::chrono::seconds(*options.sse_timeout_seconds);
  EventHub hub(**store, http::SseFrames(), hub_options);
  ExecutorOptions executor_options;
  if (options.max_concurrent) executor_options.max_concurrent = *options.max_concurrent;
  if (options.queue_size) executor_options.queue_capacity = *options.queue_size;
  if (options.timeout_seconds) executor_options.default_timeout = std::chrono::seconds(*options.timeout_seconds);
  if (isolation) executor_options.runner = &isolation->runner();
  Executor executor(executor_options, **store, *data->bars, hub, hub);
  std::optional<ClusterNode> cluster;
  if (ClusterStore* shared = (*store)->cluster()) {
    cluster.emplace(options, **store, *shared, executor, registry, *data->bars, hub);
    if (Status joined = cluster->Start(); !joined.ok()) {
      std::fprintf(stderr, "stratrun: cannot join the cluster: %s\n", joined.message().c_str());
      cluster->Stop();
      executor.Shutdown(std::chrono::milliseconds(0));
      return ServerExit(kExitUsage);
    }
  }
  RunScheduler& scheduler = cluster ? static_cast<RunScheduler&>(cluster->scheduler) : executor;
  const RecoveryReport recovered = RecoverRuns(**store, *catalog, *data->bars, executor);
  if (!recovered.interrupted.empty() || !recovered.requeued.empty() || !recovered.failed.empty()) {
    std::fprintf(stderr, "recovered after restart: %zu interrupted, %zu requeued, %zu could not run\n",
                 recovered.interrupted.size(), recovered.requeued.size(), recovered.failed.size());
  }
  PluginWatcher watcher(registry, registry.plugin_dirs());

  http::ApiServer server({.host = options.host, .port = options.port},
                         {.registry = registry, .store = **store, .data = *data->bars, .executor = scheduler,
                          .hub = hub, .web_root = WebRoot(options.web_root), .version = STRATRUN_VERSION,
                          .market_data_synthetic = data->synthetic, .market_data_dir = data->dir});
  if (Status started = server.Start(); !started.ok()) {
    std::fprintf(stderr, "stratrun: %s\n", started.message().c_str());
    if (cluster) cluster->Stop();
    executor.Shutdown(std::chrono::milliseconds(0));
    return ServerExit(kExitUsage);
  }
  std::printf("stratrun %s: %zu strategies, %zu rejected; data %s%s; run log %s\n", STRATRUN_VERSION,
              catalog->plugins.size(), catalog->rejected.size(), data->dir.c_str(), data->synthetic ? " (SYNTHETIC sample)" : "",
              RunLogPath(options.db)->c_str());
  for (const auto& rejected : catalog->rejected) {
    std::fprintf(stderr, "stratrun: rejected %s: %s\n", rejected.file.c_str(), rejected.reason.c_str());
  }
  if (cluster) {
    std::printf("cluster: instance %s (%s), lease timeout %d s\n", cluster->self.name.c_str(), cluster->self.id.c_str(),
                options.lease_timeout_seconds.value_or(kDefaultLeaseTimeoutSeconds));
  }
  std::printf("isolation: %s\n", isolation ? "each run in its own worker process" : "none (plugins run in this process)");
  std::printf("listening on http://%s:%u\n", options.host.c_str(), server.port());
  std::fflush(stdout);
  NotifySupervisorServing();

  // Wait for SIGINT or SIGTERM. Meanwhile, every few seconds, end the runs that another
  // process sharing this run log (a CLI run) left behind when it died, so that history,
  // the queue view and every stream see how they ended.
  constexpr timespec kOrphanSweepInterval{.tv_sec = 5, .tv_nsec = 0};
  int received = 0;
  while ((received = sigtimedwait(&signals, nullptr, &kOrphanSweepInterval)) < 0) EndOrphanedRuns(**store, &hub);
  std::fprintf(stderr, "stratrun: %s received; shutting down (grace %lld s)\n", received == SIGINT ? "SIGINT" : "SIGTERM",
               static_cast<long long>(options.grace_seconds));
  // A second signal while shutting down ends the process at once; runs still running are
  // found `interrupted` by the next start.
  std::thread([signals] {
    sigset_t again = signals;
    int second = 0;
    while (sigwait(&again, &second) != 0) {
    }
    std::fprintf(stderr, "stratrun: second signal; exiting now without waiting for runs\n");
    std::_Exit(ServerExit(kExitCancelled));
  }).detach();
  // Finish or cancel running runs (queued ones stay queued for the next start), close every
  // stream cleanly, then stop serving. The run log is durable once each run's sink is done.
  server.BeginShutdown(std::chrono::seconds(options.grace_seconds));  // health and lifecycle streams say so
  if (cluster) cluster->StopClaiming();
  executor.Shutdown(std::chrono::seconds(options.grace_seconds));
  if (cluster) cluster->Stop();
  hub.Shutdown();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the terminating chunks go out
  server.Stop();
  std::fprintf(stderr, "stratrun: stopped\n");
  return ServerExit(kExitOk);  // deliberate: the supervisor must not take it for a plugin's exit(0)
}

}  // namespace stratrun
