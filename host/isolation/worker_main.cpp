#include "isolation/worker_main.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <unistd.h>

#include "common/logging.h"
#include "data/bar_cache.h"
#include "data/data_folder.h"
#include "exec/plugin_call.h"
#include "isolation/frame_io.h"
#include "isolation/shared_ring.h"
#include "isolation/worker_discovery.h"
#include "isolation/worker_limits.h"
#include "isolation/worker_wire.h"
#include "plugins/plugin_loader.h"

namespace stratrun {
namespace {

constexpr int kControlFd = 3, kMemFd = 4, kDataFd = 5, kSpaceFd = 6;
constexpr int kUsageExit = 64, kSetupExit = 70;

struct WorkerArgs {
  bool serve = false;
  std::string describe, file, sha256, abi;
  pid_t parent = 0;
  WorkerLimits limits;
};

bool ParseArgs(int argc, char** argv, WorkerArgs& args) {
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--serve") {
      args.serve = true;
    } else if (arg == "--describe" && (v = value())) {
      args.describe = v;
    } else if (arg == "--file" && (v = value())) {
      args.file = v;
    } else if (arg == "--sha256" && (v = value())) {
      args.sha256 = v;
    } else if (arg == "--abi" && (v = value())) {
      args.abi = v;
    } else if (arg == "--parent" && (v = value())) {
      args.parent = static_cast<pid_t>(std::atoll(v));
    } else if (arg == "--memory-mb" && (v = value())) {
      args.limits.memory_mb = std::strtoull(v, nullptr, 10);
    } else if (arg == "--sandbox" && (v = value()) && std::string_view(v) == "no-network") {
      args.limits.deny_network = true;
    } else {
      return false;
    }
  }
  return args.parent > 0 && (args.serve != !args.describe.empty());
}

SharedRing* g_ring = nullptr;  // for the out-of-memory handler

/// An allocation failed under the memory limit: say so where the host looks, and stop.
void OutOfMemory() {
  if (g_ring != nullptr) g_ring->header().out_of_memory.store(1);
  static const char message[] = "stratrun worker: out of memory (--worker-memory)\n";
  (void)!::write(STDERR_FILENO, message, sizeof message - 1);
  ::_exit(kWorkerOutOfMemoryExit);
}

/// The plugin's calls, into the ring (one producer: calls are serialised here).
class RingChannel : public RunChannel {
 public:
  explicit RingChannel(SharedRing& ring) : ring_(ring) {}
  void Emit(ProgressEvent event) override { Send(WorkerMessage(std::move(event))); }
  void Report(ResultRow row) override { Send(WorkerMessage(std::move(row))); }
  bool Cancelled() const override { return ring_.header().cancel_reason.load(std::memory_order_relaxed) != 0; }
  void Log(stratrun_log_level level, std::string_view message) override {
    Send(WorkerLog{level, std::string(message)});
  }
  void Send(const WorkerMessage& message) {
    std::lock_guard lock(mutex_);
    EncodeMessage(message, scratch_);
    ring_.Write(scratch_);
  }

 private:
  SharedRing& ring_;
  std::mutex mutex_;
  std::string scratch_;  // guarded by mutex_
};

AbiVersion ParseAbi(const std::string& text) {
  AbiVersion abi;
  unsigned major = 0, minor = 0;
  if (std::sscanf(text.c_str(), "%u.%u", &major, &minor) == 2) abi = {major, minor};
  return abi;
}

int Describe(const WorkerArgs& args) {
  const PluginFile prepared{args.file, args.sha256, args.describe};
  const LoaderOptions options{.cache_dir = std::filesystem::path(args.describe).parent_path(),
                              .host_abi = ParseAbi(args.abi)};
  auto plugin = OpenPluginLibrary(prepared, options);
  const std::string answer = plugin ? DescriptionToJson(**plugin) : RejectionToJson(plugin.status().message());
  return WriteFrame(kControlFd, answer).ok() ? 0 : kSetupExit;
}

/// Runs the job; what `run` returned (or why it could not be called).
WorkerReturn RunJob(const WorkerJob& job, RingChannel& channel) {
  const PluginFile prepared{job.file, job.sha256, job.library_file};
  auto plugin = OpenPluginLibrary(prepared, {.cache_dir = job.library_file.parent_path(), .host_abi = {}});
  if (!plugin) return {STRATRUN_INTERNAL, "the worker cannot load the plugin: " + plugin.status().message()};
  if ((*plugin)->code() != job.code) {
    return {STRATRUN_INTERNAL, "the plugin file now provides '" + (*plugin)->code() + "', not '" + job.code + "'"};
  }
  auto parameters = (*plugin)->schema().ValidateJson(job.parameters_json);
  if (!parameters) return {STRATRUN_INVALID_ARGUMENT, parameters.status().message()};
  RunRequest request{job.run_id, std::move(*parameters), job.tickers, job.max_workers};
  BarCache data(OpenBarFiles(job.data_dir));  // the disk cache a previous worker wrote: no CSV parsed
  PluginReturn returned = CallPlugin(**plugin, request, data, channel);
  return {returned.status, std::move(returned.message)};
}

int Serve() {
  auto ring = SharedRing::Attach(kMemFd, kDataFd, kSpaceFd);
  if (!ring) {
    std::fprintf(stderr, "stratrun worker: %s\n", ring.status().message().c_str());
    return kSetupExit;
  }
  g_ring = ring->get();
  auto job_text = ReadFrame(kControlFd);  // an idle worker waits here
  if (!job_text) return 0;                // the pool let it go
  auto job = DecodeJob(*job_text);
  RingChannel channel(**ring);
  WorkerReturn returned = job ? RunJob(*job, channel)
                              : WorkerReturn{STRATRUN_INTERNAL, "the worker got a broken job: " + job.status().message()};
  channel.Send(returned);
  return 0;
}

}  // namespace

int WorkerMain(int argc, char** argv) {
  WorkerArgs args;
  if (!ParseArgs(argc, argv, args)) {
    std::fprintf(stderr, "stratrun worker: started by the server only (bad arguments)\n");
    ::_exit(kUsageExit);
  }
  // Plugin lines logged through spdlog in here go to stderr, which the host captures.
  if (Status limited = ApplyWorkerLimits(args.limits, args.parent); !limited.ok()) {
    std::fprintf(stderr, "stratrun worker: %s\n", limited.message().c_str());
    ::_exit(kSetupExit);
  }
  std::set_new_handler(&OutOfMemory);
  const int code = args.serve ? Serve() : Describe(args);
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(code);
}

}  // namespace stratrun
