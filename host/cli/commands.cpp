#include "cli/commands.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/logging.h"
#include "common/run_id.h"
#include "data/synthetic_bars.h"
#include "data/universe.h"
#include "exec/plugin_run.h"
#include "plugins/plugin_registry.h"

namespace stratrun {
namespace {

namespace fs = std::filesystem;

fs::path ExecutableDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
}

fs::path DefaultCacheDir() {
  if (const char* dir = std::getenv("STRATRUN_CACHE_DIR"); dir && *dir) return fs::path(dir) / "plugins";
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "stratrun" / "plugins";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "stratrun" / "plugins";
  return fs::temp_directory_path() / ("stratrun-" + std::to_string(::getuid())) / "plugins";
}

PluginRegistry MakeRegistry(const PluginOptions& options) {
  RegistryOptions registry;
  registry.plugin_dirs.push_back(ExecutableDir() / ".." / "lib" / "stratrun" / "plugins");
  if (const char* path = std::getenv("STRATRUN_PLUGIN_PATH"); path && *path) {
    std::string_view rest = path;
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      if (colon != 0) registry.plugin_dirs.emplace_back(std::string(rest.substr(0, colon)));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
  }
  for (const auto& dir : options.extra_dirs) registry.plugin_dirs.push_back(dir);
  for (auto& dir : registry.plugin_dirs) dir = dir.lexically_normal();
  registry.cache_dir = options.cache_dir.empty() ? DefaultCacheDir() : options.cache_dir;
  return PluginRegistry(std::move(registry));
}

std::shared_ptr<const Plugin> FindOrComplain(const PluginCatalog& catalog, const std::string& code) {
  auto plugin = catalog.Find(code);
  if (!plugin) {
    std::fprintf(stderr, "stratrun: unknown strategy '%s'", code.c_str());
    if (!catalog.plugins.empty()) {
      std::fprintf(stderr, " (available:");
      for (const auto& p : catalog.plugins) std::fprintf(stderr, " %s", p->code().c_str());
      std::fprintf(stderr, ")");
    }
    std::fprintf(stderr, "\n");
  }
  return plugin;
}

void WriteDescriptor(rapidjson::Writer<rapidjson::StringBuffer>& w, const Plugin& p, bool with_schema) {
  w.StartObject();
  w.Key("code");
  w.String(p.code().c_str());
  w.Key("name");
  w.String(p.name().c_str());
  w.Key("version");
  w.String(p.version().c_str());
  w.Key("description");
  w.String(p.description().c_str());
  w.Key("abi");
  w.String(p.built_abi().ToString().c_str());
  w.Key("file");
  w.String(p.file().c_str());
  w.Key("sha256");
  w.String(p.sha256().c_str());
  w.Key("stages");
  w.StartArray();
  for (const auto& stage : p.stages()) w.String(stage.c_str());
  w.EndArray();
  if (with_schema) {
    w.Key("parameters");
    const std::string schema = p.schema().ToJson();
    w.RawValue(schema.c_str(), schema.size(), rapidjson::kArrayType);
  }
  w.EndObject();
}

/// Turns SIGINT/SIGTERM into a stop request for the duration of a run; a second signal
/// kills the process the default way.
class SignalCanceller {
 public:
  explicit SignalCanceller(std::stop_source& stop) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    waiter_ = std::jthread([this, &stop](std::stop_token done) {
      while (!done.stop_requested()) {
        timespec timeout{0, 100'000'000};
        if (sigtimedwait(&signals_, nullptr, &timeout) > 0) {
          received_ = true;
          stop.request_stop();
          pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
          return;
        }
      }
    });
  }
  ~SignalCanceller() {
    waiter_.request_stop();
    waiter_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  bool received() const { return received_; }

 private:
  sigset_t signals_{}, previous_{};
  std::atomic<bool> received_{false};
  std::jthread waiter_;
};

}  // namespace

int ListCommand(const PluginOptions& options, bool json) {
  auto registry = MakeRegistry(options);
  auto catalog = registry.Rescan();
  if (json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("strategies");
    w.StartArray();
    for (const auto& p : catalog->plugins) WriteDescriptor(w, *p, false);
    w.EndArray();
    w.Key("rejected");
    w.StartArray();
    for (const auto& r : catalog->rejected) {
      w.StartObject();
      w.Key("file");
      w.String(r.file.c_str());
      w.Key("reason");
      w.String(r.reason.c_str());
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
    std::printf("%s\n", buffer.GetString());
    return kExitOk;
  }
  std::printf("%-20s %-28s %-9s %-4s %s\n", "CODE", "NAME", "VERSION", "ABI", "FILE");
  for (const auto& p : catalog->plugins) {
    std::printf("%-20s %-28s %-9s %-4s %s\n", p->code().c_str(), p->name().c_str(), p->version().c_str(),
                p->built_abi().ToString().c_str(), p->file().c_str());
  }
  if (!catalog->rejected.empty()) {
    std::printf("\nrejected:\n");
    for (const auto& r : catalog->rejected) std::printf("  %s: %s\n", r.file.c_str(), r.reason.c_str());
  }
  return kExitOk;
}

int DescribeCommand(const PluginOptions& options, const std::string& code, bool json) {
  auto registry = MakeRegistry(options);
  auto catalog = registry.Rescan();
  auto plugin = FindOrComplain(*catalog, code);
  if (!plugin) return kExitUsage;
  if (json) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    WriteDescriptor(w, *plugin, true);
    std::printf("%s\n", buffer.GetString());
    return kExitOk;
  }
  std::printf("%s — %s (version %s, ABI %s)\n", plugin->code().c_str(), plugin->name().c_str(),
              plugin->version().c_str(), plugin->built_abi().ToString().c_str());
  std::printf("%s\n", plugin->description().c_str());
  std::printf("file: %s\nsha256: %s\n", plugin->file().c_str(), plugin->sha256().c_str());
  if (!plugin->stages().empty()) {
    std::printf("stages:");
    for (const auto& s : plugin->stages()) std::printf(" %s", s.c_str());
    std::printf("\n");
  }
  std::printf("\nparameters:\n");
  for (const ParamSpec& spec : plugin->schema().params()) {
    std::string detail(ParamTypeName(spec.type));
    if (spec.type == ParamType::kEnum) {
      detail += " {";
      for (size_t i = 0; i < spec.values.size(); ++i) detail += (i ? "|" : "") + spec.values[i];
      detail += "}";
    }
    if (spec.minimum || spec.maximum) {
      auto bound = [](const std::optional<double>& v) {
        if (!v) return std::string();
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", *v);
        return std::string(buf);
      };
      detail += " [" + bound(spec.minimum) + ".." + bound(spec.maximum) + "]";
    }
    const std::string fallback = spec.required ? "required" : "default " + ParamValueToJson(*spec.default_value);
    std::printf("  %-22s %-32s %s\n", spec.name.c_str(), detail.c_str(), fallback.c_str());
    if (!spec.description.empty()) std::printf("  %-22s %s\n", "", spec.description.c_str());
  }
  return kExitOk;
}

int RunCommand(const PluginOptions& options, const RunOptions& run) {
  auto registry = MakeRegistry(options);
  auto catalog = registry.Rescan();
  auto plugin = FindOrComplain(*catalog, run.code);
  if (!plugin) return kExitUsage;

  auto sets = run.sets;
  if (!run.universe.empty()) sets.emplace_back("universe_source", run.universe);
  if (!run.tickers.empty()) {
    std::string joined;
    for (const auto& t : run.tickers) joined += (joined.empty() ? "" : ",") + t;
    sets.emplace_back("tickers", joined);
  }
  auto parameters = plugin->schema().ValidateText(sets);
  if (!parameters) {
    std::fprintf(stderr, "stratrun: %s\n", parameters.status().message().c_str());
    return kExitUsage;
  }
  SyntheticBarSource data({.tickers = Sp500Tickers()});
  auto tickers = ResolveUniverse(*parameters, data);
  if (!tickers) {
    std::fprintf(stderr, "stratrun: %s\n", tickers.status().message().c_str());
    return kExitUsage;
  }

  RunRequest request{.run_id = NewRunId(), .parameters = std::move(*parameters), .tickers = std::move(*tickers)};
  if (const ParamValue* workers = request.parameters.Find("max_workers")) {
    if (const auto* n = std::get_if<int64_t>(workers)) request.max_workers = static_cast<unsigned>(std::max<int64_t>(1, *n));
  } else {
    request.max_workers = std::max(1u, std::thread::hardware_concurrency());
  }

  ProgressMode mode = run.progress;
  if (mode == ProgressMode::kBar && !::isatty(STDERR_FILENO)) mode = ProgressMode::kNone;
  TerminalSink sink(mode);
  std::stop_source stop;
  RunOutcome outcome;
  bool interrupted = false;
  {
    SignalCanceller canceller(stop);
    outcome = RunPlugin(*plugin, request, data, sink, stop.get_token());
    interrupted = canceller.received();
  }
  PrintResults(sink.TakeResults(), run.output, stdout);
  std::fprintf(stderr, "run %s: %s — %lld results, %lld passed%s%s\n", request.run_id.c_str(),
               std::string(RunStateName(outcome.state)).c_str(), static_cast<long long>(outcome.result_count),
               static_cast<long long>(outcome.passed_count), outcome.state == RunState::kError ? ": " : "",
               outcome.state == RunState::kError ? outcome.message.c_str() : "");
  if (outcome.state == RunState::kCancelled || interrupted) return kExitCancelled;
  return outcome.state == RunState::kCompleted ? kExitOk : kExitRunFailed;
}

}  // namespace stratrun
