#include "live/lifecycle_views.h"

#include <algorithm>
#include <tuple>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "progress/run_json.h"

namespace stratrun {
namespace {

/// A running run's lifecycle frame goes out at most this often for progress alone.
constexpr std::chrono::milliseconds kRunFrameInterval{500};

}  // namespace

std::string LifecycleViews::Frame(const RunRecord& run) const { return format_.Message("run", RunToJson(run)); }

void LifecycleViews::TakeEvent(const ProgressEvent& event) {
  auto it = views_.find(event.run_id);
  if (it == views_.end()) {
    // First sight of the run without a lifecycle change: start from its stored row.
    View fresh;
    auto stored = runs_.GetRun(event.run_id);
    if (stored && *stored) {
      fresh.record = std::move(**stored);
    } else {
      fresh.record.run_id = event.run_id;
      fresh.record.status = RunState::kRunning;
    }
    it = views_.emplace(event.run_id, std::move(fresh)).first;
  }
  View& view = it->second;
  // A finished record is the executor's final word (its log is durable): events no
  // longer change it.
  if (!IsFinished(view.record.status)) {
    ApplyEvent(view.record, event);
    if (IsTerminal(event.type)) view.frame_due = true;
  }
  view.last_event = event;
  view.dirty = true;
}

void LifecycleViews::TakeChange(RunRecord record, SteadyTime now, RunFrames& frames) {
  View& view = views_[record.run_id];
  view.record = std::move(record);
  // A change may be a snapshot older than events already taken in: unless it is final,
  // the latest event brings it up to date.
  if (view.last_event && !IsFinished(view.record.status)) ApplyEvent(view.record, *view.last_event);
  frames.emplace_back(view.record.run_id, Frame(view.record));
  view.dirty = false;
  view.frame_due = false;
  view.last_frame = now;
}

void LifecycleViews::CollectDue(SteadyTime now, RunFrames& frames, SteadyTime& next) {
  for (auto& [run_id, view] : views_) {
    if (view.frame_due || (view.dirty && now - view.last_frame >= kRunFrameInterval)) {
      frames.emplace_back(run_id, Frame(view.record));
      view.dirty = false;
      view.frame_due = false;
      view.last_frame = now;
    } else if (view.dirty) {
      next = std::min(next, view.last_frame + kRunFrameInterval);
    }
  }
  std::erase_if(views_, [](const auto& entry) {
    const View& view = entry.second;
    return !view.dirty && !view.frame_due && IsFinished(view.record.status);
  });
}

std::string LifecycleViews::Snapshot() const {
  std::vector<const RunRecord*> active;
  for (const auto& [run_id, view] : views_) {
    if (!IsFinished(view.record.status)) active.push_back(&view.record);
  }
  std::sort(active.begin(), active.end(), [](const RunRecord* a, const RunRecord* b) {
    return std::tie(a->created_at, a->run_id) < std::tie(b->created_at, b->run_id);
  });
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("runs");
  w.StartArray();
  for (const RunRecord* run : active) WriteRun(w, *run);
  w.EndArray();
  w.EndObject();
  return format_.Message("snapshot", std::string_view(buffer.GetString(), buffer.GetSize()));
}

}  // namespace stratrun
