#include "isolation/worker_runner.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <optional>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/logging.h"
#include "exec/run_events.h"
#include "isolation/exit_status.h"
#include "isolation/frame_io.h"
#include "isolation/output_capture.h"
#include "isolation/worker_limits.h"
#include "isolation/worker_wire.h"

namespace stratrun {
namespace {

using Steady = std::chrono::steady_clock;
constexpr auto kMemorySampleEvery = std::chrono::milliseconds(20);
constexpr auto kIdleWake = std::chrono::milliseconds(100);
constexpr auto kPipeDrainAfterExit = std::chrono::milliseconds(200);

/// Resident memory of `pid` in bytes; 0 when it cannot be read.
uint64_t ResidentBytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

RunOutcome Failed(std::string code, std::string message) {
  RunOutcome outcome;
  outcome.state = RunState::kError;
  outcome.error_code = std::move(code);
  outcome.message = std::move(message);
  return outcome;
}

std::string Seconds(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", static_cast<double>(d.count()) / 1000.0);
  return text;
}

}  // namespace

RunOutcome WorkerRunner::Run(const Plugin& plugin, const RunRequest& request, ProgressSink& sink,
                             const Cancellation& cancel) {
  const std::string label = plugin.code() + " " + request.run_id;
  RunEvents events(request.run_id, sink, *options_.clock);
  auto taken = pool_.TakeRunWorker();
  events.Start(plugin, request.tickers.size());
  if (!taken) {
    RunOutcome outcome = Failed("internal", "cannot start a worker process: " + taken.status().message());
    events.Finish(outcome);
    return outcome;
  }
  WorkerProcess& worker = **taken;
  SharedRing& ring = *worker.ring();

  const WorkerJob job{plugin.library_file(), plugin.file(), plugin.sha256(), plugin.code(), request.run_id,
                      request.parameters.ToJson(), request.tickers, request.max_workers, options_.data_dir};
  if (Status sent = WriteFrame(worker.control_fd(), EncodeJob(job)); !sent.ok()) {
    Logger("isolation")->warn("run {}: {}", request.run_id, sent.message());  // its end says why below
  }

  // Cancel and timeout: the shared word first (the plugin's next check sees it), then a
  // wake-up so that this loop starts the grace period's clock.
  std::atomic<int64_t> cancelled_at{0};  // steady ns; 0: not cancelled
  std::stop_callback on_cancel(cancel.token(), [&] {
    ring.header().cancel_reason.store(static_cast<int32_t>(cancel.reason()));
    cancelled_at.store(Steady::now().time_since_epoch().count());
    ring.WakeConsumer();
  });

  OutputCapture out(worker.stdout_fd(), label + " stdout", false);
  OutputCapture err(worker.stderr_fd(), label + " stderr", true);
  std::optional<WorkerReturn> returned;
  std::string corruption;
  auto on_message = [&](std::string_view bytes) {
    auto message = DecodeMessage(bytes);
    if (!message) {
      corruption = message.status().message();
      return;
    }
    std::visit(
        [&](auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, ProgressEvent>) {
            events.Deliver(std::move(m));
          } else if constexpr (std::is_same_v<T, ResultRow>) {
            events.Deliver(m);
          } else if constexpr (std::is_same_v<T, WorkerLog>) {
            static const auto logger = Logger("plugin");
            logger->log(LogLevelOf(m.level), "[{}] {}", label, m.message);
          } else {
            returned = std::move(m);
          }
        },
        *message);
  };

  bool forced = false, over_memory = false, exited = false;
  const uint64_t memory_limit = options_.memory_mb << 20;
  auto next_sample = Steady::now();
  for (;;) {
    if (auto drained = ring.Drain(on_message); !drained) corruption = drained.status().message();
    if (!corruption.empty()) {
      worker.Kill();
      break;
    }
    if (exited) break;  // the last drain after it exited is done
    const auto now = Steady::now();
    auto wake_at = now + kIdleWake;
    if (const int64_t at = cancelled_at.load(); at != 0 && !forced) {
      const auto grace = cancel.reason() == CancelReason::kShutdown ? options_.shutdown_grace : options_.grace;
      const auto kill_at = Steady::time_point(Steady::duration(at)) + grace;
      if (now >= kill_at) {
        Logger("isolation")->warn("run {}: the plugin did not stop within {} s of being cancelled; killing its worker",
                                  request.run_id, Seconds(grace));
        worker.Kill();
        forced = true;
      } else {
        wake_at = std::min(wake_at, kill_at);
      }
    }
    if (memory_limit > 0) {
      if (now >= next_sample) {
        if (!over_memory && ResidentBytes(worker.pid()) > memory_limit) {
          over_memory = true;
          worker.Kill();
        }
        next_sample = now + kMemorySampleEvery;
      }
      wake_at = std::min(wake_at, next_sample);
    }
    if (ring.PrepareToSleep()) {
      ring.Awake();
      continue;
    }
    pollfd fds[4] = {{ring.data_fd(), POLLIN, 0},
                     {out.fd(), static_cast<short>(out.open() ? POLLIN : 0), 0},
                     {err.fd(), static_cast<short>(err.open() ? POLLIN : 0), 0},
                     {worker.pidfd(), POLLIN, 0}};
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now).count() + 1;
    ::poll(fds, worker.pidfd() >= 0 ? 4 : 3, static_cast<int>(std::max<int64_t>(0, timeout)));
    ring.Awake();
    if (fds[1].revents != 0) out.ReadAvailable();
    if (fds[2].revents != 0) err.ReadAvailable();
    if (worker.pidfd() >= 0 ? fds[3].revents != 0 : worker.Exited()) exited = true;
  }
  const int status = worker.Wait();  // and its process group is killed
  // What it wrote just before it ended (the pipes close once its group is gone).
  const auto drain_until = Steady::now() + kPipeDrainAfterExit;
  while ((out.open() || err.open()) && Steady::now() < drain_until) {
    pollfd fds[2] = {{out.fd(), static_cast<short>(out.open() ? POLLIN : 0), 0},
                     {err.fd(), static_cast<short>(err.open() ? POLLIN : 0), 0}};
    ::poll(fds, 2, 20);
    out.ReadAvailable();
    err.ReadAvailable();
  }
  out.Finish();
  err.Finish();
  const std::string tail = err.Tail();
  const std::string stderr_said = tail.empty() ? "" : "; its last lines on stderr: " + tail;

  RunOutcome outcome;
  const bool out_of_memory = over_memory || ring.header().out_of_memory.load() != 0 ||
                             (WIFEXITED(status) && WEXITSTATUS(status) == kWorkerOutOfMemoryExit);
  if (returned && !forced && !over_memory && corruption.empty()) {
    outcome = OutcomeOfReturn(PluginReturn{returned->status, returned->message}, cancel);
  } else if (out_of_memory) {
    outcome = Failed("memory_limit", "the plugin used more than its " + std::to_string(options_.memory_mb) +
                                         " MB of memory (--worker-memory), so its worker was stopped");
  } else if (forced) {
    const auto grace = cancel.reason() == CancelReason::kShutdown ? options_.shutdown_grace : options_.grace;
    outcome = OutcomeOfForcedStop(cancel, static_cast<double>(grace.count()) / 1000.0);
  } else if (!corruption.empty()) {
    outcome = Failed("plugin_crashed", "the plugin corrupted its worker's channel to the host (" + corruption +
                                           "), so its worker was killed" + stderr_said);
  } else if (WIFEXITED(status)) {
    outcome = Failed("plugin_crashed", "the plugin's worker " + DescribeExit(status) +
                                           " before the run returned (did the plugin call exit()?)" + stderr_said);
  } else {
    outcome = Failed("plugin_crashed", "the plugin " + DescribeExit(status) + stderr_said);
  }
  events.Finish(outcome);
  return outcome;
}

}  // namespace stratrun
