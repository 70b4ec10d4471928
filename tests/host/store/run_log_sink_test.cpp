// RunLogSink over every real store (an SQLite file, a PostgreSQL database): everything a
// run emits is durable after its terminal event, on Flush() and on destruction; the
// strategy_run row follows the run; a store that refuses or holds back writes for a while
// loses nothing.
#include "store/run_log_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/store_backends.h"
#include "support/test_support.h"

namespace stratrun {
namespace {

using testing::StoreBackend;
using testing::StoreLocation;
using testing::WriteBlocker;
using TimePoint = std::chrono::system_clock::time_point;

constexpr int64_t kStartMs = 1768473000000;  // 2026-01-15T10:30:00.000Z
constexpr auto kLongTime = std::chrono::hours(1);

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(kStartMs + ms)); }

/// Emits events like a run does: seq from 1, a millisecond apart.
class FakeRun {
 public:
  FakeRun(ProgressSink& sink, std::string run_id) : sink_(sink), run_id_(std::move(run_id)) {}

  ProgressEvent Emit(EventType type, std::optional<int64_t> completed = std::nullopt, int64_t total = 1000) {
    ProgressEvent e;
    e.seq = ++seq_;
    e.type = type;
    e.timestamp = At(static_cast<int64_t>(seq_));
    e.run_id = run_id_;
    e.stage = "analysis";
    if (completed) {
      e.completed_items = completed;
      e.total_items = total;
      e.progress_percent = 100.0 * static_cast<double>(*completed) / static_cast<double>(total);
      e.current_item = "T" + std::to_string(*completed);
    }
    e.message = std::string(EventTypeName(type));
    sink_.OnEvent(e);
    return e;
  }

  void Result(const std::string& ticker, double score, bool passed) {
    ResultRow row;
    row.ticker = ticker;
    row.score = score;
    row.passed = passed;
    row.metrics = {{"rsi", score / 2}};
    sink_.OnResult(run_id_, row);
  }

  uint64_t seq() const { return seq_; }

 private:
  ProgressSink& sink_;
  std::string run_id_;
  uint64_t seq_ = 0;
};

class RunLogSinkTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(where_.ok()) << where_.error();
    auto opened = RunStore::Open(where_.location());
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(*opened);
    run_.run_id = "run-1";
    run_.strategy_code = "bullish_breakout";
    run_.created_at = At(-1000);
  }

  RunRecord Stored() {
    auto run = store_->GetRun(run_.run_id);
    EXPECT_TRUE(run.ok() && run->has_value());
    return run.ok() && run->has_value() ? **run : RunRecord{};
  }

  StoreLocation where_{GetParam()};
  std::unique_ptr<RunStore> store_;
  RunRecord run_;
};

TEST_P(RunLogSinkTest, AThousandEventsAndRowsAreDurableWhenTheTerminalEventReturns) {
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  RunLogSink sink(*store_, run_);
  FakeRun run(sink, run_.run_id);

  const auto before = std::chrono::steady_clock::now();
  const ProgressEvent started = run.Emit(EventType::kStarted, 0);
  for (int i = 1; i <= 1000; ++i) {
    run.Emit(EventType::kTickerCompleted, i);
    run.Result("T" + std::to_string(i), i, i % 4 == 0);
  }
  const auto enqueued = std::chrono::steady_clock::now();
  const ProgressEvent done = run.Emit(EventType::kCompleted, 1000);
  // Measured, not asserted: what the sink costs the plugin's thread.
  RecordProperty("enqueue_us_per_2000_items",
                 static_cast<int>(std::chrono::duration_cast<std::chrono::microseconds>(enqueued - before).count()));

  // No Flush, no destruction: the terminal event alone made everything durable.
  auto events = store_->Events(run_.run_id);
  ASSERT_TRUE(events.ok()) << events.status().message();
  ASSERT_EQ(events->size(), 1002u);
  for (size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].seq, i + 1);
  EXPECT_EQ(events->back().json, ToJson(done));
  EXPECT_EQ(*store_->CountResults(run_.run_id, false), 1000);
  EXPECT_EQ(*store_->CountResults(run_.run_id, true), 250);

  const RunRecord stored = Stored();
  EXPECT_EQ(stored.status, RunState::kCompleted);
  EXPECT_EQ(stored.started_at, started.timestamp);
  EXPECT_EQ(stored.finished_at, done.timestamp);
  EXPECT_EQ(stored.total_items, 1000);
  EXPECT_EQ(stored.completed_items, 1000);
  EXPECT_DOUBLE_EQ(stored.progress_percent, 100.0);
  EXPECT_EQ(stored.current_stage, "analysis");
  EXPECT_EQ(stored.result_count, 1000);
  EXPECT_EQ(stored.passed_count, 250);
  EXPECT_TRUE(stored.error_code.empty());
  EXPECT_TRUE(stored.error_message.empty());
  EXPECT_EQ(stored.created_at, run_.created_at);  // the caller's fields are kept
  EXPECT_EQ(stored.strategy_code, "bullish_breakout");
}

TEST_P(RunLogSinkTest, AnErrorEndRecordsItsCodeAndMessage) {
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  RunLogSink sink(*store_, run_);
  FakeRun run(sink, run_.run_id);
  run.Emit(EventType::kStarted, 0);
  run.Emit(EventType::kTickerCompleted, 1);
  ProgressEvent error;
  error.seq = run.seq() + 1;
  error.type = EventType::kError;
  error.timestamp = At(500);
  error.run_id = run_.run_id;
  error.error_code = "timeout";
  error.message = "run exceeded 1800 s";
  sink.OnEvent(error);

  const RunRecord stored = Stored();
  EXPECT_EQ(stored.status, RunState::kError);
  EXPECT_EQ(stored.error_code, "timeout");
  EXPECT_EQ(stored.error_message, "run exceeded 1800 s");
  EXPECT_EQ(stored.finished_at, At(500));
  EXPECT_EQ(stored.completed_items, 1);
  EXPECT_EQ(*store_->LastSeq(run_.run_id), 3u);
}

TEST_P(RunLogSinkTest, ACancelledEndRecordsTheReason) {
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  RunLogSink sink(*store_, run_);
  FakeRun run(sink, run_.run_id);
  run.Emit(EventType::kStarted, 0);
  ProgressEvent cancelled;
  cancelled.seq = 2;
  cancelled.type = EventType::kCancelled;
  cancelled.timestamp = At(42);
  cancelled.run_id = run_.run_id;
  cancelled.message = "cancelled by user";
  sink.OnEvent(cancelled);

  const RunRecord stored = Stored();
  EXPECT_EQ(stored.status, RunState::kCancelled);
  EXPECT_EQ(stored.error_message, "cancelled by user");
  EXPECT_EQ(stored.finished_at, At(42));
}

TEST_P(RunLogSinkTest, FlushMakesEverythingSoFarDurableMidRun) {
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  RunLogSink sink(*store_, run_, {.flush_interval = kLongTime, .batch_size = 100000});
  FakeRun run(sink, run_.run_id);
  run.Emit(EventType::kStarted, 0);
  for (int i = 1; i <= 10; ++i) {
    run.Emit(EventType::kTickerCompleted, i);
    run.Result("T" + std::to_string(i), i, true);
  }
  ASSERT_TRUE(sink.Flush().ok());
  EXPECT_EQ(*store_->LastSeq(run_.run_id), 11u);
  EXPECT_EQ(*store_->CountResults(run_.run_id, false), 10);
  const RunRecord stored = Stored();
  EXPECT_EQ(stored.status, RunState::kRunning);
  EXPECT_EQ(stored.completed_items, 10);
  EXPECT_FALSE(stored.finished_at.has_value());

  run.Emit(EventType::kTickerCompleted, 11);
  ASSERT_TRUE(sink.Flush().ok());
  EXPECT_EQ(*store_->LastSeq(run_.run_id), 12u);
  ASSERT_TRUE(sink.Flush().ok());  // nothing new: returns at once
}

TEST_P(RunLogSinkTest, DestructionFlushes) {
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  {
    RunLogSink sink(*store_, run_, {.flush_interval = kLongTime, .batch_size = 100000});
    FakeRun run(sink, run_.run_id);
    run.Emit(EventType::kStarted, 0);
    for (int i = 1; i <= 300; ++i) {
      run.Emit(EventType::kTickerCompleted, i);
      run.Result("T" + std::to_string(i), i, i <= 7);
    }
  }
  EXPECT_EQ(*store_->LastSeq(run_.run_id), 301u);
  EXPECT_EQ(*store_->CountResults(run_.run_id, false), 300);
  const RunRecord stored = Stored();
  EXPECT_EQ(stored.completed_items, 300);
  EXPECT_EQ(stored.passed_count, 7);
  EXPECT_EQ(stored.status, RunState::kRunning);  // no terminal event arrived
}

TEST_P(RunLogSinkTest, AFullBatchIsWrittenWithoutWaitingForTheInterval) {
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  RunLogSink sink(*store_, run_, {.flush_interval = kLongTime, .batch_size = 10});
  FakeRun run(sink, run_.run_id);
  for (int i = 1; i <= 25; ++i) run.Emit(EventType::kTickerCompleted, i);
  // Polled, not timed: the writer must get there on its own, without Flush(), until fewer
  // than a batch is left waiting (where batches are cut depends on when the writer wakes).
  uint64_t last = 0;
  for (int tries = 0; tries < 3000 && 25 - last >= 10; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    last = *store_->LastSeq(run_.run_id);
  }
  EXPECT_LT(25 - last, 10u) << "a full batch waited for the interval";
}

TEST_P(RunLogSinkTest, WritesRefusedForAWhileAreRetriedAndNothingIsLost) {
  // The run row does not exist yet, so every batch fails until it is created.
  RunLogSink sink(*store_, run_, {.flush_interval = std::chrono::milliseconds(5)});
  FakeRun run(sink, run_.run_id);
  run.Emit(EventType::kStarted, 0);
  for (int i = 1; i <= 50; ++i) {
    run.Emit(EventType::kTickerCompleted, i);
    run.Result("T" + std::to_string(i), i, true);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // some failed attempts
  EXPECT_EQ(*store_->LastSeq(run_.run_id), 0u);
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  ASSERT_TRUE(sink.Flush().ok());
  EXPECT_EQ(*store_->LastSeq(run_.run_id), 51u);
  EXPECT_EQ(*store_->CountResults(run_.run_id, false), 50);
  EXPECT_EQ(Stored().result_count, 50);
}

TEST_P(RunLogSinkTest, AnotherProcessHoldingWritesBackDelaysButLosesNothing) {
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  auto lock = WriteBlocker::Hold(where_, run_.run_id);
  ASSERT_TRUE(lock.ok()) << lock.status().message();

  RunLogSink sink(*store_, run_, {.flush_interval = std::chrono::milliseconds(5)});
  FakeRun run(sink, run_.run_id);
  run.Emit(EventType::kStarted, 0);
  for (int i = 1; i <= 100; ++i) {
    run.Emit(EventType::kTickerCompleted, i);
    run.Result("T" + std::to_string(i), i, false);
  }
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE((*lock)->Release().ok());
  });
  run.Emit(EventType::kCompleted, 100);  // waits for the lock
  releaser.join();
  EXPECT_EQ(*store_->LastSeq(run_.run_id), 102u);
  EXPECT_EQ(*store_->CountResults(run_.run_id, false), 100);
  EXPECT_EQ(Stored().status, RunState::kCompleted);
}

TEST_P(RunLogSinkTest, ARunFloodingFasterThanTheDiskIsHeldBackAndMemoryStaysBounded) {
  ASSERT_TRUE(store_->CreateRun(run_).ok());
  // Another process holds the run's writes back: nothing can be committed until it lets
  // go, so a run that keeps emitting must be held back at the queue's bound.
  auto lock = WriteBlocker::Hold(where_, run_.run_id);
  ASSERT_TRUE(lock.ok()) << lock.status().message();

  constexpr size_t kCap = 256u << 10;
  constexpr int kEvents = 5000;  // ≈ 10 MB of messages: 40 × the bound
  RunLogSink sink(*store_, run_, {.flush_interval = std::chrono::milliseconds(5), .max_queued_bytes = kCap});
  std::atomic<int> emitted{0};
  std::thread plugin([&] {
    for (int i = 1; i <= kEvents; ++i) {
      ProgressEvent e;
      e.seq = static_cast<uint64_t>(i);
      e.type = i == 1 ? EventType::kStarted : i == kEvents ? EventType::kCompleted : EventType::kProgress;
      e.timestamp = At(i);
      e.run_id = run_.run_id;
      e.message = std::string(2000, 'x');
      sink.OnEvent(e);
      emitted = i;
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sink.push_backs() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GT(sink.push_backs(), 0u) << "the run was never held back";
  const int held_at = emitted.load();
  EXPECT_LT(held_at, kEvents / 4) << "the run went on while nothing could be written";
  EXPECT_TRUE((*lock)->Release().ok());
  plugin.join();

  EXPECT_LE(sink.peak_queued_bytes(), kCap + 4096) << "the queue held more than its bound (plus one event)";
  auto events = store_->Events(run_.run_id);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), static_cast<size_t>(kEvents)) << "nothing is dropped";
  for (size_t i = 0; i < events->size(); ++i) ASSERT_EQ((*events)[i].seq, i + 1);
  EXPECT_EQ(Stored().status, RunState::kCompleted);
}

TEST_P(RunLogSinkTest, ALiveViewerIsShownOnlyWhatTheLogKeeps) {
  // No run row yet: every batch fails, so nothing may reach the viewer.
  testing::RecordingSink viewer;
  RunLogSink sink(*store_, run_, {.flush_interval = std::chrono::milliseconds(1)}, &viewer);
  FakeRun run(sink, run_.run_id);
  run.Emit(EventType::kStarted, 0);
  for (int i = 1; i <= 50; ++i) {
    run.Result("T" + std::to_string(i), i, i % 2 == 0);
    run.Emit(EventType::kTickerCompleted, i);
  }
  EXPECT_TRUE(viewer.events().empty()) << "shown before it was durable";
  EXPECT_TRUE(viewer.results().empty());

  ASSERT_TRUE(store_->CreateRun(run_).ok());
  std::atomic<bool> done{false};
  std::thread watcher([&] {  // at every moment: what was shown is in the log
    while (!done) {
      const size_t shown = viewer.events().size();
      const size_t shown_rows = viewer.results().size();
      EXPECT_LE(shown, *store_->LastSeq(run_.run_id));
      EXPECT_LE(static_cast<int64_t>(shown_rows), *store_->CountResults(run_.run_id, false));
    }
  });
  for (int i = 51; i <= 300; ++i) {
    run.Result("T" + std::to_string(i), i, false);
    run.Emit(EventType::kTickerCompleted, i);
  }
  run.Emit(EventType::kCompleted, 300);  // returns once the viewer has it
  done = true;
  watcher.join();

  const auto shown = viewer.events();
  ASSERT_EQ(shown.size(), run.seq());
  for (size_t i = 0; i < shown.size(); ++i) EXPECT_EQ(shown[i].seq, i + 1) << "in order, each once";
  EXPECT_EQ(shown.back().type, EventType::kCompleted);
  EXPECT_EQ(viewer.results().size(), 300u);
}

TEST_P(RunLogSinkTest, SeveralRunsLogConcurrentlyThroughOneStore) {
  std::vector<std::thread> threads;
  for (int r = 0; r < 4; ++r) {
    RunRecord record = run_;
    record.run_id = "run-" + std::to_string(r);
    ASSERT_TRUE(store_->CreateRun(record).ok());
    threads.emplace_back([this, record] {
      RunLogSink sink(*store_, record, {.flush_interval = std::chrono::milliseconds(1), .batch_size = 16});
      FakeRun run(sink, record.run_id);
      run.Emit(EventType::kStarted, 0);
      for (int i = 1; i <= 200; ++i) {
        run.Emit(EventType::kTickerCompleted, i, 200);
        run.Result("T" + std::to_string(i), i, i % 2 == 0);
      }
      run.Emit(EventType::kCompleted, 200, 200);
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < 4; ++r) {
    const std::string id = "run-" + std::to_string(r);
    EXPECT_EQ(*store_->LastSeq(id), 202u);
    EXPECT_EQ(*store_->CountResults(id, false), 200);
    auto stored = store_->GetRun(id);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->status, RunState::kCompleted);
    EXPECT_EQ((*stored)->passed_count, 100);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, RunLogSinkTest, testing::kAllStoreBackends, testing::StoreBackendName);

}  // namespace
}  // namespace stratrun
