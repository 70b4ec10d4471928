// Isolation for a command: with `--isolation process`, the worker pool, discovery in
// workers and the runner that runs each run in its own worker (isolation/); with `none`,
// nothing (plugins are loaded and run in this process).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "isolation/worker_discovery.h"
#include "isolation/worker_process.h"
#include "isolation/worker_runner.h"
#include "plugins/plugin_registry.h"

namespace stratrun {

struct IsolationOptions {
  bool process = true;             // --isolation process|none
  uint64_t worker_memory_mb = 0;   // --worker-memory MB; 0: unlimited
  bool no_network = false;         // --sandbox no-network
  std::chrono::milliseconds grace{10000};  // --grace: cancelled → killed
};

/// What a command keeps while its runs execute in workers. Destroy it after every run ended.
class Isolation {
 public:
  Isolation(const IsolationOptions& options, std::filesystem::path data_dir, size_t idle_workers);

  /// For RegistryOptions::load: describe new plugin files in workers.
  PluginLoadFn Loader();
  PluginRunner& runner() { return runner_; }

 private:
  WorkerPool pool_;
  WorkerDiscovery discovery_;
  WorkerRunner runner_;
};

/// An Isolation when options.process, else nullptr.
std::unique_ptr<Isolation> MakeIsolation(const IsolationOptions& options, const std::filesystem::path& data_dir,
                                         size_t idle_workers);

}  // namespace stratrun
