#include "live/run_memory.h"

namespace stratrun {
namespace {

constexpr std::chrono::seconds kForgetFinishedAfter{10};
constexpr std::chrono::minutes kForgetIdleAfter{10};

bool Passed(const ProgressEvent& event) {
  for (const auto& [name, value] : event.metrics) {
    if (name == "passed") return value == 1.0;
  }
  return false;
}

}  // namespace

bool RunMemory::AlwaysKept(const Frame& frame) {
  return frame.type == EventType::kStarted || frame.type == EventType::kStageCompleted || IsTerminal(frame.type) ||
         (frame.type == EventType::kTickerCompleted && frame.passed);
}

bool RunMemory::Take(const ProgressEvent& event, const FrameFormat& format, SteadyTime now, const Limits& limits) {
  if (event.seq <= last_seq_) return false;  // a duplicate
  if (event.seq != last_seq_ + 1 && !frames_.empty()) {
    frames_.clear();
    bytes_ = 0;
  }
  Frame frame{event.seq, event.type, Passed(event), format.Event(event.seq, EventTypeName(event.type), ToJson(event))};
  bytes_ += frame.text.size();
  frames_.push_back(std::move(frame));
  while (frames_.size() > 1 && (frames_.size() > limits.max_events || bytes_ > limits.max_bytes)) {
    bytes_ -= frames_.front().text.size();
    frames_.pop_front();
  }
  last_seq_ = event.seq;
  last_event_at_ = now;
  if (IsTerminal(event.type)) {
    terminal_ = true;
    terminal_at_ = now;
  }
  return true;
}

MemoryBatch RunMemory::Batch(uint64_t need, bool conflate, size_t budget) const {
  MemoryBatch batch;
  batch.last_seq = need - 1;
  const size_t first = static_cast<size_t>(need - frames_.front().seq);
  const size_t n = frames_.size();
  size_t last_progress = n, last_plain = n;  // the survivors of conflation
  if (conflate) {
    for (size_t i = first; i < n; ++i) {
      if (frames_[i].type == EventType::kProgress) last_progress = i;
      if (frames_[i].type == EventType::kTickerCompleted && !frames_[i].passed) last_plain = i;
    }
  }
  for (size_t i = first; i < n && batch.text.size() < budget; ++i) {
    const Frame& f = frames_[i];
    if (!conflate || AlwaysKept(f) || i == last_progress || i == last_plain) batch.text += f.text;
    batch.last_seq = f.seq;
    if (IsTerminal(f.type)) {
      batch.terminal = true;
      break;
    }
  }
  return batch;
}

RunMemory::SteadyTime RunMemory::forget_at() const {
  return terminal_ ? terminal_at_ + kForgetFinishedAfter : last_event_at_ + kForgetIdleAfter;
}

}  // namespace stratrun
