#include "live/event_hub.h"

#include <algorithm>
#include <exception>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "common/logging.h"
#include "live/store_replay.h"

namespace stratrun {
namespace {

using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;
using SystemTime = std::chrono::system_clock::time_point;

/// How often a stream waiting for events to reach the store reads it again.
constexpr std::chrono::milliseconds kGapPoll{25};
/// How soon a round comes back to a stream whose socket did not take everything.
constexpr std::chrono::milliseconds kFlushRetry{5};
/// How often a stream of a run the hub has no events of (queued, or running in another
/// process such as a CLI run) looks at the store.
constexpr std::chrono::milliseconds kIdlePoll{250};
/// A stream still waiting for the store after this long is worth a warning.
constexpr std::chrono::seconds kGapWarnAfter{5};
/// The fan-out thread wakes at least this often.
constexpr std::chrono::seconds kMaxSleep{1};
/// A Send carries roughly at most max(conflate_above_bytes, this); the rest follows in the
/// next rounds, so one burst can not push a client past max_pending_bytes by itself.
constexpr size_t kMinSendBudget = 16u << 10;

EventHubOptions Sane(EventHubOptions options) {
  options.memory_events_per_run = std::max<size_t>(options.memory_events_per_run, 1);
  options.batch_interval = std::max(options.batch_interval, std::chrono::milliseconds(0));
  options.heartbeat = std::max(options.heartbeat, std::chrono::seconds(1));
  options.retry_hint = std::max(options.retry_hint, std::chrono::milliseconds(0));
  options.max_stream_lifetime = std::max(options.max_stream_lifetime, std::chrono::seconds(0));
  return options;
}

}  // namespace

struct EventHub::Subscription {
  SubscriptionId id = 0;
  bool all = false;  // the lifecycle stream
  std::string run_id;
  std::atomic<bool> gone{false};         // unsubscribed: no further calls
  std::mutex call_mutex;                 // held by the fan-out thread around every call to the client
  std::shared_ptr<StreamClient> client;  // guarded by call_mutex

  // Fan-out thread only.
  uint64_t sent_seq = 0;  // the stream has every event up to here
  bool greeted = false;   // the retry line (and the snapshot) went out
  bool ended = false;     // closed, dropped or gone: no further calls
  SteadyTime opened_at{};
  SteadyTime last_send{};
  SteadyTime next_poll{};
  std::optional<SteadyTime> waiting_since;     // for a gap only the store can fill
  std::optional<SlowClientPolicy> pace;        // set when the stream joins
  bool warned = false;

  /// Calls `f(client)` unless the subscriber is gone; false if it is.
  template <typename F>
  bool With(F&& f) {
    std::lock_guard lock(call_mutex);
    if (ended || gone.load() || !client) return false;
    f(*client);
    return true;
  }
};

struct EventHub::Taken {
  std::unordered_map<std::string, std::deque<ProgressEvent>> events;
  std::vector<RunRecord> changes;
  std::unordered_set<std::string> stored;  // runs another process wrote events of (OnStoredEvents)
  std::vector<std::shared_ptr<Subscription>> joining;
  std::string server_frame;  // new this round (AnnounceShutdown)
};

struct EventHub::State {
  State(RunStore& store, const FrameFormat& format) : views(store, format) {}
  std::shared_ptr<spdlog::logger> log = Logger("sse");
  std::unordered_map<std::string, RunMemory> memory;
  LifecycleViews views;
  std::vector<std::shared_ptr<Subscription>> streams;
  std::string server_frame;  // for lifecycle streams that join later (after their snapshot)
};

EventHub::EventHub(RunStore& store, const FrameFormat& format, EventHubOptions options)
    : store_(store), format_(format), options_(Sane(options)), state_(std::make_unique<State>(store, format)) {
  fan_out_ = std::thread([this] { FanOutLoop(); });
}

EventHub::~EventHub() { Shutdown(); }

void EventHub::OnEvent(const ProgressEvent& event) noexcept {
  try {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      auto& queue = inbox_[event.run_id];
      queue.push_back(event);
      // Only if the fan-out thread is stalled: memory drops the oldest anyway, and the
      // streams that still need them read them from the store.
      if (queue.size() > options_.memory_events_per_run) queue.pop_front();
      wake = !work_;
      work_ = true;
    }
    if (wake) wake_.notify_one();
  } catch (const std::exception& e) {
    Logger("sse")->error("run {}: event {} not streamed: {}", event.run_id, event.seq, e.what());
  }
}

void EventHub::OnRunChanged(const RunRecord& run) noexcept {
  try {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      changes_.push_back(run);
      wake = !work_;
      work_ = true;
    }
    if (wake) wake_.notify_one();
  } catch (const std::exception& e) {
    Logger("sse")->error("run {}: lifecycle change not streamed: {}", run.run_id, e.what());
  }
}

void EventHub::OnStoredEvents(const std::string& run_id) noexcept {
  try {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stored_.insert(run_id);
      wake = !work_;
      work_ = true;
    }
    if (wake) wake_.notify_one();
  } catch (const std::exception& e) {
    Logger("sse")->error("run {}: stored events not announced: {}", run_id, e.what());
  }
}

Result<SubscriptionId> EventHub::SubscribeRun(const std::string& run_id, uint64_t after_seq,
                                              std::shared_ptr<StreamClient> client) {
  if (!client) return InvalidArgument("no stream client");
  if (after_seq > kMaxResumeSeq) {
    return InvalidArgument("after_seq must be at most " + std::to_string(kMaxResumeSeq), "after_seq");
  }
  auto run = store_.GetRun(run_id);
  if (!run) return run.status();
  if (!*run) return NotFound("unknown run '" + run_id + "'");
  auto sub = std::make_shared<Subscription>();
  sub->run_id = run_id;
  sub->sent_seq = after_seq;
  sub->client = std::move(client);
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Status(StatusCode::kFailedPrecondition, "event hub is shut down");
    sub->id = next_id_++;
    subscriptions_.emplace(sub->id, sub);
    joining_.push_back(sub);
    wake = !work_;
    work_ = true;
  }
  if (wake) wake_.notify_one();
  return sub->id;
}

SubscriptionId EventHub::SubscribeAll(std::shared_ptr<StreamClient> client) {
  auto sub = std::make_shared<Subscription>();
  sub->all = true;
  sub->client = std::move(client);
  bool wake = false;
  bool stopped = false;
  {
    std::lock_guard lock(mutex_);
    sub->id = next_id_++;
    if (stopping_) {
      stopped = true;
    } else if (sub->client) {
      subscriptions_.emplace(sub->id, sub);
      joining_.push_back(sub);
      wake = !work_;
      work_ = true;
    }
  }
  if (stopped && sub->client) sub->client->Close();
  if (wake) wake_.notify_one();
  return sub->id;
}

void EventHub::AnnounceShutdown(std::chrono::seconds grace) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !server_frame_.empty()) return;
    server_frame_ = format_.Message("server", "{\"state\":\"shutting_down\",\"grace_seconds\":" +
                                                  std::to_string(std::max<int64_t>(0, grace.count())) + "}");
    server_frame_new_ = true;
    wake = !work_;
    work_ = true;
  }
  if (wake) wake_.notify_one();
}

void EventHub::Unsubscribe(SubscriptionId id) {
  std::shared_ptr<Subscription> sub;
  {
    std::lock_guard lock(mutex_);
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    sub = std::move(it->second);
    subscriptions_.erase(it);
  }
  sub->gone = true;
  // From inside one of the client's calls the fan-out thread holds call_mutex: the call
  // in progress is the last, and the fan-out thread lets the client go after it.
  if (std::this_thread::get_id() == fan_out_id_.load()) return;
  std::shared_ptr<StreamClient> client;
  {
    std::lock_guard lock(sub->call_mutex);  // waits for a call in progress
    client = std::move(sub->client);
  }
}

size_t EventHub::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

size_t EventHub::memory_event_count() const { return memory_events_.load(); }

void EventHub::Shutdown() {
  std::lock_guard shutdown_lock(shutdown_mutex_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (fan_out_.joinable()) fan_out_.join();
}

void EventHub::FanOutLoop() {
  fan_out_id_ = std::this_thread::get_id();
  SteadyTime last_round = SteadyClock::now() - options_.batch_interval;
  SteadyClock::duration batch_wait = options_.batch_interval;
  SteadyTime deadline = SteadyClock::now() + kMaxSleep;
  for (;;) {
    Taken taken;
    bool final = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_until(lock, deadline, [&] { return work_ || stopping_; });
      // Batching: whatever arrives while we wait goes out together. The wait is the larger
      // of 4 × the last round's duration and 10 µs per open stream, at most batch_interval:
      // the hub spends a bounded share of the machine on sending, and a quiet hub with few
      // streams sends at once.
      wake_.wait_until(lock, last_round + batch_wait, [&] { return stopping_; });
      taken.events.swap(inbox_);
      taken.changes.swap(changes_);
      taken.stored.swap(stored_);
      taken.joining.swap(joining_);
      if (server_frame_new_) taken.server_frame = server_frame_;
      server_frame_new_ = false;
      work_ = false;
      final = stopping_;
    }
    last_round = SteadyClock::now();
    try {
      deadline = Round(taken, final);
      // A Send costs ~10 µs of socket work whatever its size: budget that per stream.
      const auto per_stream = std::chrono::microseconds(10) * static_cast<int64_t>(state_->streams.size());
      batch_wait = std::min<SteadyClock::duration>(options_.batch_interval,
                                                   std::max<SteadyClock::duration>(4 * (SteadyClock::now() - last_round), per_stream));
    } catch (const std::exception& e) {
      state_->log->error("fan-out round failed: {}", e.what());
      deadline = SteadyClock::now() + std::max<SteadyClock::duration>(options_.batch_interval, kGapPoll);
    }
    if (final) break;
  }
  // Whatever a failed last round left open.
  for (auto& sub : state_->streams) {
    if (!sub->ended) sub->With([](StreamClient& c) { c.Close(); });
    sub->ended = true;
    std::lock_guard lock(sub->call_mutex);
    sub->client.reset();
  }
  state_->streams.clear();
  std::lock_guard lock(mutex_);
  subscriptions_.clear();  // nothing serves them any more
}

SteadyTime EventHub::Round(Taken& taken, bool final) {
  State& st = *state_;
  const SteadyTime now = SteadyClock::now();
  SteadyTime next = now + kMaxSleep;
  auto due = [&](SteadyTime t) { next = std::min(next, t); };
  const size_t budget = std::max(options_.conflate_above_bytes, kMinSendBudget);

  // 1. Events into memory (formatted once for every stream) and into the lifecycle views.
  const RunMemory::Limits limits{options_.memory_events_per_run, options_.memory_bytes_per_run};
  for (auto& [run_id, events] : taken.events) {
    RunMemory& mem = st.memory[run_id];
    const size_t held = mem.size();
    for (const ProgressEvent& e : events) {
      if (mem.Take(e, format_, now, limits)) st.views.TakeEvent(e);
    }
    memory_events_ += mem.size();
    memory_events_ -= held;
  }

  // 2. Lifecycle changes, each one a frame, in order; then terminal events and progress.
  RunFrames run_frames;  // of this round
  for (RunRecord& record : taken.changes) st.views.TakeChange(std::move(record), now, run_frames);
  st.views.CollectDue(now, run_frames, next);
  // 3. The snapshot for new lifecycle streams (this round's frames are in it).
  std::optional<std::string> snapshot;
  auto snapshot_text = [&]() -> const std::string& {
    if (!snapshot) snapshot = st.views.Snapshot();
    return *snapshot;
  };
  // For a conflated lifecycle stream: the index of each run's last frame of the round.
  std::unordered_map<std::string, size_t> last_frame_of_run;
  for (size_t i = 0; i < run_frames.size(); ++i) last_frame_of_run[run_frames[i].first] = i;

  if (!taken.server_frame.empty()) st.server_frame = taken.server_frame;
  // 4. Streams of runs another process wrote events of read the store now, not at their next poll.
  if (!taken.stored.empty()) {
    for (auto& sub : st.streams) {
      if (!sub->all && taken.stored.contains(sub->run_id)) sub->next_poll = now;
    }
  }

  // 5. New streams.
  for (auto& sub : taken.joining) {
    if (sub->gone) continue;
    sub->opened_at = now;
    sub->pace.emplace(SlowClientLimits{.conflate_above_bytes = options_.conflate_above_bytes,
                                       .max_pending_bytes = options_.max_pending_bytes,
                                       .stuck_after = 2 * options_.heartbeat});
    sub->last_send = now;
    sub->next_poll = now;
    st.streams.push_back(std::move(sub));
  }

  // 5. Every stream gets what is new for it as one Send.
  const std::string retry = format_.RetryHint(options_.retry_hint);
  std::map<std::tuple<std::string, uint64_t, bool>, MemoryBatch> batches;  // shared by a run's streams
  std::unordered_map<std::string, StoreReplay> replays;  // this round's store reads, per run
  auto memory_batch = [&](const std::string& run_id, const RunMemory& mem, uint64_t need,
                          bool conflate) -> const MemoryBatch& {
    auto [it, inserted] = batches.try_emplace({run_id, need, conflate});
    if (inserted) it->second = mem.Batch(need, conflate, budget);
    return it->second;
  };

  std::vector<std::shared_ptr<Subscription>> ended;
  for (auto& sub_ptr : st.streams) {
    Subscription& sub = *sub_ptr;
    size_t pending = 0;
    bool alive = sub.With([&](StreamClient& c) {
      if (c.pending_bytes() > 0) c.Flush();
      pending = c.pending_bytes();
    });
    if (alive && pending > 0) due(now + kFlushRetry);  // keep writing what the socket refused
    const ClientPace pace = alive ? sub.pace->Judge(pending, now) : ClientPace::kLive;
    const bool conflate = pace == ClientPace::kConflated;
    if (pace == ClientPace::kDropped) {
      st.log->info("{} stream {} dropped: {} bytes not written{}{}", sub.all ? "lifecycle" : "run " + sub.run_id,
                   sub.id, pending, sub.pace->DropReason(pending),
                   sub.all ? "" : " (it replays the rest from the store when it reconnects)");
      sub.With([](StreamClient& c) { c.Close(); });
      alive = false;
    }
    if (auto drop_at = sub.pace->drop_at(); alive && drop_at) due(*drop_at);
    if (!alive) {
      sub.ended = true;
      ended.push_back(sub_ptr);
      continue;
    }
    std::string text;
    if (!sub.greeted) text = retry;
    bool complete = false;  // everything the run will ever have is in `text` or sent

    if (sub.all) {
      if (!sub.greeted) {
        text += snapshot_text();
        text += st.server_frame;
      } else {
        for (size_t i = 0; i < run_frames.size(); ++i) {
          if (!conflate || last_frame_of_run[run_frames[i].first] == i) text += run_frames[i].second;
        }
        text += taken.server_frame;
      }
    } else {
      const uint64_t need = sub.sent_seq + 1;
      auto mem_it = st.memory.find(sub.run_id);
      const RunMemory* mem = mem_it == st.memory.end() ? nullptr : &mem_it->second;
      if (mem && mem->Serves(need)) {
        // Live: memory holds the next event it needs.
        sub.waiting_since.reset();
        if (need <= mem->last_seq()) {
          const MemoryBatch& batch = memory_batch(sub.run_id, *mem, need, conflate);
          text += batch.text;
          sub.sent_seq = batch.last_seq;
          complete = batch.terminal;
          if (sub.sent_seq < mem->last_seq()) due(now);  // over budget: the rest next round
        } else {
          complete = mem->terminal();
        }
      } else if (conflate && !final) {
        // Catching up from the store: paused until the client drains (nothing conflated).
        due(now + std::max<SteadyClock::duration>(options_.batch_interval, kGapPoll));
      } else if (now < sub.next_poll && !final) {
        due(sub.next_poll);
      } else {
        StoreReplay& replay = replays.try_emplace(sub.run_id, store_, store_, format_, sub.run_id).first->second;
        const StoreReplay::Step step = replay.Read(sub.sent_seq, budget - std::min(budget, text.size()));
        text += step.text;
        sub.sent_seq = step.sent_seq;
        complete = step.complete;
        const bool read_some = step.read_some;
        if (read_some) {
          sub.waiting_since.reset();
          sub.next_poll = now;
          due(now + options_.batch_interval);
        } else if (mem || replay.last_seq() >= need) {
          // Memory (or the store) starts past the next seq the stream needs: the run's log
          // has not written it yet. Wait; never skip.
          if (!sub.waiting_since) sub.waiting_since = now;
          if (!sub.warned && now - *sub.waiting_since >= kGapWarnAfter) {
            sub.warned = true;
            st.log->warn("run {}: stream {} still waits for event {} to reach the store", sub.run_id, sub.id, need);
          }
          sub.next_poll = now + kGapPoll;
          due(sub.next_poll);
        } else {
          // Nothing in memory, nothing more stored: the run has ended, or not begun (queued,
          // or running in another process).
          complete = replay.finished();
          sub.next_poll = now + kIdlePoll;
          due(sub.next_poll);
        }
      }
    }

    if (text.empty() && now - sub.last_send >= options_.heartbeat) text = format_.Heartbeat();
    if (!text.empty()) {
      bool sent = false;
      alive = sub.With([&](StreamClient& c) { sent = c.Send(std::move(text)); });
      if (!alive || !sent) {
        sub.ended = true;
        ended.push_back(sub_ptr);
        continue;
      }
      sub.greeted = true;
      sub.last_send = now;
    }
    due(sub.last_send + options_.heartbeat);
    const auto lifetime = options_.max_stream_lifetime;
    const bool expired = lifetime.count() > 0 && now - sub.opened_at >= lifetime;
    if (lifetime.count() > 0 && !expired) due(sub.opened_at + lifetime);
    if (complete || final || expired) {
      sub.With([](StreamClient& c) { c.Close(); });
      sub.ended = true;
      ended.push_back(sub_ptr);
    }
  }
  if (!ended.empty()) {
    std::erase_if(st.streams, [](const auto& sub) { return sub->ended; });
    for (auto& sub : ended) {
      std::lock_guard lock(sub->call_mutex);
      sub->client.reset();
    }
    std::lock_guard lock(mutex_);
    for (auto& sub : ended) subscriptions_.erase(sub->id);
  }

  // 6. Forget what the store has for good.
  for (auto it = st.memory.begin(); it != st.memory.end();) {
    const SteadyTime forget_at = it->second.forget_at();
    if (now >= forget_at) {
      memory_events_ -= it->second.size();
      it = st.memory.erase(it);
    } else {
      due(forget_at);
      ++it;
    }
  }
  return next;
}

}  // namespace stratrun
