#include "http/api_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/logging.h"
#include "common/run_id.h"
#include "data/universe.h"
#include "http/http_io.h"
#include "http/request_framing.h"
#include "http/request_parsing.h"
#include "http/sse_stream.h"
#include "plugins/plugin_json.h"
#include "progress/result_csv.h"
#include "progress/run_json.h"

namespace stratrun::http {

using Pistache::Http::Code;
using Pistache::Http::Method;
using Pistache::Http::Request;
using Pistache::Http::ResponseWriter;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

namespace {

constexpr size_t kMaxCodeLength = 64;
constexpr int64_t kMaxExecutionTime = 7 * 24 * 3600;

std::string_view ContentTypeFor(const std::filesystem::path& file) {
  static const std::unordered_map<std::string, std::string_view> kTypes = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"}};
  auto it = kTypes.find(file.extension().string());
  return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

std::string Iso(std::chrono::system_clock::time_point t) { return FormatTimestamp(t); }

}  // namespace

/// Everything the handler clones share.
struct ApiState {
  explicit ApiState(ApiServices s) : services(std::move(s)) {}
  ApiServices services;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<bool> shutting_down{false};
  // Finished runs never change: their records are kept here so that polling a finished
  // run's status does not touch SQLite. Bounded (cleared when full).
  std::mutex finished_mutex;
  std::unordered_map<std::string, RunRecord> finished;
  static constexpr size_t kMaxFinished = 4096;
  std::mutex streams_mutex;
  // Open SSE streams by peer, so a disconnect unsubscribes them.
  std::unordered_map<const Pistache::Tcp::Peer*, std::pair<SubscriptionId, std::shared_ptr<PeerStream>>> streams;
};

namespace {

/// What the guard knows of one connection. Reactor thread only (a connection's input, the
/// callbacks of its writes and its requests all run on the reactor thread that owns it).
struct ConnectionState {
  static constexpr const char* kPeerData = "stratrun.connection";
  std::string buffer;        // bytes received, not yet handed to Pistache
  bool fed = false;          // a request was handed on (its answer may still be queued)
  bool waiting = false;      // for earlier answers to be written before the next request
  bool closing = false;      // the connection ends after what was answered: input is ignored
  bool streaming = false;    // an SSE stream took the connection over: input is ignored
  bool close_after = false;  // the request being handled asked to close the connection
};

std::shared_ptr<ConnectionState> ConnectionOf(const Pistache::Tcp::Peer& peer) {
  return std::static_pointer_cast<ConnectionState>(peer.tryGetData(ConnectionState::kPeerData));
}

class Routes {
 public:
  explicit Routes(ApiState& state) : s_(state), svc_(state.services) {}

  void Handle(const Request& request, ResponseWriter& response) {
    const std::string& resource = request.resource();
    const auto segments = PathSegments(resource);
    if (!segments) {
      return SendError(response, Code::Bad_Request, "invalid_argument",
                       "the path has a malformed percent escape (% must be followed by two hex digits)", "path");
    }
    const std::vector<std::string>& seg = *segments;
    auto query = QueryParams::Decode(request);
    if (!query) {
      return SendError(response, Code::Bad_Request, "invalid_argument", query.status().message(), query.status().field());
    }
    query_ = std::move(*query);
    const Method m = request.method();
    auto is = [&](std::initializer_list<std::string_view> parts) {
      if (seg.size() != parts.size()) return false;
      size_t i = 0;
      for (std::string_view p : parts) {
        if (p != "*" && seg[i] != p) return false;
        ++i;
      }
      return true;
    };
    // Each path: its methods, in one place; anything else is 405 with Allow.
    auto only = [&](std::string_view allow, Method expected) {
      if (m == expected) return true;
      SetHeader(response, "Allow", std::string(allow));
      SendError(response, Code::Method_Not_Allowed, "method_not_allowed",
                std::string(MethodName(m)) + " is not allowed on " + Echo(resource, 200) + " (allowed: " +
                    std::string(allow) + ")");
      return false;
    };

    if (seg.empty()) {
      if (only("GET", Method::Get)) ServeFile(response, "index.html");
      return;
    }
    if (seg[0] == "web" && seg.size() >= 2) {
      if (only("GET", Method::Get)) ServeFile(response, resource.substr(5));
      return;
    }
    if (seg[0] != "api") return NoSuchEndpoint(response, resource);
    if (is({"api", "health"})) {
      if (only("GET", Method::Get)) Health(response);
    } else if (is({"api", "events"})) {
      if (only("GET", Method::Get)) LifecycleStream(request, response);
    } else if (is({"api", "strategies"})) {
      if (only("GET", Method::Get)) SendJson(response, Code::Ok, CatalogToJson(*svc_.registry.catalog(), true));
    } else if (is({"api", "strategies", "execute"})) {
      if (only("POST", Method::Post)) Execute(request, response);
    } else if (is({"api", "strategies", "rescan"})) {
      if (only("POST", Method::Post)) SendJson(response, Code::Ok, CatalogToJson(*svc_.registry.Rescan(), true));
    } else if (is({"api", "strategies", "queue"})) {
      if (only("GET", Method::Get)) Queue(response);
    } else if (is({"api", "strategies", "runs"})) {
      if (only("GET", Method::Get)) ListRuns(response);
    } else if (is({"api", "strategies", "sse", "*"})) {
      if (only("GET", Method::Get) && ResolveRun(seg[3], response)) RunStream(request, response, run_id_);
    } else if (is({"api", "strategies", "runs", "*"})) {
      if (only("GET", Method::Get) && ResolveRun(seg[3], response)) GetRun(response, run_id_);
    } else if (is({"api", "strategies", "runs", "*", "status"})) {
      if (only("GET", Method::Get) && ResolveRun(seg[3], response)) RunStatus(response, run_id_);
    } else if (is({"api", "strategies", "runs", "*", "events"})) {
      if (only("GET", Method::Get) && ResolveRun(seg[3], response)) RunEvents(response, run_id_);
    } else if (is({"api", "strategies", "runs", "*", "results"})) {
      if (only("GET", Method::Get) && ResolveRun(seg[3], response)) RunResults(response, run_id_);
    } else if (is({"api", "strategies", "runs", "*", "cancel"})) {
      if (only("POST", Method::Post) && ResolveRun(seg[3], response)) Cancel(response, run_id_);
    } else if (is({"api", "strategies", "runs", "*", "bars", "*"})) {
      if (only("GET", Method::Get) && ResolveRun(seg[3], response)) Bars(response, run_id_, seg[5]);
    } else if (is({"api", "strategies", "*"})) {
      if (only("GET", Method::Get)) Strategy(response, seg[2]);
    } else {
      NoSuchEndpoint(response, resource);
    }
  }

 private:
  void NoSuchEndpoint(ResponseWriter& response, const std::string& resource) {
    SendError(response, Code::Not_Found, "not_found", "no such endpoint: " + Echo(resource, 200));
  }

  /// The one place a `{run_id}` of a path is resolved: the whole id or a unique prefix
  /// becomes the whole id (in run_id_); otherwise answers 404 (no match) or 400
  /// "ambiguous_run_id" (several) and returns false.
  bool ResolveRun(const std::string& text, ResponseWriter& response) {
    if (!PlausibleRunId(text)) {
      SendStatus(response, NotFound("unknown run '" + Echo(text) + "'", "run_id"));
      return false;
    }
    if (text.size() == kFullRunIdLength) {  // a whole id: no prefix search (FindRun answers 404)
      run_id_ = text;
      return true;
    }
    auto resolved = svc_.store.ResolveRunId(text);
    if (!resolved) {
      if (resolved.status().code() == StatusCode::kInvalidArgument) {
        SendError(response, Code::Bad_Request, "ambiguous_run_id", resolved.status().message(), "run_id");
      } else {
        SendStatus(response, resolved.status());
      }
      return false;
    }
    run_id_ = std::move(*resolved);
    return true;
  }

  void ServeFile(ResponseWriter& response, std::string_view relative) {
    // Only plain names below the web root: no "..", no hidden files, no odd characters.
    const bool safe = !relative.empty() && relative.size() < 200 &&
                      std::all_of(relative.begin(), relative.end(),
                                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                                      c == '-' || c == '.' || c == '/'; }) &&
                      relative.find("..") == std::string_view::npos && relative.front() != '/' &&
                      relative.find("/.") == std::string_view::npos && relative.front() != '.';
    const std::filesystem::path file = svc_.web_root / std::string(relative);
    std::ifstream in(file, std::ios::binary);
    if (!safe || !in || std::filesystem::is_directory(file)) {
      return SendError(response, Code::Not_Found, "not_found", "no such file: " + Echo(relative, 200));
    }
    std::stringstream body;
    body << in.rdbuf();
    SetHeader(response, "Content-Type", std::string(ContentTypeFor(file)));
    SetHeader(response, "Cache-Control", "no-cache");
    response.send(Code::Ok, body.str());
  }

  void Health(ResponseWriter& response) {
    const auto catalog = svc_.registry.catalog();
    const auto queue = svc_.executor.Queue();
    const auto running = std::count_if(queue.begin(), queue.end(), [](const QueueEntry& e) { return e.position == 0; });
    const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - s_.started).count();
    const char* status = s_.shutting_down.load() ? "shutting_down" : "ok";
    std::string json = std::string("{\"status\":\"") + status + "\",\"version\":" + JsonString(svc_.version) +
                       ",\"uptime_seconds\":" + std::to_string(static_cast<int64_t>(uptime)) +
                       ",\"strategies\":" + std::to_string(catalog->plugins.size()) +
                       ",\"rejected\":" + std::to_string(catalog->rejected.size()) +
                       ",\"running\":" + std::to_string(running) +
                       ",\"queued\":" + std::to_string(static_cast<int64_t>(queue.size()) - running) +
                       ",\"subscribers\":" + std::to_string(svc_.hub.subscriber_count()) +
                       ",\"market_data\":{\"synthetic\":" + (svc_.market_data_synthetic ? "true" : "false") +
                       ",\"dir\":" + JsonString(svc_.market_data_dir.string()) + "}}";
    SendJson(response, Code::Ok, json);
  }

  void Strategy(ResponseWriter& response, const std::string& code) {
    auto plugin = svc_.registry.catalog()->Find(code);
    if (!plugin) return SendError(response, Code::Not_Found, "not_found", "unknown strategy '" + Echo(code) + "'", "strategy_code");
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    WriteDescriptor(w, *plugin, true);
    SendJson(response, Code::Ok, buffer.GetString());
  }

  void Execute(const Request& request, ResponseWriter& response) {
    rapidjson::Document body;
    body.Parse(request.body().c_str(), request.body().size());
    if (body.HasParseError()) {
      return SendError(response, Code::Bad_Request, "invalid_json",
                       std::string("malformed JSON at offset ") + std::to_string(body.GetErrorOffset()) + ": " +
                           rapidjson::GetParseError_En(body.GetParseError()));
    }
    if (!body.IsObject()) return SendError(response, Code::Bad_Request, "invalid_json", "the body must be a JSON object");
    auto invalid = [&](const std::string& message, const std::string& field) {
      SendStatus(response, InvalidArgument(message, field));
    };
    for (auto it = body.MemberBegin(); it != body.MemberEnd(); ++it) {
      const std::string_view name(it->name.GetString(), it->name.GetStringLength());
      if (name != "strategy_code" && name != "parameters" && name != "options") {
        return invalid("unknown field '" + Echo(name) + "'", std::string(name));
      }
    }
    const auto code_it = body.FindMember("strategy_code");
    if (code_it == body.MemberEnd() || !code_it->value.IsString()) {
      return invalid("strategy_code is required and must be a string", "strategy_code");
    }
    const std::string code(code_it->value.GetString(), code_it->value.GetStringLength());
    if (code.size() > kMaxCodeLength) return invalid("strategy_code is too long", "strategy_code");
    auto plugin = svc_.registry.catalog()->Find(code);
    if (!plugin) return SendError(response, Code::Not_Found, "not_found", "unknown strategy '" + Echo(code) + "'", "strategy_code");

    rapidjson::Value empty(rapidjson::kObjectType);
    const auto params_it = body.FindMember("parameters");
    const rapidjson::Value& user_params = params_it == body.MemberEnd() ? empty : params_it->value;
    if (!user_params.IsObject()) return invalid("parameters must be a JSON object", "parameters");
    auto parameters = plugin->schema().Validate(user_params);
    if (!parameters) return SendStatus(response, parameters.status());

    RunSubmission submission;
    const auto options_it = body.FindMember("options");
    if (options_it != body.MemberEnd()) {
      const rapidjson::Value& options = options_it->value;
      if (!options.IsObject()) return invalid("options must be a JSON object", "options");
      for (auto it = options.MemberBegin(); it != options.MemberEnd(); ++it) {
        const std::string name(it->name.GetString(), it->name.GetStringLength());
        if (name == "priority") {
          auto priority = it->value.IsString() ? ParsePriority(it->value.GetString()) : std::nullopt;
          if (!priority) return invalid("priority must be low, normal or high", "options.priority");
          submission.priority = *priority;
        } else if (name == "max_execution_time") {
          if (!it->value.IsInt64() || it->value.GetInt64() < 1 || it->value.GetInt64() > kMaxExecutionTime) {
            return invalid("max_execution_time must be a whole number of seconds from 1 to " +
                               std::to_string(kMaxExecutionTime),
                           "options.max_execution_time");
          }
          submission.timeout = std::chrono::seconds(it->value.GetInt64());
        } else if (name == "notify_on_completion") {
          if (!it->value.IsBool()) return invalid("notify_on_completion must be true or false", "options.notify_on_completion");
        } else {
          return invalid("unknown option '" + Echo(name) + "'", "options." + name);
        }
      }
    }
    auto tickers = ResolveUniverse(*parameters, svc_.data);
    if (!tickers) return SendStatus(response, tickers.status());

    submission.plugin = plugin;
    submission.request.run_id = NewRunId();
    submission.request.max_workers = RunWorkers(*parameters);
    submission.request.parameters = std::move(*parameters);
    submission.request.tickers = std::move(*tickers);
    submission.source = "api";
    auto submitted = svc_.executor.Submit(std::move(submission));
    if (!submitted) return SendStatus(response, submitted.status());

    std::string json = "{\"run_id\":" + JsonString(submitted->run_id) + ",\"status\":" +
                       JsonString(RunStateName(submitted->status)) +
                       ",\"position_in_queue\":" + std::to_string(submitted->position_in_queue) +
                       ",\"estimated_start_time\":" +
                       (submitted->estimated_start_time ? JsonString(Iso(*submitted->estimated_start_time)) : "null") +
                       ",\"sse_endpoint\":" + JsonString("/api/strategies/sse/" + submitted->run_id) + "}";
    SetHeader(response, "Location", "/api/strategies/runs/" + submitted->run_id);
    SendJson(response, Code::Accepted, json);
  }

  void Queue(ResponseWriter& response) {
    const auto queue = svc_.executor.Queue();
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
    w.Uint(svc_.executor.options().max_concurrent);
    w.Key("queue_capacity");
    w.Uint64(svc_.executor.options().queue_capacity);
    w.EndObject();
    SendJson(response, Code::Ok, buffer.GetString());
  }

  void ListRuns(ResponseWriter& response) {
    RunFilter filter;
    if (auto status = Query(query_, "status"); status && !status->empty()) {
      filter.status = ParseRunState(*status);
      if (!filter.status) return SendStatus(response, InvalidArgument("unknown status '" + Echo(*status) + "'", "status"));
    }
    if (auto code = Query(query_, "strategy_code")) filter.strategy_code = *code;
    auto limit = QueryInteger(query_, "limit", 50, 1, 500);
    if (!limit) return SendStatus(response, limit.status());
    auto offset = QueryInteger(query_, "offset", 0, 0, INT64_MAX / 2);
    if (!offset) return SendStatus(response, offset.status());
    filter.limit = *limit;
    filter.offset = *offset;
    auto runs = svc_.store.ListRuns(filter);
    if (!runs) return SendStatus(response, runs.status());
    auto total = svc_.store.CountRuns(filter);
    if (!total) return SendStatus(response, total.status());
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    w.Key("runs");
    w.StartArray();
    for (const RunRecord& run : *runs) WriteRun(w, Live(run));
    w.EndArray();
    w.Key("total");
    w.Int64(*total);
    w.Key("limit");
    w.Int64(*limit);
    w.Key("offset");
    w.Int64(*offset);
    w.EndObject();
    SendJson(response, Code::Ok, buffer.GetString());
  }

  /// The freshest view of a run: the executor's live snapshot while it is active.
  RunRecord Live(const RunRecord& stored) {
    if (IsFinished(stored.status)) return stored;
    if (auto active = svc_.executor.Active(stored.run_id)) return active->run;
    return stored;
  }

  Result<RunRecord> FindRun(const std::string& run_id) {
    if (run_id.size() > kMaxRunIdLength) return NotFound("unknown run '" + run_id.substr(0, 64) + "'", "run_id");
    {
      std::lock_guard lock(s_.finished_mutex);
      if (auto it = s_.finished.find(run_id); it != s_.finished.end()) return it->second;
    }
    if (auto active = svc_.executor.Active(run_id)) return active->run;
    auto stored = svc_.store.GetRun(run_id);
    if (!stored) return stored.status();
    if (!*stored) return NotFound("unknown run '" + run_id + "'", "run_id");
    if (IsFinished((*stored)->status)) {
      std::lock_guard lock(s_.finished_mutex);
      if (s_.finished.size() >= ApiState::kMaxFinished) s_.finished.clear();
      s_.finished.emplace(run_id, **stored);
    }
    return **stored;
  }

  void GetRun(ResponseWriter& response, const std::string& run_id) {
    auto run = FindRun(run_id);
    if (!run) return SendStatus(response, run.status());
    SendJson(response, Code::Ok, RunToJson(*run));
  }

  void RunStatus(ResponseWriter& response, const std::string& run_id) {
    auto run = FindRun(run_id);
    if (!run) return SendStatus(response, run.status());
    const RunRecord& r = *run;
    std::optional<std::chrono::system_clock::time_point> completion = r.finished_at;
    double rate = 0;
    if (r.started_at && !r.finished_at) {
      const double elapsed = std::chrono::duration<double>(std::chrono::system_clock::now() - *r.started_at).count();
      if (elapsed > 0 && r.completed_items > 0) {
        rate = static_cast<double>(r.completed_items) / elapsed;
        const double remaining = static_cast<double>(std::max<int64_t>(0, r.total_items - r.completed_items)) / rate;
        completion = std::chrono::system_clock::now() +
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(remaining));
      }
    } else if (r.started_at && r.finished_at) {
      const double took = std::chrono::duration<double>(*r.finished_at - *r.started_at).count();
      if (took > 0) rate = static_cast<double>(r.completed_items) / took;
    }
    std::optional<int64_t> position;
    if (auto active = svc_.executor.Active(run_id)) position = active->position;
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
    SendJson(response, Code::Ok, buffer.GetString());
  }

  void RunEvents(ResponseWriter& response, const std::string& run_id) {
    auto run = FindRun(run_id);
    if (!run) return SendStatus(response, run.status());
    auto after = QueryInteger(query_, "after", 0, 0, INT64_MAX / 2);
    if (!after) return SendStatus(response, after.status());
    auto limit = QueryInteger(query_, "limit", 1000, 1, 10000);
    if (!limit) return SendStatus(response, limit.status());
    // ?tail=N: the last N events (seqs are contiguous from 1, so they follow LastSeq − N).
    auto tail = QueryInteger(query_, "tail", 0, 1, 10000);
    if (!tail) return SendStatus(response, tail.status());
    if (*tail > 0) {
      if (Query(query_, "after")) return SendStatus(response, InvalidArgument("give after or tail, not both", "tail"));
      auto last = svc_.store.LastSeq(run_id);
      if (!last) return SendStatus(response, last.status());
      *after = std::max<int64_t>(0, static_cast<int64_t>(*last) - *tail);
      *limit = *tail;
    }
    auto events = svc_.store.Events(run_id, static_cast<uint64_t>(*after), *limit);
    if (!events) return SendStatus(response, events.status());
    std::string json = "{\"run_id\":" + JsonString(run_id) + ",\"status\":" + JsonString(RunStateName(run->status)) +
                       ",\"events\":[";
    for (size_t i = 0; i < events->size(); ++i) json += (i ? "," : "") + (*events)[i].json;
    json += "]}";
    SendJson(response, Code::Ok, json);
  }

  void RunResults(ResponseWriter& response, const std::string& run_id) {
    auto run = FindRun(run_id);
    if (!run) return SendStatus(response, run.status());
    ResultQuery query;
    auto passed = QueryBoolean(query_, "passed");
    if (!passed) return SendStatus(response, passed.status());
    query.passed_only = passed->value_or(false);
    if (auto sort = Query(query_, "sort"); sort && !sort->empty()) {
      if (sort->size() > 64) return SendStatus(response, InvalidArgument("sort is too long", "sort"));
      query.sort_by = *sort;
    }
    if (auto order = Query(query_, "order"); order && !order->empty()) {
      if (*order != "asc" && *order != "desc") return SendStatus(response, InvalidArgument("order must be asc or desc", "order"));
      query.descending = *order == "desc";
    } else {
      query.descending = query.sort_by != "ticker";
    }
    const std::string format = Query(query_, "format").value_or("json");
    if (format != "json" && format != "csv") return SendStatus(response, InvalidArgument("format must be json or csv", "format"));
    auto limit = QueryInteger(query_, "limit", format == "csv" ? -1 : 100, -1, 100000);
    if (!limit) return SendStatus(response, limit.status());
    auto offset = QueryInteger(query_, "offset", 0, 0, INT64_MAX / 2);
    if (!offset) return SendStatus(response, offset.status());
    query.limit = *limit;
    query.offset = *offset;
    auto rows = svc_.store.Results(run_id, query);
    if (!rows) return SendStatus(response, rows.status());
    if (format == "csv") {
      SetHeader(response, "Content-Disposition", "attachment; filename=\"" + run->strategy_code + "-" + run_id.substr(0, 8) + ".csv\"");
      return SendText(response, Code::Ok, ResultsToCsv(*rows), "text/csv; charset=utf-8");
    }
    auto total = svc_.store.CountResults(run_id, query.passed_only);
    if (!total) return SendStatus(response, total.status());
    std::string json = "{\"run_id\":" + JsonString(run_id) + ",\"status\":" + JsonString(RunStateName(run->status)) +
                       ",\"total\":" + std::to_string(*total) + ",\"results\":[";
    for (size_t i = 0; i < rows->size(); ++i) json += (i ? "," : "") + ToJson((*rows)[i]);
    json += "]}";
    SendJson(response, Code::Ok, json);
  }

  void Cancel(ResponseWriter& response, const std::string& run_id) {
    Status cancelled = svc_.executor.Cancel(run_id, CancelReason::kUser);
    if (!cancelled.ok()) return SendStatus(response, cancelled);
    SendJson(response, Code::Ok, "{\"cancelled\":true,\"run_id\":" + JsonString(run_id) +
                                     ",\"message\":\"Execution cancelled successfully\"}");
  }

  void Bars(ResponseWriter& response, const std::string& run_id, const std::string& ticker) {
    auto run = FindRun(run_id);
    if (!run) return SendStatus(response, run.status());
    if (!IsValidTicker(ticker)) return SendStatus(response, InvalidArgument("'" + Echo(ticker, 20) + "' is not a ticker", "ticker"));
    auto days = QueryInteger(query_, "days", 252, 1, 5000);
    if (!days) return SendStatus(response, days.status());
    auto series = svc_.data.Load(ticker);
    if (!series) return SendStatus(response, series.status().code() == StatusCode::kNotFound
                                                 ? NotFound(series.status().message(), "ticker")
                                                 : series.status());
    const BarSeries& s = **series;
    const size_t from = s.size() > static_cast<size_t>(*days) ? s.size() - static_cast<size_t>(*days) : 0;
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
    SendJson(response, Code::Ok, buffer.GetString());
  }

  void RunStream(const Request& request, ResponseWriter& response, const std::string& run_id) {
    uint64_t after = 0;
    std::string field = "Last-Event-ID";
    std::optional<std::string> last = Header(request, field);
    if (!last) {
      field = "last_event_id";
      last = Query(query_, field);
    }
    if (last) {
      auto seq = ParseEventSeq(*last, field);
      if (!seq) return SendError(response, Code::Bad_Request, "invalid_argument", seq.status().message(), field);
      after = *seq;
    }
    auto run = FindRun(run_id);
    if (!run) return SendStatus(response, run.status());
    auto stream = std::make_shared<PeerStream>(response.peer());
    if (!stream->Open()) return;
    MarkStreaming(response);
    auto id = svc_.hub.SubscribeRun(run_id, after, stream);
    if (!id) {
      stream->Close();
      return;
    }
    Remember(stream, *id);
  }

  void LifecycleStream(const Request&, ResponseWriter& response) {
    auto stream = std::make_shared<PeerStream>(response.peer());
    if (!stream->Open()) return;
    MarkStreaming(response);
    Remember(stream, svc_.hub.SubscribeAll(stream));
  }

  /// The connection now carries a stream: the guard hands Pistache nothing more from it.
  static void MarkStreaming(ResponseWriter& response) {
    if (auto connection = ConnectionOf(*response.peer())) connection->streaming = true;
  }

  void Remember(const std::shared_ptr<PeerStream>& stream, SubscriptionId id) {
    std::lock_guard lock(s_.streams_mutex);
    s_.streams[stream->peer_address()] = {id, stream};
  }

  ApiState& s_;
  ApiServices& svc_;
  QueryParams query_;   // the request's, decoded once
  std::string run_id_;  // the path's run id, resolved (ResolveRun)
};

/// Pistache's side: one complete request at a time comes in through onInput (from the
/// guard) and is routed.
class RequestHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(RequestHandler)
  explicit RequestHandler(std::shared_ptr<ApiState> state) : state_(std::move(state)) {}

  void onRequest(const Request& request, ResponseWriter response) override {
    // Pistache copies the request's Connection header (or writes "Close"): say what the
    // guard will do.
    bool close = false;
    if (auto peer = response.peer(); auto connection = ConnectionOf(*peer)) close = connection->close_after;
    response.headers().remove<Pistache::Http::Header::Connection>();
    response.headers().add<Pistache::Http::Header::Connection>(close ? Pistache::Http::ConnectionControl::Close
                                                                     : Pistache::Http::ConnectionControl::KeepAlive);
    try {
      Routes(*state_).Handle(request, response);
    } catch (const std::exception& e) {
      Logger("http")->error("{} {}: {}", MethodName(request.method()), Echo(request.resource(), 200), e.what());
      SendError(response, Code::Internal_Server_Error, "internal", "internal error");
    }
  }

 private:
  std::shared_ptr<ApiState> state_;
};

// Pistache 0.0.5 declares Http::Handler::onInput private, so the guard (an Http::Handler
// itself, as Endpoint requires) cannot call its base's parser on itself: it hands each
// request to an inner RequestHandler, which must write through the reactor's transport that
// Pistache gave the guard. Tcp::Handler::transport_ has no setter outside Transport; its
// member pointer is named in an explicit instantiation, where access checks do not apply
// ([temp.spec.general]/6).
using TransportMemberPtr = Pistache::Tcp::Transport* Pistache::Tcp::Handler::*;
TransportMemberPtr TransportMember();
template <TransportMemberPtr Member>
struct ExposeTransport {
  friend TransportMemberPtr TransportMember() { return Member; }
};
template struct ExposeTransport<&Pistache::Tcp::Handler::transport_>;

/// What Pistache's transport calls: frames each connection's bytes (FrameRequest) and
/// hands them to the inner RequestHandler one request at a time, in order.
class Guard : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(Guard)
  Guard(std::shared_ptr<ApiState> state, size_t max_request_bytes)
      : state_(std::move(state)), max_request_bytes_(max_request_bytes), inner_(std::make_shared<RequestHandler>(state_)) {}
  // Each reactor thread gets a clone, with an inner handler of its own.
  Guard(const Guard& other)
      : Pistache::Http::Handler(other),
        state_(other.state_),
        max_request_bytes_(other.max_request_bytes_),
        inner_(std::make_shared<RequestHandler>(state_)) {}

  void onRequest(const Request& request, ResponseWriter response) override {
    inner_->onRequest(request, std::move(response));  // not reached: requests go to inner_
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    auto connection = ConnectionOf(*peer);
    if (!connection) {
      connection = std::make_shared<ConnectionState>();
      peer->putData(ConnectionState::kPeerData, connection);
    }
    if (connection->closing || connection->streaming) return;
    if (connection->buffer.size() + len > 4 * max_request_bytes_ + (64u << 10)) {
      // Only while waiting for earlier answers can this much pile up (a request is framed,
      // or refused, as soon as it is complete): a client pipelining that far ahead is cut off.
      connection->closing = true;
      connection->buffer.clear();
      ::shutdown(peer->fd(), SHUT_RDWR);
      return;
    }
    connection->buffer.append(buffer, len);
    Drain(peer, *connection);
  }

  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    std::pair<SubscriptionId, std::shared_ptr<PeerStream>> stream;
    {
      std::lock_guard lock(state_->streams_mutex);
      auto it = state_->streams.find(peer.get());
      if (it == state_->streams.end()) return;
      stream = std::move(it->second);
      state_->streams.erase(it);
    }
    state_->services.hub.Unsubscribe(stream.first);
  }

 private:
  /// Hands on every complete request in the buffer, until one closes the connection,
  /// becomes a stream, or must wait for earlier answers to reach the socket.
  void Drain(const std::shared_ptr<Pistache::Tcp::Peer>& peer, ConnectionState& connection) {
    while (!connection.waiting && !connection.closing && !connection.streaming) {
      size_t skip = 0;  // blank lines between requests are allowed (RFC 9112 §2.2)
      while (connection.buffer.compare(skip, 2, "\r\n") == 0) skip += 2;
      connection.buffer.erase(0, skip);
      if (connection.buffer.empty()) return;
      Framed f = FrameRequest(connection.buffer, max_request_bytes_);
      if (f.state == Framed::State::kIncomplete) return;
      if (f.state == Framed::State::kRefused) {
        // The framing is lost: answer and close. The client may still be sending.
        const std::string body = ErrorJson(f.error_code, f.message, f.field);
        const std::string text = "HTTP/1.1 " + std::to_string(static_cast<int>(f.code)) + " " +
                                 Pistache::Http::codeString(f.code) +
                                 "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: " +
                                 std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        connection.closing = true;
        connection.buffer.clear();
        peer->send(Pistache::RawBuffer(text, text.size()));
        CloseAfterWrites(peer);
        return;
      }
      if (f.stream && connection.fed) {
        // A stream writes to the socket directly, so earlier answers still in Pistache's
        // write queue must be out first: a write of nothing resolves once they are.
        connection.waiting = true;
        std::weak_ptr<Pistache::Tcp::Peer> weak = peer;
        peer->send(Pistache::RawBuffer(std::string(), 0))
            .then(
                [this, weak](ssize_t) {
                  auto p = weak.lock();
                  auto c = p ? ConnectionOf(*p) : nullptr;
                  if (!c) return;
                  c->waiting = false;
                  c->fed = false;  // every earlier answer is written
                  Drain(p, *c);
                },
                [](std::exception_ptr&) {});
        return;
      }
      connection.buffer.erase(0, f.length);
      connection.fed = true;
      connection.close_after = f.close;
      Feed(f.forwarded, peer);
      if (f.close && !connection.streaming) {
        connection.closing = true;
        connection.buffer.clear();
        CloseAfterWrites(peer);
      }
    }
  }

  /// Pistache's own parsing and routing of one complete request (answered by inner_).
  void Feed(const std::string& request, const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
    Pistache::Tcp::Handler& inner = *inner_;
    inner.*TransportMember() = transport();
    inner.onInput(request.data(), request.size(), peer);
  }

  /// Shuts the socket down once everything queued for it is written (Pistache then sees
  /// the end of input and closes it).
  static void CloseAfterWrites(const std::shared_ptr<Pistache::Tcp::Peer>& peer) {
    std::weak_ptr<Pistache::Tcp::Peer> weak = peer;
    peer->send(Pistache::RawBuffer(std::string(), 0))
        .then(
            [weak](ssize_t) {
              if (auto p = weak.lock()) ::shutdown(p->fd(), SHUT_RDWR);
            },
            [](std::exception_ptr&) {});
  }

  std::shared_ptr<ApiState> state_;
  size_t max_request_bytes_;
  std::shared_ptr<RequestHandler> inner_;
};

}  // namespace

ApiServer::ApiServer(ApiServerOptions options, ApiServices services)
    : options_(std::move(options)), state_(std::make_shared<ApiState>(std::move(services))) {}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Start() {
  try {
    Pistache::Address address(options_.host, Pistache::Port(options_.port));
    endpoint_ = std::make_unique<Pistache::Http::Endpoint>(address);
    auto opts = Pistache::Http::Endpoint::options()
                    .threads(options_.threads)
                    // ReuseAddr: the port may be held, not listened on, by the supervisor
                    // (cli/supervisor.h).
                    .flags(Pistache::Tcp::Options::ReuseAddr)
                    // The guard frames requests of at most max_request_bytes; what it hands
                    // on (a normalised head) may be a little longer.
                    .maxRequestSize(options_.max_request_bytes + 4096)
                    .keepaliveTimeout(std::chrono::hours(24));
    endpoint_->init(opts);
    endpoint_->setHandler(Pistache::Http::make_handler<Guard>(state_, options_.max_request_bytes));
    endpoint_->serveThreaded();
  } catch (const std::exception& e) {
    endpoint_.reset();
    return InvalidArgument("cannot listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + e.what(),
                           "port");
  }
  return Status::Ok();
}

void ApiServer::BeginShutdown(std::chrono::seconds grace) {
  if (state_->shutting_down.exchange(true)) return;
  state_->services.hub.AnnounceShutdown(grace);
}

uint16_t ApiServer::port() const { return endpoint_ ? static_cast<uint16_t>(endpoint_->getPort()) : 0; }

void ApiServer::Stop() {
  if (!endpoint_) return;
  endpoint_->shutdown();
  endpoint_.reset();
}

}  // namespace stratrun::http
