#include "live/store_replay.h"

#include "common/logging.h"

namespace stratrun {
namespace {

/// Events read from the store per stream and round while replaying (and at most a send
/// budget of bytes).
constexpr int64_t kReplayChunkEvents = 1024;

}  // namespace

uint64_t StoreReplay::last_seq() {
  if (!last_seq_) {
    auto last = events_.LastSeq(run_id_);
    if (!last) Logger("sse")->error("run {}: can not read the store: {}", run_id_, last.status().message());
    last_seq_ = last ? *last : 0;
  }
  return *last_seq_;
}

bool StoreReplay::finished() {
  if (!finished_) {
    auto run = runs_.GetRun(run_id_);
    if (!run) Logger("sse")->error("run {}: can not read the store: {}", run_id_, run.status().message());
    finished_ = run && (!*run || IsFinished((*run)->status));
  }
  return *finished_;
}

StoreReplay::Step StoreReplay::Read(uint64_t sent_seq, size_t budget) {
  Step step;
  step.sent_seq = sent_seq;
  if (last_seq() <= sent_seq) return step;
  auto events = events_.Events(run_id_, sent_seq, kReplayChunkEvents, budget);
  if (!events) {
    Logger("sse")->error("run {}: can not read the store: {}", run_id_, events.status().message());
    return step;
  }
  for (const StoredEvent& e : *events) {
    if (e.seq != step.sent_seq + 1 || step.text.size() >= budget) break;  // never a gap
    step.text += format_.Event(e.seq, EventTypeName(e.type), e.json);
    step.sent_seq = e.seq;
    step.read_some = true;
    if (IsTerminal(e.type)) {
      step.complete = true;
      break;
    }
  }
  return step;
}

}  // namespace stratrun
