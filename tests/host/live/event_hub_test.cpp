// EventHub with fake stream clients over a real RunStore: live delivery, replay from the
// store and memory without gaps or duplicates, finished runs, heartbeats, conflation and
// disconnection of slow clients, the lifecycle stream, shutdown, and many subscribers.
//
// No test asserts a duration: waits are generous polls for something that must happen.
#include "http/sse_frame.h"
#include "live/event_hub.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <thread>

#include <rapidjson/document.h>

#include "support/test_support.h"

namespace stratrun {
namespace {

using testing::TempDir;
using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

constexpr int64_t kStartMs = 1768473000000;  // 2026-01-15T10:30:00.000Z
constexpr auto kPatience = 20s;

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(kStartMs + ms)); }

/// Polls `done` until it holds or kPatience has passed.
bool Eventually(const std::function<bool()>& done) {
  const auto give_up = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// One parsed SSE frame.
struct SseFrame {
  std::string retry, comment, id, event, data;
};

/// Records what the hub sends. Can pretend to have unwritten bytes (`set_pending`), to be
/// stuck (everything sent stays pending) or gone (Send fails).
class FakeClient : public StreamClient {
 public:
  bool Send(std::string text) override {
    std::lock_guard lock(mutex_);
    EXPECT_FALSE(closed_) << "Send after Close";
    if (gone_) return false;
    ++sends_;
    if (stuck_) pending_ += text.size();
    text_ += text;
    return true;
  }
  size_t pending_bytes() const override {
    std::lock_guard lock(mutex_);
    return pending_;
  }
  void Close() override {
    std::lock_guard lock(mutex_);
    ++closes_;
    closed_ = true;
  }

  void set_pending(size_t bytes) {
    std::lock_guard lock(mutex_);
    pending_ = bytes;
  }
  void set_stuck() {
    std::lock_guard lock(mutex_);
    stuck_ = true;
  }
  void set_gone() {
    std::lock_guard lock(mutex_);
    gone_ = true;
  }
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }
  int sends() const {
    std::lock_guard lock(mutex_);
    return sends_;
  }
  int closes() const {
    std::lock_guard lock(mutex_);
    return closes_;
  }
  bool closed() const { return closes() > 0; }

  std::vector<SseFrame> frames() const {
    std::vector<SseFrame> frames;
    const std::string all = text();
    size_t begin = 0;
    while (begin < all.size()) {
      size_t end = all.find("\n\n", begin);
      EXPECT_NE(end, std::string::npos) << "unterminated frame: " << all.substr(begin);
      if (end == std::string::npos) break;
      SseFrame frame;
      const std::string block = all.substr(begin, end - begin);
      size_t line_begin = 0;
      while (line_begin <= block.size()) {
        size_t line_end = block.find('\n', line_begin);
        if (line_end == std::string::npos) line_end = block.size();
        const std::string line = block.substr(line_begin, line_end - line_begin);
        auto field = [&](std::string_view name) {
          return line.rfind(std::string(name) + ": ", 0) == 0 ? line.substr(name.size() + 2) : std::string();
        };
        if (line.rfind(": ", 0) == 0) frame.comment = line.substr(2);
        if (line.rfind("retry: ", 0) == 0) frame.retry = field("retry");
        if (line.rfind("id: ", 0) == 0) frame.id = field("id");
        if (line.rfind("event: ", 0) == 0) frame.event = field("event");
        if (line.rfind("data: ", 0) == 0) frame.data = field("data");
        line_begin = line_end + 1;
      }
      frames.push_back(std::move(frame));
      begin = end + 2;
    }
    return frames;
  }
  /// The seqs of the event frames, in order.
  std::vector<uint64_t> ids() const {
    std::vector<uint64_t> ids;
    for (const SseFrame& f : frames()) {
      if (!f.id.empty()) ids.push_back(std::stoull(f.id));
    }
    return ids;
  }
  std::vector<SseFrame> frames_of(std::string_view event) const {
    std::vector<SseFrame> out;
    for (SseFrame& f : frames()) {
      if (f.event == event) out.push_back(std::move(f));
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
  size_t pending_ = 0;
  bool stuck_ = false;
  bool gone_ = false;
  bool closed_ = false;
  int sends_ = 0;
  int closes_ = 0;
};

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> seqs;
  for (uint64_t s = first; s <= last; ++s) seqs.push_back(s);
  return seqs;
}

ProgressEvent MakeEvent(const std::string& run_id, uint64_t seq, EventType type, bool passed = false) {
  ProgressEvent e;
  e.seq = seq;
  e.type = type;
  e.timestamp = At(static_cast<int64_t>(seq));
  e.run_id = run_id;
  e.stage = "analysis";
  e.total_items = 100000;
  e.completed_items = static_cast<int64_t>(seq);
  e.progress_percent = static_cast<double>(seq) / 1000.0;
  e.current_item = "T" + std::to_string(seq);
  e.message = std::string(EventTypeName(type));
  e.passed_count = static_cast<int64_t>(seq / 10);
  if (type == EventType::kTickerCompleted) e.metrics = {{"score", 50}, {"passed", passed ? 1.0 : 0.0}};
  return e;
}

/// The events a plain run emits: started, then progress, then completed at `terminal_seq`
/// (no terminal when 0).
std::vector<ProgressEvent> PlainRun(const std::string& run_id, uint64_t count, uint64_t terminal_seq = 0) {
  std::vector<ProgressEvent> events;
  for (uint64_t seq = 1; seq <= count; ++seq) {
    EventType type = seq == 1 ? EventType::kStarted : EventType::kProgress;
    if (seq == terminal_seq) type = EventType::kCompleted;
    events.push_back(MakeEvent(run_id, seq, type));
  }
  return events;
}

std::string Frame(const ProgressEvent& e) {
  return "id: " + std::to_string(e.seq) + "\nevent: " + std::string(EventTypeName(e.type)) + "\ndata: " + ToJson(e) +
         "\n\n";
}

class EventHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = RunStore::Open(dir_.path() / "runs.db");
    ASSERT_TRUE(opened) << opened.status().message();
    store_ = std::move(*opened);
  }

  RunRecord CreateRun(const std::string& run_id, RunState status = RunState::kQueued, int64_t created_ms = 0) {
    RunRecord run;
    run.run_id = run_id;
    run.strategy_code = "sma_trend";
    run.plugin_version = "1.0.0";
    run.source = "api";
    run.status = status;
    run.created_at = At(created_ms);
    EXPECT_TRUE(store_->CreateRun(run).ok());
    if (status != RunState::kQueued) {
      EXPECT_TRUE(store_->UpdateRun(run).ok());
    }
    return run;
  }
  void Store(const std::vector<ProgressEvent>& events, size_t first_index, size_t count) {
    ASSERT_TRUE(store_->AppendEvents(std::span(events).subspan(first_index, count)).ok());
  }
  static void Feed(EventHub& hub, const std::vector<ProgressEvent>& events, size_t first_index, size_t count) {
    for (size_t i = first_index; i < first_index + count; ++i) hub.OnEvent(events[i]);
  }

  TempDir dir_;
  std::unique_ptr<RunStore> store_;
};

TEST_F(EventHubTest, UnknownRunIsNotFound) {
  EventHub hub(*store_, http::SseFrames());
  auto id = hub.SubscribeRun("nope", 0, std::make_shared<FakeClient>());
  ASSERT_FALSE(id);
  EXPECT_EQ(id.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(id.status().message(), "unknown run 'nope'");
  EXPECT_EQ(hub.subscriber_count(), 0u);
}

TEST_F(EventHubTest, QueuedRunWaitsThenStreamsLiveEventsInOrderAndCloses) {
  CreateRun("r1");
  EventHub hub(*store_, http::SseFrames());
  auto client = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, client));
  EXPECT_EQ(hub.subscriber_count(), 1u);
  ASSERT_TRUE(Eventually([&] { return !client->text().empty(); }));
  EXPECT_EQ(client->text(), "retry: 2000\n\n");  // nothing yet: the run is queued
  EXPECT_FALSE(client->closed());

  const auto events = PlainRun("r1", 300, 300);
  for (const auto& e : events) {
    hub.OnEvent(e);
    if (e.seq % 50 == 0) std::this_thread::sleep_for(3ms);  // several batches
  }
  ASSERT_TRUE(Eventually([&] { return client->closed(); }));
  std::string expected = "retry: 2000\n\n";
  for (const auto& e : events) expected += Frame(e);
  EXPECT_EQ(client->text(), expected);
  EXPECT_EQ(client->closes(), 1);
  EXPECT_LE(client->sends(), 301);
  EXPECT_TRUE(Eventually([&] { return hub.subscriber_count() == 0; }));
}

TEST_F(EventHubTest, ReplaysFromStoreAndMemoryWithoutGapsOrDuplicates) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames(), {.memory_events_per_run = 50});
  const auto events = PlainRun("r1", 210, 210);
  // The run log has 1..150; the hub has seen 1..200 and keeps the last 50.
  Store(events, 0, 150);
  Feed(hub, events, 0, 200);
  ASSERT_TRUE(Eventually([&] { return hub.memory_event_count() == 50; }));

  auto from_start = std::make_shared<FakeClient>();
  auto mid_store = std::make_shared<FakeClient>();   // after 120: store then memory
  auto mid_memory = std::make_shared<FakeClient>();  // after 170: memory only
  auto at_head = std::make_shared<FakeClient>();     // after 200: live only
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, from_start));
  ASSERT_TRUE(hub.SubscribeRun("r1", 120, mid_store));
  ASSERT_TRUE(hub.SubscribeRun("r1", 170, mid_memory));
  ASSERT_TRUE(hub.SubscribeRun("r1", 200, at_head));
  ASSERT_TRUE(Eventually([&] { return from_start->ids().size() == 200 && mid_store->ids().size() == 80; }));
  EXPECT_EQ(from_start->ids(), Range(1, 200));
  EXPECT_EQ(mid_store->ids(), Range(121, 200));
  ASSERT_TRUE(Eventually([&] { return mid_memory->ids().size() == 30 && at_head->sends() == 1; }));
  EXPECT_EQ(mid_memory->ids(), Range(171, 200));
  EXPECT_TRUE(at_head->ids().empty());

  Feed(hub, events, 200, 10);
  for (auto* client : {&from_start, &mid_store, &mid_memory, &at_head}) {
    ASSERT_TRUE(Eventually([&] { return (*client)->closed(); }));
  }
  EXPECT_EQ(from_start->ids(), Range(1, 210));
  EXPECT_EQ(mid_store->ids(), Range(121, 210));
  EXPECT_EQ(mid_memory->ids(), Range(171, 210));
  EXPECT_EQ(at_head->ids(), Range(201, 210));
  // Replayed frames are the very frames streamed live.
  std::string expected = "retry: 2000\n\n";
  for (const auto& e : events) expected += Frame(e);
  EXPECT_EQ(from_start->text(), expected);
}

TEST_F(EventHubTest, WaitsForTheStoreRatherThanSendingAGap) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames(), {.memory_events_per_run = 50});
  const auto events = PlainRun("r1", 200);
  Store(events, 0, 100);  // the run log lags: 101..150 are neither stored nor in memory
  Feed(hub, events, 0, 200);
  ASSERT_TRUE(Eventually([&] { return hub.memory_event_count() == 50; }));

  auto client = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, client));
  ASSERT_TRUE(Eventually([&] { return client->ids().size() == 100; }));
  std::this_thread::sleep_for(200ms);  // several store polls
  EXPECT_EQ(client->ids(), Range(1, 100));

  Store(events, 100, 50);  // the log catches up
  ASSERT_TRUE(Eventually([&] { return client->ids().size() == 200; }));
  EXPECT_EQ(client->ids(), Range(1, 200));
  EXPECT_FALSE(client->closed());
}

TEST_F(EventHubTest, FinishedRunReplaysFromStoreAndCloses) {
  CreateRun("done", RunState::kCompleted);
  const auto events = PlainRun("done", 20, 20);
  Store(events, 0, events.size());
  EventHub hub(*store_, http::SseFrames());

  struct Case {
    uint64_t after;
    std::vector<uint64_t> expected;
  };
  for (const Case& c : {Case{0, Range(1, 20)}, Case{7, Range(8, 20)}, Case{20, {}}, Case{25, {}}}) {
    auto client = std::make_shared<FakeClient>();
    ASSERT_TRUE(hub.SubscribeRun("done", c.after, client));
    ASSERT_TRUE(Eventually([&] { return client->closed(); })) << "after " << c.after;
    EXPECT_EQ(client->ids(), c.expected) << "after " << c.after;
    EXPECT_EQ(client->frames().front().retry, "2000");
    EXPECT_EQ(client->closes(), 1);
  }
  EXPECT_TRUE(Eventually([&] { return hub.subscriber_count() == 0; }));
}

TEST_F(EventHubTest, FinishedRunWithoutTerminalEventReplaysWhatIsStoredAndCloses) {
  CreateRun("crashed", RunState::kError);  // e.g. ended `interrupted` by recovery after a crash
  const auto events = PlainRun("crashed", 5);
  Store(events, 0, events.size());
  EventHub hub(*store_, http::SseFrames());
  auto client = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("crashed", 0, client));
  ASSERT_TRUE(Eventually([&] { return client->closed(); }));
  EXPECT_EQ(client->ids(), Range(1, 5));
}

TEST_F(EventHubTest, FinishedRunInMemoryReplaysAndCloses) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames());
  const auto events = PlainRun("r1", 30, 30);
  Feed(hub, events, 0, events.size());
  ASSERT_TRUE(Eventually([&] { return hub.memory_event_count() == 30; }));
  for (uint64_t after : {0u, 29u, 30u}) {
    auto client = std::make_shared<FakeClient>();
    ASSERT_TRUE(hub.SubscribeRun("r1", after, client));
    ASSERT_TRUE(Eventually([&] { return client->closed(); }));
    EXPECT_EQ(client->ids(), after < 30 ? Range(after + 1, 30) : std::vector<uint64_t>{});
  }
}

TEST_F(EventHubTest, HeartbeatsAfterSilence) {
  CreateRun("r1");
  EventHub hub(*store_, http::SseFrames(), {.heartbeat = 1s, .retry_hint = 500ms});
  auto run_client = std::make_shared<FakeClient>();
  auto all_client = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, run_client));
  hub.SubscribeAll(all_client);
  for (auto* client : {&run_client, &all_client}) {
    ASSERT_TRUE(Eventually([&] { return (*client)->text().find(": heartbeat\n\n") != std::string::npos; }));
    const auto frames = (*client)->frames();
    EXPECT_EQ(frames.front().retry, "500");
    EXPECT_EQ(frames.back().comment, "heartbeat");
  }
  EXPECT_FALSE(run_client->closed());
}

TEST_F(EventHubTest, SlowClientGetsConflatedBatchesThatKeepStageTickerAndTerminalEvents) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames(), {.conflate_above_bytes = 1024});
  std::vector<ProgressEvent> events;
  auto add = [&](EventType type, bool passed = false) {
    events.push_back(MakeEvent("r1", events.size() + 1, type, passed));
  };
  add(EventType::kStarted);
  for (int i = 0; i < 40; ++i) add(EventType::kProgress);
  add(EventType::kTickerCompleted, true);  // 42: passed → kept
  for (int i = 0; i < 10; ++i) add(EventType::kTickerCompleted);
  add(EventType::kStageCompleted);  // 53
  for (int i = 0; i < 40; ++i) add(EventType::kProgress);
  add(EventType::kTickerCompleted, true);  // 94
  add(EventType::kTickerCompleted);        // 95: the latest plain one
  add(EventType::kProgress);               // 96: the latest progress
  add(EventType::kCompleted);              // 97
  Feed(hub, events, 0, events.size());
  ASSERT_TRUE(Eventually([&] { return hub.memory_event_count() == events.size(); }));

  // A client with 100 KB not yet written gets the whole run in one conflated batch.
  auto slow = std::make_shared<FakeClient>();
  slow->set_pending(100 << 10);
  auto fast = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, slow));
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, fast));
  ASSERT_TRUE(Eventually([&] { return slow->closed() && fast->closed(); }));
  EXPECT_EQ(slow->ids(), (std::vector<uint64_t>{1, 42, 53, 94, 95, 96, 97}));
  EXPECT_EQ(fast->ids(), Range(1, 97));
}

TEST_F(EventHubTest, SlowClientConflatesLiveProgressButNeverLosesKeyEvents) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames(), {.batch_interval = 50ms, .conflate_above_bytes = 1024});
  auto slow = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, slow));
  ASSERT_TRUE(Eventually([&] { return slow->sends() == 1; }));
  slow->set_pending(100 << 10);
  uint64_t seq = 0;
  std::vector<uint64_t> key;
  auto emit = [&](EventType type, bool passed = false) {
    hub.OnEvent(MakeEvent("r1", ++seq, type, passed));
    if (type != EventType::kProgress && !(type == EventType::kTickerCompleted && !passed)) key.push_back(seq);
  };
  emit(EventType::kStarted);
  for (int stage = 0; stage < 3; ++stage) {
    for (int i = 0; i < 200; ++i) emit(EventType::kProgress);
    emit(EventType::kTickerCompleted, true);
    emit(EventType::kStageCompleted);
  }
  emit(EventType::kProgress);
  const uint64_t last_progress = seq;
  emit(EventType::kCompleted);
  ASSERT_TRUE(Eventually([&] { return slow->closed(); }));

  const auto ids = slow->ids();
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  for (uint64_t k : key) EXPECT_NE(std::find(ids.begin(), ids.end(), k), ids.end()) << "missing " << k;
  EXPECT_NE(std::find(ids.begin(), ids.end(), last_progress), ids.end());
  // At most one progress event per batch.
  const size_t progress = slow->frames_of("progress").size();
  EXPECT_LE(progress, static_cast<size_t>(slow->sends()));
  EXPECT_LT(progress, 601u);
}

TEST_F(EventHubTest, SlowClientCatchingUpFromTheStoreIsPausedNotConflated) {
  CreateRun("done", RunState::kCompleted);
  const auto events = PlainRun("done", 300, 300);
  Store(events, 0, events.size());
  EventHub hub(*store_, http::SseFrames(), {.conflate_above_bytes = 1024});
  auto client = std::make_shared<FakeClient>();
  client->set_pending(100 << 10);
  ASSERT_TRUE(hub.SubscribeRun("done", 0, client));
  ASSERT_TRUE(Eventually([&] { return client->sends() == 1; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(client->ids().empty());  // paused until it drains
  client->set_pending(0);
  ASSERT_TRUE(Eventually([&] { return client->closed(); }));
  EXPECT_EQ(client->ids(), Range(1, 300));
}

TEST_F(EventHubTest, StuckClientIsDisconnectedWhileOthersGetEverythingAndMemoryStaysBounded) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames(), {.memory_events_per_run = 100,
                         .batch_interval = 2ms,
                         .max_pending_bytes = 64 << 10,
                         .conflate_above_bytes = 16 << 10,
                         .heartbeat = 1s});
  auto stuck = std::make_shared<FakeClient>();
  stuck->set_stuck();
  auto healthy = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, stuck));
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, healthy));

  // Passing tickers are never conflated away, so the stuck client's backlog keeps growing.
  std::vector<ProgressEvent> events;
  for (uint64_t seq = 1; seq <= 2000; ++seq) {
    events.push_back(MakeEvent("r1", seq, seq == 1 ? EventType::kStarted : EventType::kTickerCompleted, true));
  }
  for (size_t i = 0; i < events.size(); i += 20) {
    Store(events, i, 20);  // as the run log would
    Feed(hub, events, i, 20);
    std::this_thread::sleep_for(1ms);
    EXPECT_LE(hub.memory_event_count(), 100u);
  }
  ASSERT_TRUE(Eventually([&] { return stuck->closed(); }));
  EXPECT_EQ(stuck->closes(), 1);
  ASSERT_TRUE(Eventually([&] { return healthy->ids().size() == 2000; }));
  EXPECT_EQ(healthy->ids(), Range(1, 2000));
  EXPECT_EQ(hub.subscriber_count(), 1u);
  EXPECT_LE(hub.memory_event_count(), 100u);

  // The browser reconnects with Last-Event-ID and loses nothing.
  const auto seen = stuck->ids();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen, Range(1, seen.back()));  // passing tickers only: never conflated
  auto again = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", seen.back(), again));
  const ProgressEvent done = MakeEvent("r1", 2001, EventType::kCompleted);
  ASSERT_TRUE(store_->AppendEvents(std::span(&done, 1)).ok());
  hub.OnEvent(done);
  ASSERT_TRUE(Eventually([&] { return again->closed() && healthy->closed(); }));
  EXPECT_EQ(again->ids(), Range(seen.back() + 1, 2001));
}

TEST_F(EventHubTest, ClientThatIsGoneIsDropped) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames());
  auto client = std::make_shared<FakeClient>();
  client->set_gone();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, client));
  ASSERT_TRUE(Eventually([&] { return hub.subscriber_count() == 0; }));
  EXPECT_FALSE(client->closed());
}

TEST_F(EventHubTest, UnsubscribeEndsCallsAndReleasesTheClient) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames());
  auto client = std::make_shared<FakeClient>();
  auto id = hub.SubscribeRun("r1", 0, client);
  ASSERT_TRUE(id);
  ASSERT_TRUE(Eventually([&] { return client->sends() == 1; }));
  hub.Unsubscribe(*id);
  EXPECT_EQ(hub.subscriber_count(), 0u);
  EXPECT_EQ(client.use_count(), 1);
  const int sends = client->sends();
  const auto events = PlainRun("r1", 10, 10);
  Feed(hub, events, 0, events.size());
  ASSERT_TRUE(Eventually([&] { return hub.memory_event_count() == 10; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(client->sends(), sends);
  EXPECT_FALSE(client->closed());
  hub.Unsubscribe(*id);  // again: ignored
  hub.Unsubscribe(12345);
}

rapidjson::Document ParseJson(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

TEST_F(EventHubTest, LifecycleStreamGetsSnapshotThenRunChanges) {
  RunRecord a = CreateRun("a", RunState::kQueued, 1);
  RunRecord b = CreateRun("b", RunState::kQueued, 2);
  RunRecord old = CreateRun("old", RunState::kCompleted, 0);
  EventHub hub(*store_, http::SseFrames());
  hub.OnRunChanged(old);
  hub.OnRunChanged(b);
  hub.OnRunChanged(a);
  b.status = RunState::kRunning;
  b.started_at = At(1000);
  hub.OnRunChanged(b);

  auto client = std::make_shared<FakeClient>();
  hub.SubscribeAll(client);
  ASSERT_TRUE(Eventually([&] { return !client->frames_of("snapshot").empty(); }));
  auto frames = client->frames();
  EXPECT_EQ(frames.front().retry, "2000");
  auto snapshot = ParseJson(client->frames_of("snapshot").front().data);
  ASSERT_TRUE(snapshot["runs"].IsArray());
  ASSERT_EQ(snapshot["runs"].Size(), 2u);  // active only, oldest first
  EXPECT_STREQ(snapshot["runs"][0]["run_id"].GetString(), "a");
  EXPECT_STREQ(snapshot["runs"][0]["status"].GetString(), "queued");
  EXPECT_STREQ(snapshot["runs"][1]["run_id"].GetString(), "b");
  EXPECT_STREQ(snapshot["runs"][1]["status"].GetString(), "running");
  EXPECT_TRUE(client->frames_of("run").empty());

  // A change is a frame.
  a.status = RunState::kCancelled;
  a.error_code = "user";
  a.error_message = "cancelled";
  hub.OnRunChanged(a);
  ASSERT_TRUE(Eventually([&] { return client->frames_of("run").size() == 1; }));
  auto changed = ParseJson(client->frames_of("run")[0].data);
  EXPECT_STREQ(changed["run_id"].GetString(), "a");
  EXPECT_STREQ(changed["status"].GetString(), "cancelled");
  EXPECT_STREQ(changed["error"]["code"].GetString(), "user");
  EXPECT_TRUE(client->frames()[2].id.empty());  // lifecycle frames carry no id

  // Progress from b's events shows up (throttled) without a change.
  hub.OnEvent(MakeEvent("b", 1, EventType::kStarted));
  for (uint64_t seq = 2; seq <= 40; ++seq) hub.OnEvent(MakeEvent("b", seq, EventType::kProgress));
  ASSERT_TRUE(Eventually([&] {
    auto runs = client->frames_of("run");
    return ParseJson(runs.back().data)["completed_items"].GetInt64() == 40;
  }));
  auto progressed = ParseJson(client->frames_of("run").back().data);
  EXPECT_STREQ(progressed["run_id"].GetString(), "b");
  EXPECT_STREQ(progressed["status"].GetString(), "running");
  EXPECT_EQ(progressed["passed_count"].GetInt64(), 4);
  EXPECT_STREQ(progressed["current_stage"].GetString(), "analysis");
  EXPECT_LE(client->frames_of("run").size(), 40u);

  // The run ends; a new subscriber's snapshot no longer lists it.
  b.status = RunState::kCompleted;
  b.finished_at = At(5000);
  b.completed_items = 40;
  hub.OnRunChanged(b);
  ASSERT_TRUE(Eventually([&] {
    return ParseJson(client->frames_of("run").back().data)["status"].GetString() == std::string("completed");
  }));
  auto later = std::make_shared<FakeClient>();
  hub.SubscribeAll(later);
  ASSERT_TRUE(Eventually([&] { return !later->frames_of("snapshot").empty(); }));
  EXPECT_EQ(ParseJson(later->frames_of("snapshot").front().data)["runs"].Size(), 0u);
  EXPECT_FALSE(client->closed());
  EXPECT_EQ(hub.subscriber_count(), 2u);
}

TEST_F(EventHubTest, LifecycleStreamLearnsRunsFromTheirEvents) {
  CreateRun("cli-less", RunState::kQueued, 5);
  EventHub hub(*store_, http::SseFrames());
  hub.OnEvent(MakeEvent("cli-less", 1, EventType::kStarted));
  auto client = std::make_shared<FakeClient>();
  ASSERT_TRUE(Eventually([&] { return hub.memory_event_count() == 1; }));
  hub.SubscribeAll(client);
  ASSERT_TRUE(Eventually([&] { return !client->frames_of("snapshot").empty(); }));
  auto snapshot = ParseJson(client->frames_of("snapshot").front().data);
  ASSERT_EQ(snapshot["runs"].Size(), 1u);
  EXPECT_STREQ(snapshot["runs"][0]["status"].GetString(), "running");
  EXPECT_STREQ(snapshot["runs"][0]["strategy_code"].GetString(), "sma_trend");

  hub.OnEvent(MakeEvent("cli-less", 2, EventType::kCompleted));
  ASSERT_TRUE(Eventually([&] {
    auto runs = client->frames_of("run");
    return !runs.empty() && ParseJson(runs.back().data)["status"].GetString() == std::string("completed");
  }));
}

TEST_F(EventHubTest, ShutdownSendsWhatIsPendingAndClosesEveryStream) {
  CreateRun("r1", RunState::kRunning);
  CreateRun("r2");
  EventHub hub(*store_, http::SseFrames(), {.batch_interval = 200ms});
  std::vector<std::shared_ptr<FakeClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_shared<FakeClient>());
    ASSERT_TRUE(hub.SubscribeRun(i == 2 ? "r2" : "r1", 0, clients.back()));
  }
  clients.push_back(std::make_shared<FakeClient>());
  hub.SubscribeAll(clients.back());
  const auto events = PlainRun("r1", 25);
  Feed(hub, events, 0, events.size());
  hub.Shutdown();
  for (const auto& client : clients) EXPECT_EQ(client->closes(), 1);
  EXPECT_EQ(clients[0]->ids(), Range(1, 25));
  EXPECT_EQ(clients[1]->ids(), Range(1, 25));
  EXPECT_TRUE(clients[2]->ids().empty());
  EXPECT_EQ(clients[3]->frames_of("snapshot").size(), 1u);
  EXPECT_EQ(hub.subscriber_count(), 0u);

  hub.Shutdown();  // idempotent
  auto late = hub.SubscribeRun("r1", 0, std::make_shared<FakeClient>());
  ASSERT_FALSE(late);
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  auto late_all = std::make_shared<FakeClient>();
  hub.SubscribeAll(late_all);
  EXPECT_EQ(late_all->closes(), 1);
  EXPECT_EQ(hub.subscriber_count(), 0u);
  hub.OnEvent(MakeEvent("r1", 26, EventType::kProgress));  // ignored
  for (const auto& client : clients) EXPECT_EQ(client->closes(), 1);
}

TEST_F(EventHubTest, AResumePastKMaxResumeSeqIsRefusedAndOneUpToItEndsOnAFinishedRun) {
  CreateRun("done", RunState::kCompleted);
  const auto events = PlainRun("done", 5, 5);
  Store(events, 0, events.size());
  EventHub hub(*store_, http::SseFrames());
  for (uint64_t after : {kMaxResumeSeq + 1, UINT64_MAX}) {
    auto id = hub.SubscribeRun("done", after, std::make_shared<FakeClient>());
    ASSERT_FALSE(id) << after;
    EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(hub.subscriber_count(), 0u);
  // From the store, and (after the run's events reach memory) from memory.
  for (bool in_memory : {false, true}) {
    if (in_memory) {
      Feed(hub, events, 0, events.size());
      ASSERT_TRUE(Eventually([&] { return hub.memory_event_count() == 5; }));
    }
    for (uint64_t after : {uint64_t{6}, uint64_t{1000000}, kMaxResumeSeq}) {
      auto client = std::make_shared<FakeClient>();
      ASSERT_TRUE(hub.SubscribeRun("done", after, client));
      ASSERT_TRUE(Eventually([&] { return client->closed(); })) << after << (in_memory ? " memory" : " store");
      EXPECT_TRUE(client->ids().empty());
    }
  }
  EXPECT_TRUE(Eventually([&] { return hub.subscriber_count() == 0; }));
}

TEST_F(EventHubTest, AnnouncedShutdownReachesEveryLifecycleStreamOnce) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames());
  auto before = std::make_shared<FakeClient>();
  hub.SubscribeAll(before);
  auto run_stream = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, run_stream));
  ASSERT_TRUE(Eventually([&] { return !before->frames_of("snapshot").empty(); }));
  hub.AnnounceShutdown(std::chrono::seconds(7));
  hub.AnnounceShutdown(std::chrono::seconds(99));  // the first call counts
  const std::string expected = R"({"state":"shutting_down","grace_seconds":7})";
  ASSERT_TRUE(Eventually([&] { return !before->frames_of("server").empty(); }));
  EXPECT_EQ(before->frames_of("server").front().data, expected);
  auto after = std::make_shared<FakeClient>();
  hub.SubscribeAll(after);
  ASSERT_TRUE(Eventually([&] { return !after->frames_of("server").empty(); }));
  auto frames = after->frames();
  ASSERT_GE(frames.size(), 3u);
  EXPECT_EQ(frames[1].event, "snapshot");
  EXPECT_EQ(frames[2].event, "server");
  EXPECT_EQ(frames[2].data, expected);
  hub.OnEvent(MakeEvent("r1", 1, EventType::kStarted));
  ASSERT_TRUE(Eventually([&] { return run_stream->ids().size() == 1; }));
  EXPECT_TRUE(run_stream->frames_of("server").empty()) << "run streams are not told";
  EXPECT_FALSE(before->closed());
  hub.Shutdown();
  EXPECT_EQ(before->frames_of("server").size(), 1u);
  EXPECT_EQ(after->frames_of("server").size(), 1u);
  EXPECT_EQ(before->closes(), 1);
}

TEST_F(EventHubTest, FiveHundredSubscribersAllReceiveEveryEvent) {
  CreateRun("r1");
  EventHub hub(*store_, http::SseFrames());
  std::vector<std::shared_ptr<FakeClient>> clients;
  for (int i = 0; i < 500; ++i) {
    clients.push_back(std::make_shared<FakeClient>());
    ASSERT_TRUE(hub.SubscribeRun("r1", 0, clients.back()));
  }
  const auto events = PlainRun("r1", 400, 400);
  std::string expected = "retry: 2000\n\n";
  for (const auto& e : events) expected += Frame(e);
  std::thread emitter([&] {
    for (const auto& e : events) {
      hub.OnEvent(e);
      if (e.seq % 100 == 0) std::this_thread::sleep_for(2ms);
    }
  });
  emitter.join();
  for (const auto& client : clients) {
    ASSERT_TRUE(Eventually([&] { return client->closed(); }));
    EXPECT_EQ(client->text(), expected);
    EXPECT_EQ(client->closes(), 1);
  }
  EXPECT_TRUE(Eventually([&] { return hub.subscriber_count() == 0; }));
}

TEST_F(EventHubTest, StreamsEndAfterMaxLifetime) {
  CreateRun("r1", RunState::kRunning);
  EventHub hub(*store_, http::SseFrames(), {.max_stream_lifetime = 1s});
  auto client = std::make_shared<FakeClient>();
  ASSERT_TRUE(hub.SubscribeRun("r1", 0, client));
  hub.OnEvent(MakeEvent("r1", 1, EventType::kStarted));
  ASSERT_TRUE(Eventually([&] { return client->closed(); }));
  EXPECT_EQ(client->ids(), Range(1, 1));
}

}  // namespace
}  // namespace stratrun
