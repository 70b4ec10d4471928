#include "cli/isolation_setup.h"

namespace stratrun {

Isolation::Isolation(const IsolationOptions& options, std::filesystem::path data_dir, size_t idle_workers)
    : pool_({.limits = {.memory_mb = options.worker_memory_mb, .deny_network = options.no_network}}, idle_workers),
      discovery_(pool_),
      runner_(pool_, {.grace = options.grace, .memory_mb = options.worker_memory_mb, .data_dir = std::move(data_dir)}) {}

PluginLoadFn Isolation::Loader() {
  return [this](const std::filesystem::path& file, const LoaderOptions& options) {
    return discovery_.Describe(file, options);
  };
}

std::unique_ptr<Isolation> MakeIsolation(const IsolationOptions& options, const std::filesystem::path& data_dir,
                                         size_t idle_workers) {
  if (!options.process) return nullptr;
  return std::make_unique<Isolation>(options, data_dir, idle_workers);
}

}  // namespace stratrun
