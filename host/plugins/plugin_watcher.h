// PluginWatcher: rescans the plugin registry when a plugin folder changes, so that a
// strategy dropped into the folder while the server runs becomes executable without a
// restart.
//
// Uses inotify on every existing folder (file written and closed, moved in, deleted,
// moved out) and waits for `settle` of quiet after the last change before rescanning, so
// that a file still being copied is not loaded half-written.
#pragma once

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "plugins/plugin_registry.h"

namespace stratrun {

class PluginWatcher {
 public:
  /// `registry` must outlive the watcher. Folders that do not exist are not watched.
  PluginWatcher(PluginRegistry& registry, std::vector<std::filesystem::path> dirs,
                std::chrono::milliseconds settle = std::chrono::milliseconds(300));
  ~PluginWatcher();  // stops the watching thread
  PluginWatcher(const PluginWatcher&) = delete;
  PluginWatcher& operator=(const PluginWatcher&) = delete;

 private:
  void Loop(std::stop_token stop);

  PluginRegistry& registry_;
  std::chrono::milliseconds settle_;
  int fd_ = -1;
  std::jthread thread_;
};

}  // namespace stratrun
