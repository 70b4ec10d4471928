// PluginRegistry: discovers strategy plugins in folders and keeps the current catalog.
//
//   PluginRegistry registry({.plugin_dirs = {"/usr/lib/stratrun/plugins"}, .cache_dir = ...});
//   auto catalog = registry.Rescan();
//   if (auto plugin = catalog->Find("bullish_breakout")) ...
//
// A scan looks at every `*.so` file in the folders (not recursive), in folder order and
// then file-name order. A file that fails to load, or whose strategy code an earlier file
// already provides, is listed as rejected with the reason; the scan always completes.
// Files whose content (SHA-256) was loaded before are not loaded again.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "plugins/plugin.h"
#include "plugins/plugin_loader.h"

namespace stratrun {

/// A file that is not a usable plugin, and why.
struct RejectedPlugin {
  std::filesystem::path file;
  std::string reason;
};

/// An immutable snapshot of what a scan found.
struct PluginCatalog {
  std::vector<std::shared_ptr<const Plugin>> plugins;  // sorted by code
  std::vector<RejectedPlugin> rejected;                // in scan order

  /// The plugin with this code, or nullptr.
  std::shared_ptr<const Plugin> Find(std::string_view code) const;
};

/// How a registry turns a new file into a Plugin (or the reason it cannot be one).
using PluginLoadFn =
    std::function<Result<std::shared_ptr<const Plugin>>(const std::filesystem::path& file, const LoaderOptions&)>;

struct RegistryOptions {
  std::vector<std::filesystem::path> plugin_dirs;
  std::filesystem::path cache_dir;
  AbiVersion host_abi;
  /// LoadPlugin (in this process) unless set; with isolation on, a worker process reads
  /// the descriptor (isolation/worker_discovery.h) and the server never runs plugin code.
  PluginLoadFn load;
};

/// Thread-safe: Rescan() may run while other threads read catalog().
class PluginRegistry {
 public:
  explicit PluginRegistry(RegistryOptions options);

  /// Scans the folders again and publishes the new catalog. A missing folder is a
  /// rejection ("folder does not exist"), not an error.
  std::shared_ptr<const PluginCatalog> Rescan();

  /// The catalog of the last scan (empty before the first).
  std::shared_ptr<const PluginCatalog> catalog() const;

  /// The folders scanned, in order.
  const std::vector<std::filesystem::path>& plugin_dirs() const { return options_.plugin_dirs; }

 private:
  RegistryOptions options_;
  mutable std::mutex mutex_;
  std::shared_ptr<const PluginCatalog> catalog_;
  std::map<std::string, std::shared_ptr<const Plugin>> loaded_by_sha256_;  // guarded by mutex_
};

}  // namespace stratrun
