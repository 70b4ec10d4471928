#include "exec/plugin_call.h"

#include <atomic>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/logging.h"
#include "common/utf8.h"

namespace stratrun {
namespace {

/// The host side of one run: what the opaque `stratrun_run` handle names (through RunTable).
///
/// It lives on the heap, shared by the table and by every host call in progress, because
/// a plugin may keep the handle (a thread it started) after `run` returned. Its references
/// to the caller's objects (plugin, request, data, channel) are only used through a host call
/// admitted by Enter() while the context is open; Close() waits for the calls in progress
/// and refuses every later one, so nothing of a finished run is touched.
class RunContext {
 public:
  RunContext(const Plugin& plugin, const RunRequest& request, BarSource& data, RunChannel& channel)
      : plugin_(plugin), request_(request), data_(data), channel_(channel), code_(plugin.code()),
        run_id_(request.run_id) {
    for (const auto& [name, value] : request_.parameters.entries()) AddParameter(name, value);
  }

  /// A plugin's call: holds the context open for the call's duration, or refuses it
  /// (the run's `run` returned).
  class Admission {
   public:
    explicit Admission(RunContext& context) : lock_(context.gate_), open_(context.open_) {
      if (!open_) context.NoteLateCall();
    }
    explicit operator bool() const { return open_; }

   private:
    std::shared_lock<std::shared_mutex> lock_;
    bool open_;
  };

  /// From now on every plugin call is refused with STRATRUN_RUN_FINISHED; returns once the
  /// calls in progress have returned.
  void Close() {
    std::unique_lock lock(gate_);
    open_ = false;
  }

  RunChannel& channel() { return channel_; }

  stratrun_status GetBars(const char* ticker, stratrun_bars* out, const char** out_message) {
    auto series = data_.Load(ticker);
    std::lock_guard lock(held_mutex_);
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

  /// Says once per run (in the "plugin" log) that the plugin called the host after `run`
  /// returned; uses only the context's own copies.
  void NoteLateCall() {
    if (late_call_noted_.exchange(true)) return;
    Logger("plugin")->warn("[{} {}] the plugin called the host after its run ended (a thread it left running?); "
                           "the call was refused",
                           code_, run_id_);
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

  // Valid only while open_ (see the class comment):
  const Plugin& plugin_;
  const RunRequest& request_;
  BarSource& data_;
  RunChannel& channel_;
  // The context's own:
  const std::string code_, run_id_;
  std::map<std::string, StoredParameter, std::less<>> parameters_;  // immutable after construction
  std::shared_mutex gate_;  // shared: a plugin call in progress; unique: Close()
  bool open_ = true;        // guarded by gate_
  std::atomic<bool> late_call_noted_{false};

  std::mutex held_mutex_;  // guards everything below
  std::vector<std::shared_ptr<const BarSeries>> held_series_;
  std::deque<std::string> messages_;  // strings handed to the plugin; stable addresses
};

// ---- run handles -------------------------------------------------------------------

/// The runs in progress by handle. A handle is a number, never reused in a process, cast
/// to the opaque pointer type: a handle of a run that ended names nothing, so a late call
/// is refused by lookup instead of reading freed memory.
class RunTable {
 public:
  static RunTable& Instance() {
    static RunTable* table = new RunTable;  // never destroyed: a plugin thread may call during exit
    return *table;
  }

  stratrun_run Add(std::shared_ptr<RunContext> context) {
    std::unique_lock lock(mutex_);
    const uint64_t id = next_id_++;
    runs_.emplace(id, std::move(context));
    return reinterpret_cast<stratrun_run>(static_cast<uintptr_t>(id));
  }

  void Remove(stratrun_run run) {
    std::unique_lock lock(mutex_);
    runs_.erase(Id(run));
  }

  /// The run `run` names, or nullptr with `*status` saying why: RUN_FINISHED for a handle
  /// this process handed out whose run has ended, INVALID_ARGUMENT for anything else.
  std::shared_ptr<RunContext> Find(stratrun_run run, stratrun_status* status) const {
    std::shared_lock lock(mutex_);
    const uint64_t id = Id(run);
    if (auto it = runs_.find(id); it != runs_.end()) return it->second;
    *status = id != 0 && id < next_id_ ? STRATRUN_RUN_FINISHED : STRATRUN_INVALID_ARGUMENT;
    return nullptr;
  }

 private:
  static uint64_t Id(stratrun_run run) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(run)); }

  mutable std::shared_mutex mutex_;
  uint64_t next_id_ = 1;  // guarded by mutex_
  std::unordered_map<uint64_t, std::shared_ptr<RunContext>> runs_;
};

/// Calls `body(context)` for the open run `run` names, or returns why it cannot: a finished
/// run's calls get STRATRUN_RUN_FINISHED and touch nothing of it.
template <typename Body>
stratrun_status WithRun(stratrun_run run, Body&& body) {
  stratrun_status status = STRATRUN_INVALID_ARGUMENT;
  std::shared_ptr<RunContext> context = RunTable::Instance().Find(run, &status);
  if (!context) return status;
  RunContext::Admission admitted(*context);
  if (!admitted) return STRATRUN_RUN_FINISHED;
  return body(*context);
}

// ---- the host API table: C callbacks that never let an exception out ----------------
// Every string a plugin hands the host is made valid UTF-8 here, once (SanitizeUtf8), so
// the JSON, SSE, CSV and logs made from it are valid too.

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
  return WithRun(run, [&](RunContext& context) {
    if (e.stage != nullptr) event.stage = SanitizeUtf8(e.stage);
    if (e.current_item != nullptr) event.current_item = SanitizeUtf8(e.current_item);
    if (e.message != nullptr) event.message = SanitizeUtf8(e.message);
    if (e.total_items >= 0) event.total_items = e.total_items;
    if (e.completed_items >= 0) event.completed_items = e.completed_items;
    if (e.progress_percent >= 0 && e.progress_percent <= 100) event.progress_percent = e.progress_percent;
    if (e.metrics != nullptr) {
      for (size_t i = 0; i < e.metric_count; ++i) {
        if (e.metrics[i].name != nullptr) event.metrics.emplace_back(SanitizeUtf8(e.metrics[i].name), e.metrics[i].value);
      }
    }
    context.channel().Emit(std::move(event));
    return STRATRUN_OK;
  });
} catch (...) {
  return STRATRUN_INTERNAL;
}

bool HostIsCancelled(stratrun_run run) noexcept try {
  bool cancelled = true;  // a finished (or unknown) run: stop
  WithRun(run, [&](RunContext& context) {
    cancelled = context.channel().Cancelled();
    return STRATRUN_OK;
  });
  return cancelled;
} catch (...) {
  return true;
}

stratrun_status HostGetBars(stratrun_run run, const char* ticker, stratrun_bars* out,
                            const char** out_message) noexcept try {
  if (run == nullptr || ticker == nullptr || out == nullptr) return STRATRUN_INVALID_ARGUMENT;
  return WithRun(run, [&](RunContext& context) { return context.GetBars(ticker, out, out_message); });
} catch (...) {
  return STRATRUN_INTERNAL;
}

stratrun_status HostReportResult(stratrun_run run, const stratrun_result* raw) noexcept try {
  if (run == nullptr || raw == nullptr) return STRATRUN_INVALID_ARGUMENT;
  stratrun_result r{};
  std::memcpy(&r, raw, std::min<size_t>(raw->struct_size, sizeof r));
  if (r.ticker == nullptr || *r.ticker == '\0') return STRATRUN_INVALID_ARGUMENT;
  return WithRun(run, [&](RunContext& context) {
    ResultRow row;
    row.ticker = SanitizeUtf8(r.ticker);
    row.score = r.score;
    row.passed = r.passed;
    if (r.metrics != nullptr) {
      for (size_t i = 0; i < r.metric_count; ++i) {
        if (r.metrics[i].name != nullptr) row.metrics.emplace_back(SanitizeUtf8(r.metrics[i].name), r.metrics[i].value);
      }
    }
    if (r.reasons != nullptr) {
      for (size_t i = 0; i < r.reason_count; ++i) {
        if (r.reasons[i] != nullptr) row.reasons.emplace_back(SanitizeUtf8(r.reasons[i]));
      }
    }
    context.channel().Report(std::move(row));
    return STRATRUN_OK;
  });
} catch (...) {
  return STRATRUN_INTERNAL;
}

stratrun_status HostGetParameter(stratrun_run run, const char* name, stratrun_param_value* out) noexcept try {
  if (run == nullptr || name == nullptr || out == nullptr) return STRATRUN_INVALID_ARGUMENT;
  return WithRun(run, [&](RunContext& context) { return context.GetParameter(name, out); });
} catch (...) {
  return STRATRUN_INTERNAL;
}

void HostLog(stratrun_run run, stratrun_log_level level, const char* message) noexcept {
  try {
    WithRun(run, [&](RunContext& context) {
      context.channel().Log(level, SanitizeUtf8(message));
      return STRATRUN_OK;
    });
  } catch (...) {
  }
}

/// The host API table: one static table, so a plugin thread that kept its pointer after
/// `run` returned still reads valid memory (and then gets RUN_FINISHED from every call).
const stratrun_host_api* HostApi() {
  static const stratrun_host_api api = [] {
    stratrun_host_api table{};
    table.struct_size = sizeof table;
    table.abi_major = STRATRUN_ABI_MAJOR;  // the loader refuses every other major
    table.abi_minor = STRATRUN_ABI_MINOR;
    table.emit = &HostEmit;
    table.is_cancelled = &HostIsCancelled;
    table.get_bars = &HostGetBars;
    table.report_result = &HostReportResult;
    table.get_parameter = &HostGetParameter;
    table.log = &HostLog;
    return table;
  }();
  return &api;
}

}  // namespace

PluginReturn CallPlugin(const Plugin& plugin, const RunRequest& request, BarSource& data, RunChannel& channel) {
  PluginReturn result;
  if (plugin.run_hook() == nullptr) {
    result.message = "strategy " + plugin.code() + " is not loaded in this process";
    return result;
  }
  auto shared_context = std::make_shared<RunContext>(plugin, request, data, channel);
  RunTable& table = RunTable::Instance();
  const stratrun_run handle = table.Add(shared_context);

  std::vector<const char*> tickers;
  tickers.reserve(request.tickers.size());
  for (const auto& t : request.tickers) tickers.push_back(t.c_str());
  stratrun_run_args args{};
  args.struct_size = sizeof args;
  args.run_id = request.run_id.c_str();
  args.tickers = tickers.data();
  args.ticker_count = tickers.size();
  args.max_workers = std::max(1u, request.max_workers);

  const char* message = nullptr;
  try {
    result.status = plugin.run_hook()(HostApi(), handle, &args, &message);
    result.message = SanitizeUtf8(message);
  } catch (const std::exception& e) {
    result.status = STRATRUN_INTERNAL;
    result.message = SanitizeUtf8(std::string("plugin threw an exception: ") + e.what());
  } catch (...) {
    result.status = STRATRUN_INTERNAL;
    result.message = "plugin threw an exception";
  }
  // `run` returned: a thread the plugin left behind is refused from here on (after the
  // calls it has in progress return), so nothing of the plugin's reaches the channel now.
  shared_context->Close();
  table.Remove(handle);
  return result;
}

}  // namespace stratrun
