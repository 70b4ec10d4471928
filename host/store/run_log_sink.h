// RunLogSink: the ProgressSink that logs one run to the RunStore — its events, its result
// rows and its strategy_run row — in batches written by a background thread.
//
//   RunRecord run = …;                       // already stored with CreateRun
//   RunLogSink log(store, run, {}, &hub);    // the hub sees only what the log keeps
//   RunPlugin(plugin, request, data, log, stop);  // the terminal event makes it all durable
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "progress/progress_sink.h"
#include "store/run_store.h"

namespace stratrun {

struct RunLogSinkOptions {
  /// What is queued is committed this long after the previous commit at the latest (a
  /// sink with nothing queued sleeps until something comes)…
  std::chrono::milliseconds flush_interval{100};
  /// …or as soon as this many events + rows are queued. (Both are at least 1.)
  size_t batch_size = 512;
  /// How long Flush() (and the destructor) wait for a batch that keeps failing before
  /// giving up. Until the sink is destroyed the writer keeps retrying regardless.
  std::chrono::milliseconds give_up_after{60000};
  /// The most the queue between the run and the writer holds (events and rows, by their
  /// size in memory). Past it OnEvent/OnResult wait for the writer: a run that emits
  /// faster than the disk takes it is slowed to the disk's pace. (At least one item.)
  size_t max_queued_bytes = 8u << 20;
};

/// Writes one run's events and results to the RunStore in batches, off the caller's thread.
///
/// OnEvent/OnResult only copy the item into a queue under a short lock (they never touch
/// SQLite), with one exception: the terminal event (completed, error, cancelled) waits
/// until everything queued up to and including it is durable, so when a run's last
/// callback returns its log is complete. One writer thread per sink commits a batch every
/// `flush_interval` or every `batch_size` items, whichever comes first, each batch in one
/// transaction (RunStore::AppendBatch) together with the run's strategy_run row: status
/// running from the first event on (started_at = its timestamp), total/completed items,
/// progress and stage from the latest events, result/passed counts from the rows, and from
/// the terminal event the final status (completed, cancelled or error), finished_at and
/// its error_code and message (the cancel reason for a cancelled run).
///
/// Push-back: what is queued and not yet taken by the writer is at most
/// `max_queued_bytes` (plus the one item that crossed it); past that OnEvent and OnResult
/// block the calling (plugin's) thread until the writer takes the queue. While a batch is
/// being retried the writer takes nothing more, so a run waits for a refusing database
/// too — for at most `give_up_after`, after which its calls queue without bound rather
/// than stall the run for ever. Memory is thus about twice max_queued_bytes: the queue
/// and the batch being written.
///
/// Durable first: the optional `committed` sink receives every row and event only after
/// the batch holding it is committed — rows before events, each in the order received —
/// on the writer thread (the terminal event's OnEvent returns after `committed` has it).
/// Whatever a live viewer is shown through it survives a crash of the process, with the
/// same seq, so the counts a page showed never exceed what the log keeps.
///
/// Nothing is dropped: a failed batch stays queued and is retried (and logged) until it
/// is written. Writes are idempotent (events by (run_id, seq), rows by ticker), so a retry
/// never duplicates. Only a sink destroyed while its database has refused writes for
/// `give_up_after` abandons what is left, with an error in the "store" log.
///
/// The sink is for one run: rows are stored under its run's id. While it lives it owns the
/// mutable columns of that run's strategy_run row (each batch rewrites them from its copy
/// of the RunRecord given at construction), so nobody else should UpdateRun the run
/// meanwhile. Thread-safe: OnEvent, OnResult and Flush may be called from any thread.
class RunLogSink : public ProgressSink {
 public:
  using Options = RunLogSinkOptions;

  /// `run` must already be stored (RunLog::CreateRun); `store` and `committed` (may be
  /// null) must outlive the sink.
  RunLogSink(RunStore& store, RunRecord run, Options options = {}, ProgressSink* committed = nullptr);
  /// Flushes (see Flush) and stops the writer.
  ~RunLogSink() override;
  RunLogSink(const RunLogSink&) = delete;
  RunLogSink& operator=(const RunLogSink&) = delete;

  void OnEvent(const ProgressEvent& event) noexcept override;
  void OnResult(const std::string& run_id, const ResultRow& row) noexcept override;

  /// Blocks until everything received so far is durable. Returns the last write error if
  /// the writer has been failing for `give_up_after` (the items stay queued and retried).
  Status Flush();

  /// The most bytes ever queued at once, and how many calls waited for room (for tests).
  size_t peak_queued_bytes() const;
  uint64_t push_backs() const;

 private:
  void WriterLoop();
  /// Counts an item into the queue; past max_queued_bytes, waits for room (lock held).
  void Queued(std::unique_lock<std::mutex>& lock, size_t bytes);
  /// Folds newly taken items into run_ (writer thread only).
  void Apply(std::span<const ProgressEvent> events, std::span<const ResultRow> rows);

  RunStore& store_;
  ProgressSink* const committed_;
  const Options options_;
  const std::string run_id_;

  mutable std::mutex mutex_;
  std::condition_variable wake_writer_;  // items queued past batch_size, flush wanted, stopping
  std::condition_variable written_;      // durable_ advanced or a write failed
  std::condition_variable room_;         // the writer took the queue, or a write failed
  std::vector<ProgressEvent> events_;    // queued, not yet taken by the writer
  std::vector<ResultRow> rows_;
  size_t queued_bytes_ = 0;    // of events_ and rows_
  size_t peak_queued_bytes_ = 0;
  uint64_t push_backs_ = 0;
  uint64_t received_ = 0;      // items ever queued
  uint64_t taken_ = 0;         // items ever taken by the writer
  uint64_t durable_ = 0;       // items ever committed
  uint64_t flush_wanted_ = 0;  // write at once up to this count
  bool stopping_ = false;
  bool warned_other_run_ = false;
  Status last_error_;
  std::optional<std::chrono::steady_clock::time_point> failing_since_;

  // Writer thread only.
  RunRecord run_;
  ResultCounter results_;

  std::thread writer_;  // last: started once everything above is constructed
};

}  // namespace stratrun
