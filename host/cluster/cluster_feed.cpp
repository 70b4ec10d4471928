#include "cluster/cluster_feed.h"

#include <array>
#include <string_view>
#include <vector>

#include "common/logging.h"

namespace stratrun {
namespace {

constexpr std::array kChannels = {kEventsChannel, kRunsChannel, kQueueChannel, kCancelChannel};
/// A remote running run's record is forwarded to the lifecycle stream at most this often.
constexpr std::chrono::milliseconds kProgressEvery{250};
/// How long the listener waits per round (Stop() is noticed within it).
constexpr std::chrono::milliseconds kWaitRound{200};

/// The words of a payload ("a b c" → {"a","b","c"}).
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    words.push_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return words;
}

}  // namespace

ClusterFeed::ClusterFeed(std::string self_id, RunStore& store, ClusterStore& cluster, EventHub& hub,
                         Executor& executor, ClusterScheduler& scheduler)
    : self_id_(std::move(self_id)),
      store_(store),
      cluster_(cluster),
      hub_(hub),
      executor_(executor),
      scheduler_(scheduler) {}

ClusterFeed::~ClusterFeed() { Stop(); }

Status ClusterFeed::Start() {
  auto listener = cluster_.Listen(kChannels);
  if (!listener) return listener.status();
  thread_ = std::thread([this, l = std::move(*listener)]() mutable { Loop(std::move(l)); });
  return Status::Ok();
}

void ClusterFeed::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ClusterFeed::Loop(std::unique_ptr<NotificationListener> listener) {
  auto log = Logger("cluster");
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (!listener) {
      auto reopened = cluster_.Listen(kChannels);
      if (reopened) {
        listener = std::move(*reopened);
        log->info("listening to the cluster again");
        scheduler_.Wake();
      } else {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
        continue;
      }
    }
    auto received = listener->Wait(kWaitRound);
    if (!received) {
      log->warn("lost the cluster's notifications ({}); listening again", received.status().message());
      listener.reset();
      continue;
    }
    for (const Notification& notification : *received) Handle(notification);
  }
}

void ClusterFeed::Handle(const Notification& notification) {
  const auto words = Words(notification.payload);
  if (notification.channel == kEventsChannel) {
    if (!words.empty()) hub_.OnStoredEvents(std::string(words[0]));
  } else if (notification.channel == kRunsChannel) {
    if (words.size() >= 2) RunChanged(std::string(words[0]), words[1], words.size() >= 3 ? words[2] : "");
  } else if (notification.channel == kQueueChannel) {
    scheduler_.Wake();
  } else if (notification.channel == kCancelChannel) {
    if (!words.empty() && executor_.Active(std::string(words[0]))) {
      const Status cancelled = executor_.Cancel(std::string(words[0]), CancelReason::kUser);
      Logger("cluster")->info("run {}: cancel from another instance: {}", words[0],
                              cancelled.ok() ? "cancelling" : cancelled.message());
    }
  }
}

void ClusterFeed::RunChanged(const std::string& run_id, std::string_view status, std::string_view owner) {
  // A run queued somewhere, or one that ended (a slot freed, here or there): claim if free.
  const auto state = ParseRunState(status);
  if (status == "queued" || (state && IsFinished(*state))) scheduler_.Wake();
  if (owner == self_id_) return;  // this instance's own runs reach the hub directly
  const auto now = std::chrono::steady_clock::now();
  auto [it, added] = forwarded_.try_emplace(run_id);
  if (!added && it->second.status == status && now - it->second.at < kProgressEvery) return;
  it->second = {now, std::string(status)};
  auto run = store_.GetRun(run_id);
  if (run.ok() && *run) hub_.OnRunChanged(**run);
  if (state && IsFinished(*state)) forwarded_.erase(run_id);
}

}  // namespace stratrun
