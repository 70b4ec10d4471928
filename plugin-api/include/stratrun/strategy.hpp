// stratrun/strategy.hpp — the C++ SDK for writing a strategy plugin.
//
// A strategy is a class with a static Describe() and either Evaluate() per ticker
// (derive from sdk::Screener<Config>) or Execute() for anything else (derive from
// sdk::Strategy). One macro exports it:
//
//   struct Config { double min_close; };
//   class AboveClose : public stratrun::sdk::Screener<Config> {
//    public:
//     static stratrun::sdk::Descriptor Describe() {
//       return {.code = "above_close", .name = "Above close", .version = "1.0.0",
//               .description = "Passes tickers whose last close is above min_close",
//               .parameters = stratrun::sdk::Schema().Number("min_close", 10, "Threshold")};
//     }
//     Config Configure(const stratrun::sdk::Run& run) const override {
//       return {run.Number("min_close")};
//     }
//     stratrun::sdk::ResultRow Evaluate(std::string_view ticker, const stratrun::sdk::Bars& bars,
//                                       const Config& config) const override { ... }
//   };
//   STRATRUN_EXPORT_STRATEGY(AboveClose)
//
// Guarantees: no exception leaves the plugin. An exception thrown by Execute() or
// Configure() ends the run with an `error` event carrying its message; one thrown by
// Evaluate() marks that ticker as not evaluated (with the message as its reason) and the
// screen goes on. A fresh strategy object is made for every run.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stratrun/plugin.h"
#include "stratrun/schema.hpp"

namespace stratrun::sdk {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Thrown by Run accessors for a parameter the schema does not declare (a plugin bug).
class ParameterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Daily bars of one ticker as read-only columns, oldest first. A cheap view: the host
/// owns the memory and keeps it unchanged until the run ends.
class Bars {
 public:
  Bars() = default;
  explicit Bars(const stratrun_bars& raw) : raw_(raw) {}

  size_t size() const { return raw_.count; }
  bool empty() const { return raw_.count == 0; }
  /// Days since 1970-01-01.
  std::span<const int32_t> day() const { return {raw_.day, raw_.count}; }
  std::span<const double> open() const { return {raw_.open, raw_.count}; }
  std::span<const double> high() const { return {raw_.high, raw_.count}; }
  std::span<const double> low() const { return {raw_.low, raw_.count}; }
  std::span<const double> close() const { return {raw_.close, raw_.count}; }
  std::span<const double> adj_close() const { return {raw_.adj_close, raw_.count}; }
  std::span<const double> volume() const { return {raw_.volume, raw_.count}; }

 private:
  stratrun_bars raw_{};
};

/// One result row: a ticker's score, verdict, indicator values and reasons.
struct ResultRow {
  struct Metric {
    std::string name;
    double value;
  };

  std::string ticker;
  double score = kNaN;  // NaN: could not be evaluated
  bool passed = false;
  std::vector<Metric> metrics;
  std::vector<std::string> reasons;

  ResultRow& Set(std::string name, double value) {
    metrics.push_back({std::move(name), value});
    return *this;
  }
  ResultRow& Because(std::string reason) {
    reasons.push_back(std::move(reason));
    return *this;
  }
};

enum class LogLevel : stratrun_log_level {
  kDebug = STRATRUN_LOG_DEBUG,
  kInfo = STRATRUN_LOG_INFO,
  kWarn = STRATRUN_LOG_WARN,
  kError = STRATRUN_LOG_ERROR,
};

/// The context of one run: parameters, tickers, data, events, results, cancellation.
/// Every method is safe to call from several threads at once.
class Run {
 public:
  Run(const stratrun_host_api* host, stratrun_run run, const stratrun_run_args* args)
      : host_(host), run_(run) {
    if (args != nullptr) {
      if (STRATRUN_HAS_FIELD(*args, stratrun_run_args, run_id) && args->run_id != nullptr) {
        run_id_ = args->run_id;
      }
      if (STRATRUN_HAS_FIELD(*args, stratrun_run_args, ticker_count) && args->tickers != nullptr) {
        tickers_.assign(args->tickers, args->tickers + args->ticker_count);
      }
      if (STRATRUN_HAS_FIELD(*args, stratrun_run_args, max_workers)) {
        max_workers_ = std::max(1u, args->max_workers);
      }
    }
  }

  const std::string& run_id() const { return run_id_; }
  /// The resolved universe, in the order the user gave it.
  const std::vector<std::string>& tickers() const { return tickers_; }
  /// Threads this run may use for per-ticker work (at least 1).
  unsigned max_workers() const { return max_workers_; }

  /// True once the run is cancelled; check it at least once per ticker.
  bool Cancelled() const { return host_->is_cancelled(run_); }

  // Parameters, validated by the host against Describe()'s schema with defaults filled.
  // Asking for a name the schema lacks, or with the wrong type, throws ParameterError.
  int64_t Integer(std::string_view name) const { return Get(name, STRATRUN_PARAM_INTEGER).integer_value; }
  double Number(std::string_view name) const {
    auto value = Get(name, STRATRUN_PARAM_NUMBER, STRATRUN_PARAM_INTEGER);
    return value.number_value;
  }
  bool Boolean(std::string_view name) const { return Get(name, STRATRUN_PARAM_BOOLEAN).boolean_value; }
  std::string String(std::string_view name) const {
    auto value = Get(name, STRATRUN_PARAM_STRING, STRATRUN_PARAM_ENUM);
    return value.string_value != nullptr ? value.string_value : "";
  }
  std::vector<std::string> StringList(std::string_view name) const {
    auto value = Get(name, STRATRUN_PARAM_STRING_LIST);
    return {value.list_items, value.list_items + value.list_count};
  }

  /// The ticker's bars, or false with `*error` set to the host's reason.
  bool GetBars(const std::string& ticker, Bars* out, std::string* error) const {
    stratrun_bars raw{};
    raw.struct_size = sizeof raw;
    const char* message = nullptr;
    stratrun_status status = host_->get_bars(run_, ticker.c_str(), &raw, &message);
    if (status != STRATRUN_OK) {
      if (error != nullptr) *error = message != nullptr ? message : "no data";
      return false;
    }
    *out = Bars(raw);
    return true;
  }

  /// A progress event. `total`/`completed` < 0 mean unknown.
  void Progress(std::string_view stage, int64_t completed, int64_t total,
                std::string_view current_item = {}, std::string_view message = {}) const {
    Emit(STRATRUN_EVENT_PROGRESS, stage, current_item, message, completed, total, {});
  }
  void StageCompleted(std::string_view stage, std::string_view message = {}) const {
    Emit(STRATRUN_EVENT_STAGE_COMPLETED, stage, {}, message, -1, -1, {});
  }
  /// The ticker_completed event for `row`, carrying its score and verdict (metrics
  /// "score" and "passed"), then `extra` metrics if any.
  void TickerCompleted(std::string_view stage, const ResultRow& row, int64_t completed,
                       int64_t total, std::span<const stratrun_metric> extra = {}) const {
    const stratrun_metric verdict[] = {{"score", row.score}, {"passed", row.passed ? 1.0 : 0.0}};
    if (extra.empty()) {  // the common case: no allocation per ticker
      Emit(STRATRUN_EVENT_TICKER_COMPLETED, stage, row.ticker, {}, completed, total, verdict);
      return;
    }
    std::vector<stratrun_metric> metrics(std::begin(verdict), std::end(verdict));
    metrics.insert(metrics.end(), extra.begin(), extra.end());
    Emit(STRATRUN_EVENT_TICKER_COMPLETED, stage, row.ticker, {}, completed, total, metrics);
  }

  /// Records a result row (a ticker reported twice keeps its last row).
  void Report(const ResultRow& row) const {
    std::vector<stratrun_metric> metrics;
    metrics.reserve(row.metrics.size());
    for (const auto& m : row.metrics) metrics.push_back({m.name.c_str(), m.value});
    std::vector<const char*> reasons;
    reasons.reserve(row.reasons.size());
    for (const auto& r : row.reasons) reasons.push_back(r.c_str());
    stratrun_result raw{};
    raw.struct_size = sizeof raw;
    raw.ticker = row.ticker.c_str();
    raw.score = row.score;
    raw.passed = row.passed;
    raw.metrics = metrics.data();
    raw.metric_count = metrics.size();
    raw.reasons = reasons.data();
    raw.reason_count = reasons.size();
    host_->report_result(run_, &raw);
  }

  void Log(LogLevel level, const std::string& message) const {
    host_->log(run_, static_cast<stratrun_log_level>(level), message.c_str());
  }

 private:
  stratrun_param_value Get(std::string_view name, stratrun_param_type type,
                           stratrun_param_type also = -1) const {
    std::string key(name);
    stratrun_param_value value{};
    value.struct_size = sizeof value;
    if (host_->get_parameter(run_, key.c_str(), &value) != STRATRUN_OK) {
      throw ParameterError("parameter '" + key + "' is not in the schema");
    }
    if (value.type != type && value.type != also) {
      throw ParameterError("parameter '" + key + "' has another type in the schema");
    }
    return value;
  }

  void Emit(stratrun_event_type type, std::string_view stage, std::string_view item,
            std::string_view message, int64_t completed, int64_t total,
            std::span<const stratrun_metric> metrics) const {
    const std::string stage_s(stage), item_s(item), message_s(message);
    stratrun_event event{};
    event.struct_size = sizeof event;
    event.event_type = type;
    event.stage = stage.empty() ? nullptr : stage_s.c_str();
    event.current_item = item.empty() ? nullptr : item_s.c_str();
    event.message = message.empty() ? nullptr : message_s.c_str();
    event.completed_items = completed;
    event.total_items = total;
    event.progress_percent = -1;
    event.metrics = metrics.data();
    event.metric_count = metrics.size();
    host_->emit(run_, &event);
  }

  const stratrun_host_api* host_;
  stratrun_run run_;
  std::string run_id_;
  std::vector<std::string> tickers_;
  unsigned max_workers_ = 1;
};

/// What Describe() returns: the plugin's identity, parameters and stages.
struct Descriptor {
  std::string code;  // [a-z0-9_]{1,64}, unique among loaded plugins
  std::string name;
  std::string version;
  std::string description;
  Schema parameters;
  std::vector<std::string> stages;
};

/// Base of every strategy: Execute() does the whole run. Return normally to complete;
/// return early when run.Cancelled() (the run then ends `cancelled`); throw to fail.
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual void Execute(Run& run) = 0;
};

/// Base of a per-ticker screener. Execute() reads the parameters once (Configure), then
/// evaluates every ticker on up to max_workers threads, checking cancellation before
/// each ticker, reporting each row and emitting ticker_completed for it.
template <typename Config>
class Screener : public Strategy {
 public:
  /// Reads this run's parameters. Called once, before any Evaluate().
  virtual Config Configure(const Run& run) const = 0;
  /// Scores one ticker. Called concurrently from several threads: must not mutate shared
  /// state. Set row.ticker is not needed; the base fills it.
  virtual ResultRow Evaluate(std::string_view ticker, const Bars& bars,
                             const Config& config) const = 0;
  /// The stage the per-ticker loop reports under.
  virtual std::string_view stage() const { return "analysis"; }

  void Execute(Run& run) final {
    const Config config = Configure(run);
    const auto& tickers = run.tickers();
    const auto total = static_cast<int64_t>(tickers.size());
    const std::string stage_name(stage());
    run.Progress(stage_name, 0, total, {}, "screening " + std::to_string(total) + " tickers");

    std::atomic<size_t> next{0};
    std::atomic<int64_t> completed{0};
    auto worker = [&] {
      for (size_t i = next++; i < tickers.size(); i = next++) {
        if (run.Cancelled()) return;
        ResultRow row = EvaluateGuarded(run, tickers[i], config);
        run.Report(row);
        run.TickerCompleted(stage_name, row, ++completed, total);
      }
    };
    const size_t threads = std::min<size_t>(run.max_workers(), std::max<size_t>(tickers.size(), 1));
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& thread : pool) thread.join();
    if (!run.Cancelled()) run.StageCompleted(stage_name);
  }

 private:
  ResultRow EvaluateGuarded(const Run& run, const std::string& ticker, const Config& config) const {
    ResultRow row;
    try {
      Bars bars;
      std::string error;
      if (!run.GetBars(ticker, &bars, &error)) {
        row.Because("no data: " + error);
      } else {
        row = Evaluate(ticker, bars, config);
      }
    } catch (const std::exception& e) {
      row = ResultRow{};
      row.Because(std::string("evaluation failed: ") + e.what());
    } catch (...) {
      row = ResultRow{};
      row.Because("evaluation failed: unknown exception");
    }
    row.ticker = ticker;
    return row;
  }
};

namespace detail {

/// Holds the message a failing hook hands to the host (valid until the next call on
/// this thread, as the ABI promises). Kept per thread id in a map rather than in a
/// thread_local, so that a plugin has no thread-local storage: the dynamic TLS of a
/// library that is unloaded again is read as garbage by LeakSanitizer's leak check (its
/// tracer crashes at exit), and a thread_local with a destructor keeps the library mapped
/// until every thread that touched it exits.
inline const char* KeepMessage(std::string message) {
  static std::mutex mutex;
  static std::unordered_map<std::thread::id, std::string> kept;  // nodes: stable addresses
  std::lock_guard lock(mutex);
  std::string& slot = kept[std::this_thread::get_id()];
  slot = std::move(message);
  return slot.c_str();
}

/// Runs `body` and turns any exception into STRATRUN_INTERNAL with its message.
template <typename Body>
stratrun_status Guard(const char** out_message, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    if (out_message != nullptr) *out_message = KeepMessage(e.what());
  } catch (...) {
    if (out_message != nullptr) *out_message = KeepMessage("unknown exception");
  }
  return STRATRUN_INTERNAL;
}

/// The static descriptor of strategy class `S`, built on first use.
template <typename S>
struct Registration {
  Descriptor descriptor = S::Describe();
  std::string schema_json = descriptor.parameters.ToJson();
  std::vector<const char*> stage_ptrs = [this] {
    std::vector<const char*> out;
    for (const auto& s : descriptor.stages) out.push_back(s.c_str());
    return out;
  }();
  stratrun_plugin plugin = [this] {
    stratrun_plugin p{};
    p.struct_size = sizeof p;
    p.abi_major = STRATRUN_ABI_MAJOR;
    p.abi_minor = STRATRUN_ABI_MINOR;
    p.code = descriptor.code.c_str();
    p.name = descriptor.name.c_str();
    p.version = descriptor.version.c_str();
    p.description = descriptor.description.c_str();
    p.parameters_schema_json = schema_json.c_str();
    p.stages = stage_ptrs.data();
    p.stage_count = stage_ptrs.size();
    p.run = &RunHook;
    return p;
  }();

  static stratrun_status RunHook(const stratrun_host_api* host, stratrun_run run,
                                 const stratrun_run_args* args, const char** out_message) {
    return Guard(out_message, [&]() -> stratrun_status {
      if (host == nullptr || run == nullptr) {
        if (out_message != nullptr) *out_message = KeepMessage("run called without a host");
        return STRATRUN_INVALID_ARGUMENT;
      }
      Run context(host, run, args);
      S strategy;
      strategy.Execute(context);
      return context.Cancelled() ? STRATRUN_CANCELLED : STRATRUN_OK;
    });
  }
};

template <typename S>
stratrun_status Entry(uint32_t host_major, uint32_t host_minor, const stratrun_plugin** out,
                      const char** out_message) noexcept {
  return Guard(out_message, [&]() -> stratrun_status {
    if (host_major != STRATRUN_ABI_MAJOR) {
      if (out_message != nullptr) {
        *out_message = KeepMessage("plugin speaks ABI " + std::to_string(STRATRUN_ABI_MAJOR) + "." +
                                   std::to_string(STRATRUN_ABI_MINOR) + ", host speaks " +
                                   std::to_string(host_major) + "." + std::to_string(host_minor));
      }
      return STRATRUN_UNSUPPORTED;
    }
    if (out == nullptr) return STRATRUN_INVALID_ARGUMENT;
    static const Registration<S> registration;  // built once; static until unload
    *out = &registration.plugin;
    return STRATRUN_OK;
  });
}

}  // namespace detail
}  // namespace stratrun::sdk

/// Exports strategy class `S` (with a static Describe() and a default constructor) as
/// this library's plugin. Use once per library, at namespace scope.
#define STRATRUN_EXPORT_STRATEGY(S)                                                       \
  extern "C" STRATRUN_EXPORT stratrun_status stratrun_plugin_entry(                      \
      uint32_t host_abi_major, uint32_t host_abi_minor, const stratrun_plugin** out_plugin, \
      const char** out_message) {                                                         \
    return ::stratrun::sdk::detail::Entry<S>(host_abi_major, host_abi_minor, out_plugin,  \
                                             out_message);                                \
  }
