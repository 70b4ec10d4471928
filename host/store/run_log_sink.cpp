#include "store/run_log_sink.h"

#include <algorithm>
#include <iterator>

#include "common/logging.h"

namespace stratrun {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kFirstRetryDelay{50};
constexpr std::chrono::milliseconds kMaxRetryDelay{1000};

template <typename T>
void MoveAppend(std::vector<T>& to, std::vector<T>& from) {
  if (to.empty()) {
    to.swap(from);  // `from` keeps `to`'s (cleared) capacity for the next items
  } else {
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    from.clear();
  }
}

/// A zero interval or batch size would make the writer spin: both are at least 1.
RunLogSinkOptions Sane(RunLogSinkOptions options) {
  options.flush_interval = std::max(options.flush_interval, std::chrono::milliseconds(1));
  options.batch_size = std::max<size_t>(options.batch_size, 1);
  options.max_queued_bytes = std::max<size_t>(options.max_queued_bytes, 1);
  return options;
}

/// What an item holds in memory, near enough for a bound.
}  // namespace

RunLogSink::RunLogSink(RunStore& store, RunRecord run, Options options, ProgressSink* committed)
    : store_(store), committed_(committed), options_(Sane(options)), run_id_(run.run_id), run_(std::move(run)) {
  events_.reserve(std::min<size_t>(options_.batch_size, 4096));
  rows_.reserve(std::min<size_t>(options_.batch_size, 4096));
  writer_ = std::thread([this] { WriterLoop(); });
}

RunLogSink::~RunLogSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    flush_wanted_ = received_;
  }
  wake_writer_.notify_one();
  room_.notify_all();
  writer_.join();
}

void RunLogSink::OnEvent(const ProgressEvent& event) noexcept {
  bool terminal = false;
  try {
    std::unique_lock lock(mutex_);
    const bool was_idle = events_.empty() && rows_.empty();
    events_.push_back(event);
    ++received_;
    terminal = IsTerminal(event.type);
    const bool first = received_ == 1;
    const bool full = events_.size() + rows_.size() == options_.batch_size;
    if (first) flush_wanted_ = std::max(flush_wanted_, received_);  // show "running" promptly
    if (was_idle || full) wake_writer_.notify_one();
    Queued(lock, MemoryBytes(event));
  } catch (const std::exception& e) {
    Logger("store")->error("run {}: could not queue event {}: {}", run_id_, event.seq, e.what());
    return;
  }
  if (terminal) {
    if (auto status = Flush(); !status.ok()) {
      Logger("store")->error("run {}: log not durable at the end of the run: {}", run_id_, status.message());
    }
  }
}

void RunLogSink::OnResult(const std::string& run_id, const ResultRow& row) noexcept {
  try {
    std::unique_lock lock(mutex_);
    if (run_id != run_id_ && !warned_other_run_) {
      warned_other_run_ = true;
      Logger("store")->warn("run {}: got a result of run {}; storing it under {}", run_id_, run_id, run_id_);
    }
    const bool was_idle = events_.empty() && rows_.empty();
    rows_.push_back(row);
    ++received_;
    const bool full = events_.size() + rows_.size() == options_.batch_size;
    if (was_idle || full) wake_writer_.notify_one();
    Queued(lock, MemoryBytes(row));
  } catch (const std::exception& e) {
    Logger("store")->error("run {}: could not queue result {}: {}", run_id_, row.ticker, e.what());
  }
}

void RunLogSink::Queued(std::unique_lock<std::mutex>& lock, size_t bytes) {
  queued_bytes_ += bytes;
  peak_queued_bytes_ = std::max(peak_queued_bytes_, queued_bytes_);
  if (queued_bytes_ <= options_.max_queued_bytes) return;
  ++push_backs_;
  wake_writer_.notify_one();
  room_.wait(lock, [&] {
    return queued_bytes_ <= options_.max_queued_bytes || stopping_ ||
           (failing_since_ && SteadyClock::now() - *failing_since_ >= options_.give_up_after);
  });
}

size_t RunLogSink::peak_queued_bytes() const {
  std::lock_guard lock(mutex_);
  return peak_queued_bytes_;
}

uint64_t RunLogSink::push_backs() const {
  std::lock_guard lock(mutex_);
  return push_backs_;
}

Status RunLogSink::Flush() {
  std::unique_lock lock(mutex_);
  const uint64_t mark = received_;
  if (durable_ >= mark) return Status::Ok();
  flush_wanted_ = std::max(flush_wanted_, mark);
  wake_writer_.notify_one();
  // The writer signals after every attempt, so a persistent failure is noticed within one
  // retry delay of give_up_after.
  written_.wait(lock, [&] {
    return durable_ >= mark ||
           (failing_since_ && SteadyClock::now() - *failing_since_ >= options_.give_up_after);
  });
  if (durable_ >= mark) return Status::Ok();
  return {last_error_.code(), "run " + run_id_ + ": log not written: " + last_error_.message()};
}

void RunLogSink::Apply(std::span<const ProgressEvent> events, std::span<const ResultRow> rows) {
  for (const ProgressEvent& event : events) ApplyEvent(run_, event);
  for (const ResultRow& row : rows) results_.Count(row.ticker, row.passed);
  if (results_.results() > 0) {
    run_.result_count = results_.results();
    run_.passed_count = results_.passed();
  }
}

void RunLogSink::WriterLoop() {
  auto log = Logger("store");
  std::vector<ProgressEvent> batch_events;  // taken, not yet durable (kept across failures)
  std::vector<ResultRow> batch_rows;
  batch_events.reserve(std::min<size_t>(options_.batch_size, 4096));
  batch_rows.reserve(std::min<size_t>(options_.batch_size, 4096));
  auto retry_delay = kFirstRetryDelay;
  int failures = 0;

  std::unique_lock lock(mutex_);
  auto next_write = SteadyClock::now() + options_.flush_interval;
  for (;;) {
    if (failures == 0) {
      // Quiet run: sleep until something is queued (no timed wake-ups). Then let the batch
      // fill until flush_interval after the previous commit, unless it is full or wanted.
      wake_writer_.wait(lock, [&] { return stopping_ || flush_wanted_ > taken_ || !events_.empty() || !rows_.empty(); });
      wake_writer_.wait_until(lock, next_write, [&] {
        return stopping_ || flush_wanted_ > taken_ || events_.size() + rows_.size() >= options_.batch_size ||
               queued_bytes_ > options_.max_queued_bytes;
      });
    } else {
      // Retrying: wait out the delay whatever arrives (a stop included), then try again.
      const auto retry_at = SteadyClock::now() + retry_delay;
      while (SteadyClock::now() < retry_at) wake_writer_.wait_until(lock, retry_at);
    }

    // Take everything queued (unless a batch is being retried: the queue then stays
    // bounded and pushes back); fold it into the run record.
    const size_t old_events = batch_events.size();
    const size_t old_rows = batch_rows.size();
    if (failures == 0 || stopping_ ||
        (failing_since_ && SteadyClock::now() - *failing_since_ >= options_.give_up_after)) {
      MoveAppend(batch_events, events_);
      MoveAppend(batch_rows, rows_);
      taken_ = received_;
      queued_bytes_ = 0;
      room_.notify_all();
    }
    const uint64_t mark = taken_;
    const bool stopping = stopping_;
    if (batch_events.empty() && batch_rows.empty()) {
      if (stopping) return;
      next_write = SteadyClock::now() + options_.flush_interval;
      continue;
    }
    lock.unlock();

    Apply(std::span(batch_events).subspan(old_events), std::span(batch_rows).subspan(old_rows));
    Status status = store_.AppendBatch(run_, batch_events, batch_rows);
    if (status.ok() && committed_) {
      for (const ResultRow& row : batch_rows) committed_->OnResult(run_id_, row);
      for (const ProgressEvent& event : batch_events) committed_->OnEvent(event);
    }

    lock.lock();
    if (status.ok()) {
      if (failures > 0) log->info("run {}: log writes recovered after {} failed attempts", run_id_, failures);
      durable_ = std::max(durable_, mark);
      batch_events.clear();
      batch_rows.clear();
      failures = 0;
      retry_delay = kFirstRetryDelay;
      failing_since_.reset();
      last_error_ = Status::Ok();
      next_write = SteadyClock::now() + options_.flush_interval;
    } else {
      ++failures;
      if (!failing_since_) failing_since_ = SteadyClock::now();
      last_error_ = status;
      if (failures == 1 || failures % 10 == 0) {
        log->warn("run {}: writing {} events and {} results failed (attempt {}), will retry: {}", run_id_,
                  batch_events.size(), batch_rows.size(), failures, status.message());
      }
      retry_delay = std::min(retry_delay * 2, kMaxRetryDelay);
      room_.notify_all();  // a caller waiting for room gives up waiting after give_up_after
      if (stopping_ && SteadyClock::now() - *failing_since_ >= options_.give_up_after) {
        log->error("run {}: giving up: {} events and {} results were not logged: {}", run_id_,
                   batch_events.size() + events_.size(), batch_rows.size() + rows_.size(), status.message());
        written_.notify_all();
        return;
      }
    }
    written_.notify_all();
  }
}

}  // namespace stratrun
