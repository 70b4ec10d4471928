#include "progress/run_json.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <cmath>
#include <string_view>

#include <rapidjson/document.h>

namespace stratrun {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void Time(Writer& w, const std::optional<std::chrono::system_clock::time_point>& time) {
  if (time) {
    Str(w, FormatTimestamp(*time));
  } else {
    w.Null();
  }
}

/// Re-writes parameters_json compactly (members in their stored order), so the run stays
/// one line even when the stored text is pretty-printed (an SSE `data:` line must not
/// break). parameters_json is validated by the host before it is stored, but a hand-edited
/// or corrupt row must not turn every answer that lists it into invalid JSON: it is {}.
void WriteParameters(Writer& w, const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    doc.Accept(w);
  } else {
    w.StartObject();
    w.EndObject();
  }
}

}  // namespace

void WriteRun(Writer& w, const RunRecord& run) {
  w.StartObject();
  w.Key("run_id");
  Str(w, run.run_id);
  w.Key("strategy_code");
  Str(w, run.strategy_code);
  w.Key("plugin_version");
  Str(w, run.plugin_version);
  w.Key("plugin_sha256");
  Str(w, run.plugin_sha256);
  w.Key("status");
  Str(w, RunStateName(run.status));
  w.Key("priority");
  Str(w, run.priority);
  w.Key("source");
  Str(w, run.source);
  w.Key("created_at");
  Str(w, FormatTimestamp(run.created_at));
  w.Key("started_at");
  Time(w, run.started_at);
  w.Key("finished_at");
  Time(w, run.finished_at);
  w.Key("duration_seconds");
  if (run.started_at) {
    const auto end = run.finished_at ? *run.finished_at : std::chrono::system_clock::now();
    const double seconds = std::chrono::duration<double>(end - *run.started_at).count();
    w.Double(std::round(std::max(seconds, 0.0) * 1000) / 1000);
  } else {
    w.Null();
  }
  w.Key("progress_percent");
  if (std::isfinite(run.progress_percent)) {
    w.Double(run.progress_percent);
  } else {
    w.Null();
  }
  w.Key("current_stage");
  if (run.current_stage.empty()) {
    w.Null();
  } else {
    Str(w, run.current_stage);
  }
  w.Key("total_items");
  w.Int64(run.total_items);
  w.Key("completed_items");
  w.Int64(run.completed_items);
  w.Key("result_count");
  w.Int64(run.result_count);
  w.Key("passed_count");
  w.Int64(run.passed_count);
  w.Key("error");
  if (run.error_code.empty() && run.error_message.empty()) {
    w.Null();
  } else {
    w.StartObject();
    w.Key("code");
    Str(w, run.error_code);
    w.Key("message");
    Str(w, run.error_message);
    w.EndObject();
  }
  w.Key("parameters");
  WriteParameters(w, run.parameters_json);
  w.EndObject();
}

std::string RunToJson(const RunRecord& run) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  WriteRun(w, run);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace stratrun
