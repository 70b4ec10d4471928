// SharedRing: a byte ring in shared memory from one worker process (the producer) to the
// host (the consumer), plus the words the two share: the run's cancellation and the
// worker's out-of-memory flag.
//
//   host:   auto ring = SharedRing::Create(4 << 20);          // memfd + two eventfds
//           spawn the worker with ring->memfd(), data_fd(), space_fd() inherited
//           ring->Drain([](std::string_view message) { … });  // whole messages, in order
//   worker: auto ring = SharedRing::Attach(memfd, data_fd, space_fd);
//           ring->Write(bytes);                               // blocks only while full
//
// Messages are written as chunks ([u32 length | bit 31 "more follows"][bytes], padded to
// 8), so one larger than the ring still goes through. Neither side makes a system call per
// message: the producer writes the data eventfd only when the consumer said it sleeps, the
// consumer writes the space eventfd only when the producer said it waits (both flags are
// seq_cst, checked again after being set, so no wake-up is lost).
//
// The consumer trusts nothing in the mapping: positions or lengths that cannot be right
// (the plugin can write anywhere in its own process) make Drain return an error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stratrun {

class SharedRing {
 public:
  /// The shared header at offset 0 of the mapping; the data follows it.
  struct Header {
    uint64_t magic;
    uint64_t capacity;  // data bytes, a power of two
    alignas(64) std::atomic<uint64_t> write_pos;
    alignas(64) std::atomic<uint64_t> read_pos;
    alignas(64) std::atomic<uint32_t> consumer_sleeping;
    std::atomic<uint32_t> producer_waiting;
    std::atomic<int32_t> cancel_reason;  // 0: not cancelled; else a CancelReason, set by the host
    std::atomic<uint32_t> out_of_memory;  // set by the worker when an allocation failed
  };

  /// A new ring with `capacity` data bytes (rounded up to a power of two), for the host.
  static Result<std::unique_ptr<SharedRing>> Create(size_t capacity);
  /// The ring whose memfd and eventfds a worker inherited; takes ownership of the fds.
  static Result<std::unique_ptr<SharedRing>> Attach(int memfd, int data_fd, int space_fd);
  ~SharedRing();
  SharedRing(const SharedRing&) = delete;
  SharedRing& operator=(const SharedRing&) = delete;

  int memfd() const { return memfd_; }
  /// Readable when messages may be waiting (the consumer polls it).
  int data_fd() const { return data_fd_; }
  /// Readable when space may have been freed (the producer polls it).
  int space_fd() const { return space_fd_; }
  Header& header() { return *header_; }

  /// Producer: appends one message, waiting while the ring is full. Callers serialise.
  void Write(std::string_view message);

  /// Consumer: hands every whole message now in the ring to `on_message`, in order; returns
  /// how many. An error when the mapping holds what no honest producer writes.
  Result<size_t> Drain(const std::function<void(std::string_view)>& on_message);
  /// Consumer: says it is about to sleep on data_fd(); true when data arrived meanwhile
  /// (then it must not sleep). Call Awake() after the sleep.
  bool PrepareToSleep();
  void Awake();
  /// Wakes a consumer sleeping on data_fd() (the host wakes its own loop this way).
  void WakeConsumer();

 private:
  SharedRing(int memfd, int data_fd, int space_fd, Header* header, size_t mapped);
  void CopyIn(uint64_t pos, const void* data, size_t size);
  void CopyOut(uint64_t pos, void* data, size_t size) const;

  int memfd_, data_fd_, space_fd_;
  Header* header_;
  size_t mapped_;
  uint64_t capacity_;  // this side's copy: never read back from the mapping
  char* data_;
  std::string partial_;  // consumer: chunks of a message still coming
};

}  // namespace stratrun
