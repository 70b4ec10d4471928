#include "plugins/plugin_watcher.h"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/logging.h"

namespace stratrun {

PluginWatcher::PluginWatcher(PluginRegistry& registry, std::vector<std::filesystem::path> dirs,
                             std::chrono::milliseconds settle)
    : registry_(registry), settle_(settle) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) {
    Logger("plugins")->warn("cannot watch plugin folders (inotify: {}); use POST /api/strategies/rescan", errno);
    return;
  }
  for (const auto& dir : dirs) {
    if (::inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_CREATE) < 0) {
      Logger("plugins")->debug("not watching {} (missing or unreadable)", dir.string());
    }
  }
  thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
}

PluginWatcher::~PluginWatcher() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void PluginWatcher::Loop(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> pending;  // when the last change was seen
  alignas(inotify_event) char buffer[8192];
  while (!stop.stop_requested()) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      while (::read(fd_, buffer, sizeof buffer) > 0) {
      }
      pending = Clock::now();
    }
    if (pending && Clock::now() - *pending >= settle_) {
      pending.reset();
      auto catalog = registry_.Rescan();
      Logger("plugins")->info("plugin folder changed: {} strategies, {} rejected", catalog->plugins.size(),
                              catalog->rejected.size());
    }
  }
}

}  // namespace stratrun
