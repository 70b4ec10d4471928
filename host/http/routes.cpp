#include "http/routes.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "common/run_id.h"
#include "data/universe.h"
#include "exec/run_request.h"
#include "http/api_state.h"
#include "http/http_io.h"
#include "http/json_views.h"
#include "http/request_parsing.h"
#include "http/sse_endpoints.h"
#include "http/static_files.h"
#include "plugins/plugin_json.h"
#include "progress/result_csv.h"
#include "progress/run_json.h"

namespace stratrun::http {

using Pistache::Http::Code;
using Pistache::Http::Method;
using Pistache::Http::Request;
using Pistache::Http::ResponseWriter;

namespace {

constexpr size_t kMaxCodeLength = 64;
constexpr int64_t kMaxExecutionTime = 7 * 24 * 3600;
/// The most one GET …/events or …/results page carries (a page ends early rather than grow).
constexpr size_t kMaxResponseBytes = 8u << 20;
/// The largest CSV export; a larger one is refused, naming limit and offset to export it in parts.
constexpr size_t kMaxCsvExportBytes = 64u << 20;

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
      if (only("GET", Method::Get)) ServeStaticFile(response, svc_.web_root, "index.html");
      return;
    }
    if (seg[0] == "web" && seg.size() >= 2) {
      if (only("GET", Method::Get)) ServeStaticFile(response, svc_.web_root, resource.substr(5));
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

  void Health(ResponseWriter& response) { SendJson(response, Code::Ok, HealthJson(s_)); }

  void Strategy(ResponseWriter& response, const std::string& code) {
    auto plugin = svc_.registry.catalog()->Find(code);
    if (!plugin) return SendError(response, Code::Not_Found, "not_found", "unknown strategy '" + Echo(code) + "'", "strategy_code");
    SendJson(response, Code::Ok, StrategyJson(*plugin));
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
    auto run_request = MakeRunRequest(NewRunId(), std::move(*parameters), svc_.data);
    if (!run_request) return SendStatus(response, run_request.status());

    submission.plugin = plugin;
    submission.request = std::move(*run_request);
    submission.source = "api";
    auto submitted = svc_.executor.Submit(std::move(submission));
    if (!submitted) return SendStatus(response, submitted.status());

    SetHeader(response, "Location", "/api/strategies/runs/" + submitted->run_id);
    SendJson(response, Code::Accepted, SubmittedJson(*submitted));
  }

  void Queue(ResponseWriter& response) {
    SendJson(response, Code::Ok, QueueJson(svc_.executor.Queue(), svc_.executor.limits()));
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
    for (RunRecord& run : *runs) run = Live(run);
    SendJson(response, Code::Ok, RunListJson(*runs, *total, *limit, *offset));
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
    std::optional<int64_t> position;
    if (auto active = svc_.executor.Active(run_id)) position = active->position;
    SendJson(response, Code::Ok, RunStatusJson(*run, position));
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
    if (*tail > 0 && Query(query_, "after")) {
      return SendStatus(response, InvalidArgument("give after or tail, not both", "tail"));
    }
    auto last = svc_.store.LastSeq(run_id);
    if (!last) return SendStatus(response, last.status());
    if (*tail > 0) {
      *after = std::max<int64_t>(0, static_cast<int64_t>(*last) - *tail);
      *limit = *tail;
    }
    // A page holds at most kMaxResponseBytes of events (at least one): "more" says
    // the log goes on after its last event, to be read with ?after=<its seq>.
    auto events = svc_.store.Events(run_id, static_cast<uint64_t>(*after), *limit, kMaxResponseBytes);
    if (!events) return SendStatus(response, events.status());
    if (*tail > 0 && !events->empty() && events->back().seq < *last) {
      // The tail did not fit: as many of the newest events as did.
      const auto fits = static_cast<int64_t>(events->size());
      events = svc_.store.Events(run_id, *last - static_cast<uint64_t>(fits), fits, kMaxResponseBytes);
      if (!events) return SendStatus(response, events.status());
    }
    const bool more = !events->empty() && events->back().seq < *last;
    SendJson(response, Code::Ok, RunEventsJson(run_id, run->status, *events, more));
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
    // A JSON page holds at most kMaxResponseBytes of rows (at least one; "more" says
    // others follow); a CSV export is whole or refused, never cut short.
    query.max_bytes = format == "csv" ? kMaxCsvExportBytes : kMaxResponseBytes;
    auto rows = svc_.store.Results(run_id, query);
    if (!rows) return SendStatus(response, rows.status());
    auto total = svc_.store.CountResults(run_id, query.passed_only);
    if (!total) return SendStatus(response, total.status());
    const bool more = *offset + static_cast<int64_t>(rows->size()) < *total;
    if (format == "csv") {
      size_t bytes = 0;
      for (const ResultRow& row : *rows) bytes += MemoryBytes(row);
      if (bytes >= query.max_bytes) {  // the read stopped at the cap
        return SendStatus(response, InvalidArgument("the export is larger than " + std::to_string(kMaxCsvExportBytes >> 20) +
                                                        " MiB: export it in parts with limit and offset (the first " +
                                                        std::to_string(rows->size()) + " rows fit)",
                                                    "limit"));
      }
      SetHeader(response, "Content-Disposition", "attachment; filename=\"" + run->strategy_code + "-" + run_id.substr(0, 8) + ".csv\"");
      return SendText(response, Code::Ok, ResultsToCsv(*rows), "text/csv; charset=utf-8");
    }
    SendJson(response, Code::Ok, RunResultsJson(run_id, run->status, *total, *rows, more));
  }

  void Cancel(ResponseWriter& response, const std::string& run_id) {
    Status cancelled = svc_.executor.Cancel(run_id, CancelReason::kUser);
    if (!cancelled.ok()) return SendStatus(response, cancelled);
    SendJson(response, Code::Ok, CancelledJson(run_id));
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
    SendJson(response, Code::Ok, BarsJson(ticker, **series, *days));
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
    OpenRunStream(s_, response, run_id, after);
  }

  void LifecycleStream(const Request&, ResponseWriter& response) { OpenLifecycleStream(s_, response); }

  ApiState& s_;
  ApiServices& svc_;
  QueryParams query_;   // the request's, decoded once
  std::string run_id_;  // the path's run id, resolved (ResolveRun)
};

}  // namespace

void Route(ApiState& state, const Request& request, ResponseWriter& response) { Routes(state).Handle(request, response); }

}  // namespace stratrun::http
