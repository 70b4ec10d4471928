// FanOutSink: hands every event and result to several sinks, in the order given
// (e.g. the run log first, then the terminal).
#pragma once

#include <initializer_list>
#include <vector>

#include "progress/progress_sink.h"

namespace stratrun {

/// Holds non-owning pointers: the sinks must outlive it. Thread-safe if they are.
class FanOutSink : public ProgressSink {
 public:
  FanOutSink(std::initializer_list<ProgressSink*> sinks) : sinks_(sinks) {}
  void OnEvent(const ProgressEvent& event) noexcept override {
    for (ProgressSink* sink : sinks_) sink->OnEvent(event);
  }
  void OnResult(const std::string& run_id, const ResultRow& row) noexcept override {
    for (ProgressSink* sink : sinks_) sink->OnResult(run_id, row);
  }

 private:
  std::vector<ProgressSink*> sinks_;
};

}  // namespace stratrun
