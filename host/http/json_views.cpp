#include "http/json_views.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "http/api_state.h"
#include "http/http_io.h"
#include "plugins/plugin_json.h"
#include "progress/run_json.h"

namespace stratrun::http {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

namespace {

std::string Iso(std::chrono::system_clock::time_point t) { return FormatTimestamp(t); }

}  // namespace

std::string HealthJson(const ApiState& state) {
  const ApiServices& svc = state.services;
  const auto catalog = svc.registry.catalog();
  const auto queue = svc.executor.Queue();
  const auto running = std::count_if(queue.begin(), queue.end(), [](const QueueEntry& e) { return e.position == 0; });
  const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - state.started).count();
  const char* status = state.shutting_down.load() ? "shutting_down" : "ok";
  std::string json = std::string("{\"status\":\"") + status + "\",\"version\":" + JsonString(svc.version) +
                     ",\"uptime_seconds\":" + std::to_string(static_cast<int64_t>(uptime)) +
                     ",\"strategies\":" + std::to_string(catalog->plugins.size()) +
                     ",\"rejected\":" + std::to_string(catalog->rejected.size()) +
                     ",\"running\":" + std::to_string(running) +
                     ",\"queued\":" + std::to_string(static_cast<int64_t>(queue.size()) - running) +
                     ",\"subscribers\":" + std::to_string(svc.hub.subscriber_count()) +
                     ",\"market_data\":{\"synthetic\":" + (svc.market_data_synthetic ? "true" : "false") +
                     ",\"dir\":" + JsonString(svc.market_data_dir.string()) + "}";
  // On a cluster: this instance, and every instance heard from within the lease timeout.
  if (const auto members = svc.executor.Membership()) {
    const auto instance = [](const InstanceInfo& i) {
      return "{\"id\":" + JsonString(i.id) + ",\"name\":" + JsonString(i.name) +
             ",\"max_concurrent\":" + std::to_string(i.max_concurrent) + "}";
    };
    json += ",\"instance\":" + instance(members->self) + ",\"instances\":[";
    for (size_t i = 0; i < members->live.size(); ++i) {
      if (i > 0) json += ',';
      json += instance(members->live[i]);
    }
    json += "]";
  }
  json += "}";
  return json;
}

std::string StrategyJson(const Plugin& plugin) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  WriteDescriptor(w, plugin, true);
  return buffer.GetString();
}

std::string QueueJson(const std::vector<QueueEntry>& queue, const SchedulerLimits& options) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("queue");
  w.StartArray();
  int64_t queued = 0;
  for (const QueueEntry& e : queue) {
    queued += e.position > 0;
    w.StartObject();
    w.Key("run_id");
    w.String(e.run.run_id.c_str());
    w.Key("strategy_code");
    w.String(e.run.strategy_code.c_str());
    w.Key("status");
    w.String(std::string(RunStateName(e.run.status)).c_str());
    w.Key("position");
    w.Int64(e.position);
    w.Key("priority");
    w.String(std::string(PriorityName(e.priority)).c_str());
    w.Key("created_at");
    w.String(Iso(e.run.created_at).c_str());
    w.Key("started_at");
    e.run.started_at ? w.String(Iso(*e.run.started_at).c_str()) : w.Null();
    w.Key("estimated_start");
    e.estimated_start_time ? w.String(Iso(*e.estimated_start_time).c_str()) : w.Null();
    w.Key("progress_percent");
    w.Double(e.run.progress_percent);
    w.EndObject();
  }
  w.EndArray();
  w.Key("total_queued");
  w.Int64(queued);
  w.Key("total_running");
  w.Int64(static_cast<int64_t>(queue.size()) - queued);
  w.Key("max_concurrent");
  w.Uint(options.max_concurrent);
  w.Key("queue_capacity");
  w.Uint64(options.queue_capacity);
  w.EndObject();
  return buffer.GetString();
}

std::string RunListJson(const std::vector<RunRecord>& runs, int64_t total, int64_t limit, int64_t offset) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("runs");
  w.StartArray();
  for (const RunRecord& run : runs) WriteRun(w, run);
  w.EndArray();
  w.Key("total");
  w.Int64(total);
  w.Key("limit");
  w.Int64(limit);
  w.Key("offset");
  w.Int64(offset);
  w.EndObject();
  return buffer.GetString();
}

std::string RunStatusJson(const RunRecord& r, std::optional<int64_t> position) {
  // A running run's pace is its latest event's (ApplyEvent); a finished run's, its average.
  std::optional<std::chrono::system_clock::time_point> completion = r.finished_at;
  double rate = 0;
  if (!r.finished_at) {
    completion = r.estimated_completion;
    rate = r.tickers_per_second.value_or(0);
  } else if (r.started_at) {
    const double took = std::chrono::duration<double>(*r.finished_at - *r.started_at).count();
    if (took > 0) rate = static_cast<double>(r.completed_items) / took;
  }
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("run_id");
  w.String(r.run_id.c_str());
  w.Key("status");
  w.String(std::string(RunStateName(r.status)).c_str());
  w.Key("progress_percent");
  w.Double(r.status == RunState::kCompleted ? 100.0 : r.progress_percent);
  w.Key("current_stage");
  r.current_stage.empty() ? w.Null() : w.String(r.current_stage.c_str());
  w.Key("started_at");
  r.started_at ? w.String(Iso(*r.started_at).c_str()) : w.Null();
  w.Key("finished_at");
  r.finished_at ? w.String(Iso(*r.finished_at).c_str()) : w.Null();
  w.Key("estimated_completion");
  completion ? w.String(Iso(*completion).c_str()) : w.Null();
  w.Key("position_in_queue");
  position ? w.Int64(*position) : w.Null();
  w.Key("can_cancel");
  w.Bool(!IsFinished(r.status));
  w.Key("error");
  if (r.error_code.empty() && r.error_message.empty()) {
    w.Null();
  } else {
    w.StartObject();
    w.Key("code");
    w.String(r.error_code.c_str());
    w.Key("message");
    w.String(r.error_message.c_str());
    w.EndObject();
  }
  w.Key("metrics");
  w.StartObject();
  w.Key("processed_tickers");
  w.Int64(r.completed_items);
  w.Key("total_tickers");
  w.Int64(r.total_items);
  w.Key("tickers_per_second");
  w.Double(std::round(rate * 100) / 100);
  w.Key("passed_count");
  w.Int64(r.passed_count);
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

std::string RunEventsJson(const std::string& run_id, RunState status, const std::vector<StoredEvent>& events,
                          bool more) {
  std::string json = "{\"run_id\":" + JsonString(run_id) + ",\"status\":" + JsonString(RunStateName(status)) +
                     ",\"events\":[";
  for (size_t i = 0; i < events.size(); ++i) json += (i ? "," : "") + events[i].json;
  json += "],\"more\":";
  json += more ? "true}" : "false}";
  return json;
}

std::string RunResultsJson(const std::string& run_id, RunState status, int64_t total, const std::vector<ResultRow>& rows,
                           bool more) {
  std::string json = "{\"run_id\":" + JsonString(run_id) + ",\"status\":" + JsonString(RunStateName(status)) +
                     ",\"total\":" + std::to_string(total) + ",\"results\":[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) json += ',';
    json += ToJson(rows[i]);
  }
  json += "],\"more\":";
  json += more ? "true}" : "false}";
  return json;
}

std::string SubmittedJson(const SubmitResult& submitted) {
  return "{\"run_id\":" + JsonString(submitted.run_id) + ",\"status\":" + JsonString(RunStateName(submitted.status)) +
         ",\"position_in_queue\":" + std::to_string(submitted.position_in_queue) + ",\"estimated_start_time\":" +
         (submitted.estimated_start_time ? JsonString(Iso(*submitted.estimated_start_time)) : "null") +
         ",\"sse_endpoint\":" + JsonString("/api/strategies/sse/" + submitted.run_id) + "}";
}

std::string CancelledJson(const std::string& run_id) {
  return "{\"cancelled\":true,\"run_id\":" + JsonString(run_id) + ",\"message\":\"Execution cancelled successfully\"}";
}

std::string BarsJson(const std::string& ticker, const BarSeries& s, int64_t days) {
  const size_t from = s.size() > static_cast<size_t>(days) ? s.size() - static_cast<size_t>(days) : 0;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("ticker");
  w.String(ticker.c_str());
  w.Key("bars");
  w.StartArray();
  for (size_t i = from; i < s.size(); ++i) {
    w.StartObject();
    const auto day = std::chrono::sys_days(std::chrono::days(s.day[i]));
    const std::chrono::year_month_day ymd(day);
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    w.Key("date");
    w.String(date);
    w.Key("open");
    w.Double(s.open[i]);
    w.Key("high");
    w.Double(s.high[i]);
    w.Key("low");
    w.Double(s.low[i]);
    w.Key("close");
    w.Double(s.close[i]);
    w.Key("volume");
    w.Double(s.volume[i]);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace stratrun::http
