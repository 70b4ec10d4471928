// ClusterStore: what several stratrun instances sharing one database coordinate through —
// leases (each instance heartbeats; one that stops is declared dead and its runs are
// taken over), the shared queue (queued runs nobody has claimed yet, claimed one at a time
// by whichever instance has a free slot) and notifications (small messages to every
// instance, sent when a transaction commits). PostgresRunStore implements it; an SQLite
// run log is one machine's and has none (RunStore::cluster() is null).
//
//   if (ClusterStore* cluster = store.cluster()) {
//     cluster->RegisterInstance({.id = ThisProcessOwner(), .name = "a", .max_concurrent = 2});
//     auto run = cluster->ClaimNextQueued(me, kAging);   // nullopt: nothing waits
//   }
//
// Every write of a run announces itself: on kRunsChannel "<run_id> <status> <owner>" when
// a run is created, written or claimed, on kEventsChannel "<run_id> <last seq>" when
// events of it are stored (once per run and transaction). Payloads stay far below
// PostgreSQL's 8000-byte limit.
//
// Implementations are thread-safe and report failures as a Status (never throw).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "progress/run_record.h"

namespace stratrun {

inline constexpr std::string_view kRunsChannel = "stratrun_runs";      // "<run_id> <status> <owner>"
inline constexpr std::string_view kEventsChannel = "stratrun_events";  // "<run_id> <last seq>"
inline constexpr std::string_view kQueueChannel = "stratrun_queue";    // "": a run was queued or returned
inline constexpr std::string_view kCancelChannel = "stratrun_cancel";  // "<run_id>": its owner cancels it

/// One instance's lease.
struct InstanceInfo {
  std::string id;    // the owner id its runs carry (ThisProcessOwner())
  std::string name;  // for people: --instance-name, else the host name
  unsigned max_concurrent = 0;
  std::chrono::system_clock::time_point started_at{};    // as read back
  std::chrono::system_clock::time_point heartbeat_at{};  // as read back (the database's clock)
};

struct Notification {
  std::string channel;
  std::string payload;
};

/// A connection of its own that receives the notifications of some channels.
class NotificationListener {
 public:
  virtual ~NotificationListener() = default;
  /// What arrived, oldest first, waiting up to `timeout` for the first; empty after a quiet
  /// timeout. kUnavailable once the connection is lost: notifications sent meanwhile are
  /// gone, so the caller opens a new listener and re-reads the state they describe.
  virtual Result<std::vector<Notification>> Wait(std::chrono::milliseconds timeout) = 0;
};

class ClusterStore {
 public:
  virtual ~ClusterStore() = default;

  /// Adds (or renews) the lease of `instance`, heartbeat now.
  virtual Status RegisterInstance(const InstanceInfo& instance) = 0;
  /// Renews the lease (heartbeat_at = the database's now). kFailedPrecondition when the
  /// instance has no lease any more: it was declared dead and its runs were taken over.
  virtual Status Heartbeat(const std::string& instance_id) = 0;
  /// Instances heard from within `silence`, by name.
  virtual Result<std::vector<InstanceInfo>> LiveInstances(std::chrono::milliseconds silence) = 0;
  /// Ids of instances not heard from for longer than `silence` (as the database's clock says).
  virtual Result<std::vector<std::string>> SilentInstances(std::chrono::milliseconds silence) = 0;
  virtual Status RemoveInstance(const std::string& instance_id) = 0;

  /// Claims the queued run that starts next across the cluster for `owner`, in one
  /// transaction (FOR UPDATE SKIP LOCKED: instances claiming at once get different runs):
  /// among runs queued with no owner, high before normal before low — a run moves up one
  /// level for every `aging` it has waited, so low never starves — then oldest first.
  /// nullopt when none waits.
  virtual Result<std::optional<RunRecord>> ClaimNextQueued(const std::string& owner, std::chrono::seconds aging) = 0;
  /// The runs queued with no owner, in the order ClaimNextQueued takes them.
  virtual Result<std::vector<RunRecord>> UnclaimedQueue(std::chrono::seconds aging) = 0;

  /// Sends `payload` on `channel` to every listener (delivered once committed).
  virtual Status Notify(std::string_view channel, std::string_view payload) = 0;
  virtual Result<std::unique_ptr<NotificationListener>> Listen(std::span<const std::string_view> channels) = 0;
};

}  // namespace stratrun
