// EventHub: the live, transport-independent side of the SSE endpoints. It receives every
// event of every run (as a ProgressSink) and every lifecycle change (as a RunListener),
// keeps a bounded window of recent events per run, and fans them out to stream clients:
// one stream per run (GET /api/strategies/sse/{run_id}) and a lifecycle stream of all runs.
//
//   EventHub hub(store, http::SseFrames());  // the transport's wire format
//   FanOutSink sink{&run_log, &hub};        // the run log first: the hub relies on the store
//   auto id = hub.SubscribeRun(run_id, last_event_id, client);  // client: the HTTP side
//   if (!id) return SendStatus(response, id.status());
//   …
//   hub.Unsubscribe(*id);                   // the connection went away
//
// Threads. A plugin's thread calling OnEvent only appends a copy of the event to a
// per-run queue under a short lock and wakes the hub's fan-out thread. All formatting,
// store reads and every StreamClient call happen on that one fan-out thread, which runs
// rounds spaced by an adaptive wait (see `batch_interval`): each client gets everything new
// for it in a round as a single Send (each write costs a system call whatever its size, so
// events are batched rather than written one by one).
//
// Replay without gaps. A run stream sends exactly the events with seq > after_seq, in seq
// order, each once: from the hub's memory when it still holds the next seq the client
// needs, otherwise from the store (the run's RunLogSink makes events durable within
// ~100 ms). When the store does not have them yet, the stream waits and reads again; it
// never skips a seq.
//
// The parts. RunMemory (live/run_memory.h) holds each run's recent frames; LifecycleViews
// (live/lifecycle_views.h) what the lifecycle stream says of each run; StoreReplay
// (live/store_replay.h) reads what memory no longer has; SlowClientPolicy
// (live/slow_client_policy.h) judges each stream's pace; the FrameFormat (the transport's:
// http/sse_frame.h) says how frames look. This class subscribes streams and runs the rounds.
//
// Bounded memory.
//  - Per run: at most `memory_events_per_run` recent events and `memory_bytes_per_run` bytes
//    of their frames (the oldest are dropped; they are in the store). A finished run's events are forgotten 10 s after its terminal
//    event, and a run's that has had no event for 10 minutes (it never ended: a host bug);
//    streams then replay from the store. The queue between OnEvent and the fan-out thread
//    is bounded the same way.
//  - Per client: the hub asks the client how many bytes it has not yet written
//    (pending_bytes()). Past `conflate_above_bytes` a live client gets conflated batches:
//    progress events and plain (not passing) ticker_completed events are collapsed to the
//    latest of each in the batch; started, stage_completed, ticker_completed with metric
//    passed = 1 and the terminal event are always sent (events conflated away are not
//    sent later, nor on a reconnect: the stream moved past them). A client catching up from the
//    store is instead paused until it drains (nothing conflated). Past `max_pending_bytes`
//    the client is Close()d and dropped, and so is a client that stays past
//    `conflate_above_bytes` for two heartbeat intervals (30 s by default: stuck, or hopelessly
//    slow). The browser reconnects with Last-Event-ID and replays the rest from the store,
//    so nothing is lost — only the stuck connection is. What a client holds is thus about
//    max_pending_bytes plus one batch (a Send carries about max(conflate_above_bytes,
//    16 KiB) at most; more follows in the next rounds).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "exec/run_listener.h"
#include "live/frame_format.h"
#include "live/lifecycle_views.h"
#include "live/run_memory.h"
#include "live/slow_client_policy.h"
#include "progress/progress_sink.h"
#include "store/run_store.h"

namespace stratrun {

/// The transport side of one stream. The hub calls these from its own fan-out thread only
/// (and, for a client subscribed after Shutdown, Close() from the subscribing thread).
class StreamClient {
 public:
  virtual ~StreamClient() = default;
  /// Queues `text` (whole SSE frames) for sending without blocking; false once the client is gone.
  virtual bool Send(std::string text) = 0;
  /// Bytes handed to Send() and not yet written to the socket.
  virtual size_t pending_bytes() const = 0;
  /// Writes more of what is pending, without blocking. Called every round while
  /// pending_bytes() > 0 (transports that write on their own need not override it).
  virtual void Flush() {}
  /// Ends the stream cleanly (terminating chunk, close). Called at most once.
  virtual void Close() = 0;
};

struct EventHubOptions {
  size_t memory_events_per_run = 8192;           // recent events kept per active run for replay (at least 1)
  size_t memory_bytes_per_run = 16u << 20;       // and at most this many bytes of their frames (the newest is always kept)
  /// The longest wait between rounds. The wait adapts to load: the larger of 4 × the last
  /// round's duration and 10 µs per open stream, at most this — so a quiet stream gets each
  /// event at once, and a busy hub batches more events per Send (a Send costs about the
  /// same whatever its size).
  std::chrono::milliseconds batch_interval{40};
  size_t max_pending_bytes = 2u << 20;           // a client past this is disconnected (it reconnects with Last-Event-ID)
  size_t conflate_above_bytes = 1u << 20;        // past this, a client gets only the latest progress event per batch
  std::chrono::seconds heartbeat{15};            // a comment frame after this much silence (at least 1 s)
  std::chrono::milliseconds retry_hint{2000};    // the `retry:` line every stream starts with
  /// A stream open this long is Close()d after its next batch (0: never; SSE_TIMEOUT). A
  /// browser reconnects with Last-Event-ID and replays the rest, so nothing is lost.
  std::chrono::seconds max_stream_lifetime{0};
};

using SubscriptionId = uint64_t;

/// The largest after_seq a stream may resume from (2^53 − 1: what a browser holds exactly).
constexpr uint64_t kMaxResumeSeq = (uint64_t{1} << 53) - 1;

/// Thread-safe: every public method may be called from any thread. OnEvent, OnResult and
/// OnRunChanged never block on clients or SQLite and never throw. `store` and `format`
/// must outlive the hub.
class EventHub : public ProgressSink, public RunListener {
 public:
  EventHub(RunStore& store, const FrameFormat& format, EventHubOptions options = {});
  /// Shutdown().
  ~EventHub() override;
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  /// Quick: appends a copy to the run's queue and wakes the fan-out thread. Ignored after
  /// Shutdown.
  void OnEvent(const ProgressEvent& event) noexcept override;
  void OnResult(const std::string&, const ResultRow&) noexcept override {}
  /// Quick: queues the change for the lifecycle stream.
  void OnRunChanged(const RunRecord& run) noexcept override;
  /// Quick: another process (an instance sharing the database) stored new events of
  /// `run_id`; its streams waiting on the store read it in the next round instead of at
  /// their next poll (every 250 ms otherwise), so a run owned elsewhere streams live.
  void OnStoredEvents(const std::string& run_id) noexcept;

  /// A run's stream: first a `retry:` line, then every event with seq > after_seq — from
  /// the store and from memory, in seq order, no gaps, no duplicates — then live events;
  /// after the terminal event the stream is Close()d. A finished run replays from the
  /// store and closes (at once when after_seq is already past its end). A run with no
  /// events yet (queued) waits for them. Frames (as http::SseFrames() writes them):
  /// "id: <seq>\nevent: <event_type>\ndata: <ToJson(event) one line>\n\n"; a heartbeat
  /// ": heartbeat\n\n" after every `heartbeat` of silence. A slow client is conflated or
  /// dropped as the overview says.
  /// Reads the run's row once on the calling thread; everything else happens on the
  /// fan-out thread. Errors: kNotFound "unknown run 'x'" if the store has no such run;
  /// the store's error if it cannot be read; kInvalidArgument for a null client or an
  /// after_seq past kMaxResumeSeq; kFailedPrecondition "event hub is shut down" after
  /// Shutdown.
  Result<SubscriptionId> SubscribeRun(const std::string& run_id, uint64_t after_seq,
                                      std::shared_ptr<StreamClient> client);
  /// Every run's lifecycle: a `retry:` line and a snapshot frame ("event: snapshot", data
  /// {"runs":[RunToJson of the runs the hub knows are active, oldest first]}), then
  /// "event: run" frames (data RunToJson) on every OnRunChanged, and at most every 500 ms
  /// per running run with its latest progress (from its events), and heartbeats. Frames
  /// carry no id: a reconnecting client gets a fresh snapshot. A client past
  /// `conflate_above_bytes` gets only the latest frame per run in a batch. Never closed by
  /// the hub except at Shutdown (or when past `max_pending_bytes`). After Shutdown the
  /// client is Close()d at once, on the calling thread. Once AnnounceShutdown was called,
  /// every lifecycle stream also gets its frame (a new one right after its snapshot).
  SubscriptionId SubscribeAll(std::shared_ptr<StreamClient> client);
  /// The server is shutting down: every lifecycle stream, open now or later, gets
  /// "event: server\ndata: {"state":"shutting_down","grace_seconds":N}" (once). Streams
  /// stay open until Shutdown. Quick; the first call counts.
  void AnnounceShutdown(std::chrono::seconds grace);
  /// The client disconnected. When this returns the hub makes no further calls to the
  /// client and holds no reference to it — except when called from inside one of the
  /// client's own calls (on the fan-out thread), where that call is the last. It waits for
  /// a call to the client in progress, so do not call it holding a lock that the client's
  /// methods take. Unknown or already ended ids are ignored.
  void Unsubscribe(SubscriptionId id);
  /// Streams not yet ended (closed by the hub, dropped or unsubscribed).
  size_t subscriber_count() const;
  /// Events currently held in memory across all runs (for tests and metrics; excludes
  /// events the fan-out thread has not picked up yet).
  size_t memory_event_count() const;
  /// Sends every subscriber what is pending (from memory; a stream still waiting for the
  /// store gets one more read), Close()s them all and stops the fan-out thread.
  /// Idempotent; blocks until the fan-out thread has ended.
  void Shutdown();

 private:
  struct Subscription;
  struct Taken;
  struct State;  // the fan-out thread's own data (event memory, lifecycle views, streams)

  void FanOutLoop();
  /// One round: takes in what was queued, serves every stream. Returns when the next
  /// round is due at the latest (heartbeats, store polls, progress frames, forgetting).
  std::chrono::steady_clock::time_point Round(Taken& taken, bool final);

  RunStore& store_;
  const FrameFormat& format_;
  const EventHubOptions options_;

  mutable std::mutex mutex_;  // guards everything down to the fan-out thread's data
  std::condition_variable wake_;
  bool work_ = false;      // something was queued since the last round
  bool stopping_ = false;  // Shutdown called: the next round is the last
  std::unordered_map<std::string, std::deque<ProgressEvent>> inbox_;  // per run, at most memory_events_per_run
  std::vector<RunRecord> changes_;
  std::unordered_set<std::string> stored_;  // OnStoredEvents since the last round
  std::vector<std::shared_ptr<Subscription>> joining_;
  std::string server_frame_;       // AnnounceShutdown's frame, once called
  bool server_frame_new_ = false;  // not yet taken by a round
  std::unordered_map<SubscriptionId, std::shared_ptr<Subscription>> subscriptions_;  // not yet ended
  SubscriptionId next_id_ = 1;

  std::mutex shutdown_mutex_;  // serialises Shutdown
  std::atomic<std::thread::id> fan_out_id_{};
  std::atomic<size_t> memory_events_{0};
  std::unique_ptr<State> state_;  // fan-out thread only
  std::thread fan_out_;           // last: started once everything above is constructed
};

}  // namespace stratrun
