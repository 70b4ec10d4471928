#include "isolation/shared_ring.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

namespace stratrun {
namespace {

constexpr uint64_t kMagic = 0x31474e4952525453ull;  // "STRRING1"
constexpr uint32_t kMoreFollows = 0x80000000u;
constexpr size_t kHeaderBytes = 256;
constexpr size_t kMaxMessageBytes = size_t{64} << 20;  // more is a broken or hostile worker
static_assert(sizeof(SharedRing::Header) <= kHeaderBytes);
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free);

uint64_t Pad8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

void Signal(int fd) {
  const uint64_t one = 1;
  while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void Clear(int fd) {
  uint64_t value;
  while (::read(fd, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

}  // namespace

Result<std::unique_ptr<SharedRing>> SharedRing::Create(size_t capacity) {
  uint64_t rounded = 4096;
  while (rounded < capacity) rounded <<= 1;
  const int memfd = ::memfd_create("stratrun-ring", MFD_CLOEXEC);
  if (memfd < 0) return Internal(std::string("memfd_create: ") + std::strerror(errno));
  const size_t mapped = kHeaderBytes + rounded;
  if (::ftruncate(memfd, static_cast<off_t>(mapped)) != 0) {
    ::close(memfd);
    return Internal(std::string("ftruncate: ") + std::strerror(errno));
  }
  const int data_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  const int space_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  void* map = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (data_fd < 0 || space_fd < 0 || map == MAP_FAILED) {
    const std::string error = std::strerror(errno);
    for (int fd : {memfd, data_fd, space_fd}) {
      if (fd >= 0) ::close(fd);
    }
    if (map != MAP_FAILED) ::munmap(map, mapped);
    return Internal("cannot create a shared ring: " + error);
  }
  auto* header = new (map) Header{};
  header->magic = kMagic;
  header->capacity = rounded;
  return std::unique_ptr<SharedRing>(new SharedRing(memfd, data_fd, space_fd, header, mapped));
}

Result<std::unique_ptr<SharedRing>> SharedRing::Attach(int memfd, int data_fd, int space_fd) {
  const off_t size = ::lseek(memfd, 0, SEEK_END);
  if (size < static_cast<off_t>(kHeaderBytes)) return Internal("the shared ring is missing or too small");
  void* map = ::mmap(nullptr, static_cast<size_t>(size), PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  if (map == MAP_FAILED) return Internal(std::string("cannot map the shared ring: ") + std::strerror(errno));
  auto* header = static_cast<Header*>(map);
  if (header->magic != kMagic || header->capacity + kHeaderBytes != static_cast<uint64_t>(size)) {
    ::munmap(map, static_cast<size_t>(size));
    return Internal("the shared ring has an unknown layout");
  }
  return std::unique_ptr<SharedRing>(new SharedRing(memfd, data_fd, space_fd, header, static_cast<size_t>(size)));
}

SharedRing::SharedRing(int memfd, int data_fd, int space_fd, Header* header, size_t mapped)
    : memfd_(memfd), data_fd_(data_fd), space_fd_(space_fd), header_(header), mapped_(mapped),
      capacity_(mapped - kHeaderBytes), data_(reinterpret_cast<char*>(header) + kHeaderBytes) {}

SharedRing::~SharedRing() {
  ::munmap(header_, mapped_);
  for (int fd : {memfd_, data_fd_, space_fd_}) ::close(fd);
}

void SharedRing::CopyIn(uint64_t pos, const void* data, size_t size) {
  const uint64_t at = pos & (capacity_ - 1);
  const size_t first = std::min<uint64_t>(size, capacity_ - at);
  std::memcpy(data_ + at, data, first);
  std::memcpy(data_, static_cast<const char*>(data) + first, size - first);
}

void SharedRing::CopyOut(uint64_t pos, void* data, size_t size) const {
  const uint64_t at = pos & (capacity_ - 1);
  const size_t first = std::min<uint64_t>(size, capacity_ - at);
  std::memcpy(data, data_ + at, first);
  std::memcpy(static_cast<char*>(data) + first, data_, size - first);
}

void SharedRing::Write(std::string_view message) {
  const size_t max_chunk = capacity_ / 4;
  do {
    const size_t size = std::min(message.size(), max_chunk);
    const uint32_t head = static_cast<uint32_t>(size) | (size < message.size() ? kMoreFollows : 0);
    const uint64_t need = Pad8(sizeof head + size);
    const uint64_t write = header_->write_pos.load(std::memory_order_relaxed);
    while (capacity_ - (write - header_->read_pos.load(std::memory_order_acquire)) < need) {
      header_->producer_waiting.store(1, std::memory_order_seq_cst);
      if (capacity_ - (write - header_->read_pos.load(std::memory_order_seq_cst)) >= need) break;
      pollfd wait{space_fd_, POLLIN, 0};
      ::poll(&wait, 1, 100);  // also re-checks now and then, whatever the wake-ups do
      Clear(space_fd_);
    }
    header_->producer_waiting.store(0, std::memory_order_relaxed);
    CopyIn(write, &head, sizeof head);
    CopyIn(write + sizeof head, message.data(), size);
    header_->write_pos.store(write + need, std::memory_order_seq_cst);
    if (header_->consumer_sleeping.load(std::memory_order_seq_cst) != 0) Signal(data_fd_);
    message.remove_prefix(size);
  } while (!message.empty());
}

Result<size_t> SharedRing::Drain(const std::function<void(std::string_view)>& on_message) {
  size_t delivered = 0;
  uint64_t read = header_->read_pos.load(std::memory_order_relaxed);
  const uint64_t write = header_->write_pos.load(std::memory_order_acquire);
  if (write - read > capacity_ || (write & 7) != 0) return Internal("the worker's ring holds an impossible position");
  while (read != write) {
    uint32_t head = 0;
    if (write - read < sizeof head) return Internal("the worker's ring holds a cut message");
    CopyOut(read, &head, sizeof head);
    const uint64_t size = head & ~kMoreFollows;
    const uint64_t span = Pad8(sizeof head + size);
    if (size > capacity_ / 4 || span > write - read) return Internal("the worker's ring holds a message of impossible length");
    const size_t old = partial_.size();
    if (old + size > kMaxMessageBytes) return Internal("the worker sent a message over 64 MiB");
    partial_.resize(old + size);
    CopyOut(read + sizeof head, partial_.data() + old, size);
    read += span;
    if ((head & kMoreFollows) == 0) {
      on_message(partial_);
      partial_.clear();
      ++delivered;
    }
  }
  header_->read_pos.store(read, std::memory_order_seq_cst);
  if (header_->producer_waiting.load(std::memory_order_seq_cst) != 0) Signal(space_fd_);
  return delivered;
}

bool SharedRing::PrepareToSleep() {
  header_->consumer_sleeping.store(1, std::memory_order_seq_cst);
  return header_->write_pos.load(std::memory_order_seq_cst) != header_->read_pos.load(std::memory_order_relaxed);
}

void SharedRing::Awake() {
  header_->consumer_sleeping.store(0, std::memory_order_relaxed);
  Clear(data_fd_);
}

void SharedRing::WakeConsumer() { Signal(data_fd_); }

}  // namespace stratrun
