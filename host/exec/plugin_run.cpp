#include "exec/plugin_run.h"

#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <variant>

#include "common/logging.h"
#include "progress/event_stamper.h"

namespace stratrun {
namespace {

/// The host side of one run: what the opaque `stratrun_run` handle points to.
class RunContext {
 public:
  RunContext(const Plugin& plugin, const RunRequest& request, BarSource& data, ProgressSink& sink,
             const Cancellation& cancel)
      : plugin_(plugin), request_(request), data_(data), sink_(sink), stop_(cancel.token()),
        stamper_(request.run_id) {
    for (const auto& [name, value] : request_.parameters.entries()) AddParameter(name, value);
  }

  static RunContext* From(stratrun_run run) { return reinterpret_cast<RunContext*>(run); }
  stratrun_run handle() { return reinterpret_cast<stratrun_run>(this); }

  /// Stamps and delivers one event; the lock keeps seq order equal to delivery order.
  void Deliver(ProgressEvent event) {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    stamper_.Stamp(event);
    finished_ = IsTerminal(event.type);
    sink_.OnEvent(event);
  }

  void Deliver(ResultRow row) {
    std::lock_guard lock(mutex_);
    if (finished_) return;
    stamper_.CountResult(row.ticker, row.passed);
    sink_.OnResult(request_.run_id, row);
  }

  bool Cancelled() const { return stop_.stop_requested(); }

  stratrun_status GetBars(const char* ticker, stratrun_bars* out, const char** out_message) {
    auto series = data_.Load(ticker);
    std::lock_guard lock(mutex_);
    if (!series) {
      if (out_message != nullptr) *out_message = messages_.emplace_back(series.status().message()).c_str();
      return series.status().code() == StatusCode::kNotFound ? STRATRUN_NOT_FOUND : STRATRUN_DATA_ERROR;
    }
    const BarSeries& s = **series;
    stratrun_bars bars{};
    bars.struct_size = sizeof bars;
    bars.count = s.size();
    bars.day = s.day.data();
    bars.open = s.open.data();
    bars.high = s.high.data();
    bars.low = s.low.data();
    bars.close = s.close.data();
    bars.adj_close = s.adj_close.data();
    bars.volume = s.volume.data();
    std::memcpy(out, &bars, std::min<size_t>(out->struct_size, sizeof bars));
    out->struct_size = static_cast<uint32_t>(std::min<size_t>(out->struct_size, sizeof bars));
    held_series_.push_back(std::move(*series));  // valid until the run ends, as promised
    return STRATRUN_OK;
  }

  stratrun_status GetParameter(const char* name, stratrun_param_value* out) const {
    auto it = parameters_.find(name);
    if (it == parameters_.end()) return STRATRUN_NOT_FOUND;
    const uint32_t size = std::min<uint32_t>(out->struct_size, sizeof(stratrun_param_value));
    std::memcpy(out, &it->second.value, size);
    out->struct_size = size;
    return STRATRUN_OK;
  }

  void Log(stratrun_log_level level, const char* message) const {
    static const auto logger = Logger("plugin");
    const auto spd_level = level <= STRATRUN_LOG_DEBUG  ? spdlog::level::debug
                           : level == STRATRUN_LOG_INFO ? spdlog::level::info
                           : level == STRATRUN_LOG_WARN ? spdlog::level::warn
                                                        : spdlog::level::err;
    logger->log(spd_level, "[{} {}] {}", plugin_.code(), request_.run_id, message != nullptr ? message : "");
  }

  int64_t passed_count() {
    std::lock_guard lock(mutex_);
    return stamper_.passed_count();
  }
  int64_t result_count() {
    std::lock_guard lock(mutex_);
    return stamper_.result_count();
  }

 private:
  struct StoredParameter {
    stratrun_param_value value{};
    std::vector<const char*> items;
  };

  void AddParameter(const std::string& name, const ParamValue& value) {
    StoredParameter& stored = parameters_[name];
    stratrun_param_value& v = stored.value;
    v.struct_size = sizeof v;
    const ParamSpec* spec = plugin_.schema().Find(name);
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, int64_t>) {
            v.type = STRATRUN_PARAM_INTEGER;
            v.integer_value = x;
            v.number_value = static_cast<double>(x);
          } else if constexpr (std::is_same_v<T, double>) {
            v.type = STRATRUN_PARAM_NUMBER;
            v.number_value = x;
          } else if constexpr (std::is_same_v<T, bool>) {
            v.type = STRATRUN_PARAM_BOOLEAN;
            v.boolean_value = x;
          } else if constexpr (std::is_same_v<T, std::string>) {
            v.type = spec != nullptr && spec->type == ParamType::kEnum ? STRATRUN_PARAM_ENUM : STRATRUN_PARAM_STRING;
            v.string_value = x.c_str();
          } else {
            v.type = STRATRUN_PARAM_STRING_LIST;
            for (const std::string& item : x) stored.items.push_back(item.c_str());
            v.list_items = stored.items.data();
            v.list_count = stored.items.size();
          }
        },
        value);
  }

  const Plugin& plugin_;
  const RunRequest& request_;
  BarSource& data_;
  ProgressSink& sink_;
  std::stop_token stop_;
  std::map<std::string, StoredParameter, std::less<>> parameters_;  // immutable after construction

  std::mutex mutex_;  // guards everything below
  EventStamper stamper_;
  bool finished_ = false;
  std::vector<std::shared_ptr<const BarSeries>> held_series_;
  std::deque<std::string> messages_;  // strings handed to the plugin; stable addresses
};

// ---- the host API table: C callbacks that never let an exception out ----------------

stratrun_status HostEmit(stratrun_run run, const stratrun_event* raw) noexcept try {
  if (run == nullptr || raw == nullptr) return STRATRUN_INVALID_ARGUMENT;
  stratrun_event e{};
  std::memcpy(&e, raw, std::min<size_t>(raw->struct_size, sizeof e));
  ProgressEvent event;
  switch (e.event_type) {
    case STRATRUN_EVENT_PROGRESS: event.type = EventType::kProgress; break;
    case STRATRUN_EVENT_TICKER_COMPLETED: event.type = EventType::kTickerCompleted; break;
    case STRATRUN_EVENT_STAGE_COMPLETED: event.type = EventType::kStageCompleted; break;
    default: return STRATRUN_INVALID_ARGUMENT;  // started and terminal events are the host's
  }
  if (e.stage != nullptr) event.stage = e.stage;
  if (e.current_item != nullptr) event.current_item = e.current_item;
  if (e.message != nullptr) event.message = e.message;
  if (e.total_items >= 0) event.total_items = e.total_items;
  if (e.completed_items >= 0) event.completed_items = e.completed_items;
  if (e.progress_percent >= 0 && e.progress_percent <= 100) event.progress_percent = e.progress_percent;
  if (e.metrics != nullptr) {
    for (size_t i = 0; i < e.metric_count; ++i) {
      if (e.metrics[i].name != nullptr) event.metrics.emplace_back(e.metrics[i].name, e.metrics[i].value);
    }
  }
  RunContext::From(run)->Deliver(std::move(event));
  return STRATRUN_OK;
} catch (...) {
  return STRATRUN_INTERNAL;
}

bool HostIsCancelled(stratrun_run run) noexcept {
  return run != nullptr && RunContext::From(run)->Cancelled();
}

stratrun_status HostGetBars(stratrun_run run, const char* ticker, stratrun_bars* out,
                            const char** out_message) noexcept try {
  if (run == nullptr || ticker == nullptr || out == nullptr) return STRATRUN_INVALID_ARGUMENT;
  return RunContext::From(run)->GetBars(ticker, out, out_message);
} catch (...) {
  return STRATRUN_INTERNAL;
}

stratrun_status HostReportResult(stratrun_run run, const stratrun_result* raw) noexcept try {
  if (run == nullptr || raw == nullptr) return STRATRUN_INVALID_ARGUMENT;
  stratrun_result r{};
  std::memcpy(&r, raw, std::min<size_t>(raw->struct_size, sizeof r));
  if (r.ticker == nullptr || *r.ticker == '\0') return STRATRUN_INVALID_ARGUMENT;
  ResultRow row;
  row.ticker = r.ticker;
  row.score = r.score;
  row.passed = r.passed;
  if (r.metrics != nullptr) {
    for (size_t i = 0; i < r.metric_count; ++i) {
      if (r.metrics[i].name != nullptr) row.metrics.emplace_back(r.metrics[i].name, r.metrics[i].value);
    }
  }
  if (r.reasons != nullptr) {
    for (size_t i = 0; i < r.reason_count; ++i) {
      if (r.reasons[i] != nullptr) row.reasons.emplace_back(r.reasons[i]);
    }
  }
  RunContext::From(run)->Deliver(std::move(row));
  return STRATRUN_OK;
} catch (...) {
  return STRATRUN_INTERNAL;
}

stratrun_status HostGetParameter(stratrun_run run, const char* name, stratrun_param_value* out) noexcept try {
  if (run == nullptr || name == nullptr || out == nullptr) return STRATRUN_INVALID_ARGUMENT;
  return RunContext::From(run)->GetParameter(name, out);
} catch (...) {
  return STRATRUN_INTERNAL;
}

void HostLog(stratrun_run run, stratrun_log_level level, const char* message) noexcept {
  try {
    if (run != nullptr) RunContext::From(run)->Log(level, message);
  } catch (...) {
  }
}

stratrun_host_api MakeHostApi(const Plugin& plugin) {
  stratrun_host_api api{};
  api.struct_size = sizeof api;
  api.abi_major = plugin.abi().major;
  api.abi_minor = STRATRUN_ABI_MINOR;
  api.emit = &HostEmit;
  api.is_cancelled = &HostIsCancelled;
  api.get_bars = &HostGetBars;
  api.report_result = &HostReportResult;
  api.get_parameter = &HostGetParameter;
  api.log = &HostLog;
  return api;
}

}  // namespace

unsigned RunWorkers(const ParameterValues& parameters) {
  if (const ParamValue* workers = parameters.Find("max_workers")) {
    if (const auto* n = std::get_if<int64_t>(workers)) return static_cast<unsigned>(std::max<int64_t>(1, *n));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

RunOutcome RunPlugin(const Plugin& plugin, const RunRequest& request, BarSource& data, ProgressSink& sink,
                     const Cancellation& cancel) {
  RunContext context(plugin, request, data, sink, cancel);
  {
    ProgressEvent started;
    started.type = EventType::kStarted;
    started.message = "started " + plugin.code() + " " + plugin.version() + " on " +
                      std::to_string(request.tickers.size()) + " tickers";
    started.total_items = static_cast<int64_t>(request.tickers.size());
    started.completed_items = 0;
    started.progress_percent = 0.0;
    context.Deliver(std::move(started));
  }

  std::vector<const char*> tickers;
  tickers.reserve(request.tickers.size());
  for (const auto& t : request.tickers) tickers.push_back(t.c_str());
  stratrun_run_args args{};
  args.struct_size = sizeof args;
  args.run_id = request.run_id.c_str();
  args.tickers = tickers.data();
  args.ticker_count = tickers.size();
  args.max_workers = std::max(1u, request.max_workers);
  const stratrun_host_api api = MakeHostApi(plugin);

  RunOutcome outcome;
  const char* message = nullptr;
  stratrun_status status = STRATRUN_INTERNAL;
  try {
    status = plugin.run_hook()(&api, context.handle(), &args, &message);
    outcome.message = message != nullptr ? message : "";
  } catch (const std::exception& e) {
    outcome.message = std::string("plugin threw an exception: ") + e.what();
  } catch (...) {
    outcome.message = "plugin threw an exception";
  }

  ProgressEvent terminal;
  const CancelReason reason = cancel.reason();
  if (status == STRATRUN_OK) {
    outcome.state = RunState::kCompleted;
    terminal.type = EventType::kCompleted;
    if (outcome.message.empty()) outcome.message = "completed";
  } else if (reason == CancelReason::kTimeout) {
    outcome.state = RunState::kError;
    outcome.error_code = CancelReasonName(reason);
    outcome.message = cancel.message();
    terminal.type = EventType::kError;
    terminal.error_code = outcome.error_code;
    if (outcome.message.empty()) outcome.message = "run exceeded its time limit";
  } else if (status == STRATRUN_CANCELLED) {
    outcome.state = RunState::kCancelled;
    outcome.error_code = CancelReasonName(reason);
    if (reason != CancelReason::kNone) outcome.message = cancel.message();
    terminal.type = EventType::kCancelled;
    terminal.error_code = outcome.error_code;
    if (outcome.message.empty()) outcome.message = "cancelled";
  } else {
    outcome.state = RunState::kError;
    outcome.error_code = "plugin_error";
    terminal.type = EventType::kError;
    terminal.error_code = outcome.error_code;
    if (outcome.message.empty()) outcome.message = "plugin failed with status " + std::to_string(status);
  }
  outcome.result_count = context.result_count();
  outcome.passed_count = context.passed_count();
  terminal.message = outcome.message;
  context.Deliver(std::move(terminal));
  return outcome;
}

}  // namespace stratrun
