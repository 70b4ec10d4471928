// screen_bench — how fast a whole screen runs: bullish_breakout (and leap_entry) over
// 500 tickers × 2520 days of CSV files, cold (parsing every file) and warm (parsed series
// cached), and what emitting and logging events costs.
//
//   screen_bench [--tickers 500] [--days 2520] [--repeat 10] [--data DIR] [--workers 2]
//
// Cold means a fresh BarCache: every CSV file is read and parsed (the files themselves
// are in the OS page cache after the first pass, as they are on a server that screens
// repeatedly). Warm means the same BarCache again. Process means each run in a fresh
// worker process (`stratrun worker`, taken from a warm pool, as `serve --isolation
// process` runs it), which reads its bars itself. Each figure is the median (and min)
// over --repeat runs; the whole run includes validation, events, results and the sink.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "common/logging.h"
#include "data/bar_cache.h"
#include "data/csv_bar_source.h"
#include "data/data_folder.h"
#include "exec/plugin_run.h"
#include "isolation/worker_process.h"
#include "isolation/worker_runner.h"
#include "plugins/plugin_loader.h"
#include "store/run_log_sink.h"

namespace {

using namespace stratrun;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

/// Counts what it receives and nothing else: the cost of the host's own event path.
class CountingSink : public ProgressSink {
 public:
  void OnEvent(const ProgressEvent&) noexcept override { ++events; }
  void OnResult(const std::string&, const ResultRow& row) noexcept override { passed += row.passed; }
  size_t events = 0, passed = 0;
};

struct Figures {
  double median_ms, min_ms;
};

template <typename Body>
Figures Measure(int repeat, Body&& body) {
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    const auto start = SteadyClock::now();
    body();
    ms.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.front()};
}

long Arg(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtol(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

std::string StrArg(int argc, char** argv, const char* name) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  const size_t ticker_count = static_cast<size_t>(Arg(argc, argv, "--tickers", 500));
  const int days = static_cast<int>(Arg(argc, argv, "--days", 2520));
  const int repeat = static_cast<int>(Arg(argc, argv, "--repeat", 10));
  const unsigned workers = static_cast<unsigned>(Arg(argc, argv, "--workers", 2));
  fs::path data_dir = StrArg(argc, argv, "--data");
  const fs::path scratch = fs::temp_directory_path() / ("stratrun-bench-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  SetLogLevel("error");

  std::vector<std::string> tickers = SyntheticTickerNames(ticker_count);
  if (data_dir.empty()) {
    data_dir = scratch / "data";
    const auto start = SteadyClock::now();
    if (Status s = WriteSyntheticUniverse(data_dir, {.tickers = tickers, .days = days}); !s.ok()) {
      std::fprintf(stderr, "cannot write data: %s\n", s.message().c_str());
      return 1;
    }
    std::printf("generated %zu tickers x %d days of CSV in %.0f ms\n", tickers.size(), days,
                std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count());
  }

  auto files = std::make_shared<CsvBarSource>(data_dir);
  {
    // Parsing alone, single thread: the CSV reader's own speed.
    size_t bars = 0;
    const Figures parse = Measure(3, [&] {
      bars = 0;
      for (const auto& t : tickers) {
        auto series = files->Load(t);
        if (series) bars += (*series)->size();
      }
    });
    if (bars == 0) {
      std::fprintf(stderr, "no bars for the first %zu synthetic tickers in %s\n", tickers.size(), data_dir.c_str());
      return 1;
    }
    std::printf("csv parse, 1 thread: %zu bars in %.1f ms (%.1f M bars/s)\n", bars, parse.median_ms,
                static_cast<double>(bars) / parse.median_ms / 1000.0);
  }

  // Workers as the server runs them: one idle worker kept warm, a fresh one per run.
  WorkerPool pool({.executable = STRATRUN_BENCH_BINARY}, 1);
  WorkerRunner in_workers(pool, {.data_dir = data_dir});

  int status = 0;
  for (const char* code : {"bullish_breakout", "leap_entry"}) {
    auto plugin = LoadPlugin(fs::path(STRATRUN_BENCH_PLUGIN_DIR) / (std::string(code) + ".so"),
                             {.cache_dir = scratch / "plugin-cache"});
    if (!plugin) {
      std::fprintf(stderr, "cannot load %s: %s\n", code, plugin.status().message().c_str());
      return 1;
    }
    auto parameters = (*plugin)->schema().ValidateText({{"max_workers", std::to_string(workers)}});
    RunRequest request{.run_id = "bench", .parameters = *parameters, .tickers = tickers, .max_workers = workers};

    CountingSink counted;
    auto run_once = [&](BarSource& source, ProgressSink& sink) {
      RunOutcome outcome = RunPlugin(**plugin, request, source, sink, Cancellation{});
      if (outcome.state != RunState::kCompleted) {
        std::fprintf(stderr, "%s did not complete: %s\n", code, outcome.message.c_str());
        status = 1;
      }
    };
    const Figures cold = Measure(repeat, [&] {
      BarCache fresh(files);
      run_once(fresh, counted);
    });
    BarCache cache(files);
    run_once(cache, counted);
    counted = {};
    const Figures warm = Measure(repeat, [&] { run_once(cache, counted); });

    // The same warm screen, logged to SQLite through RunLogSink (what `stratrun run` does).
    auto store = RunStore::Open(scratch / (std::string(code) + ".db"));
    int n = 0;
    const Figures logged = Measure(repeat, [&] {
      RunRecord record{.run_id = "bench-" + std::to_string(n++), .strategy_code = code,
                       .created_at = std::chrono::system_clock::now()};
      (void)(*store)->CreateRun(record);
      RunRequest r = request;
      r.run_id = record.run_id;
      RunLogSink log(**store, record);
      RunOutcome outcome = RunPlugin(**plugin, r, cache, log, Cancellation{});
      if (outcome.state != RunState::kCompleted) status = 1;
    });

    in_workers.Run(**plugin, request, counted, Cancellation{});  // the worker's data cache warms up, if it has one
    const Figures process = Measure(repeat, [&] {
      CountingSink sink;
      RunOutcome outcome = in_workers.Run(**plugin, request, sink, Cancellation{});
      if (outcome.state != RunState::kCompleted) {
        std::fprintf(stderr, "%s did not complete in a worker: %s\n", code, outcome.message.c_str());
        status = 1;
      }
    });

    std::printf("\n%s: %zu tickers x %d days, %u workers, %d repeats (median / min)\n", code, tickers.size(), days,
                workers, repeat);
    std::printf("  cold (parse CSV + screen):   %8.1f ms / %8.1f ms\n", cold.median_ms, cold.min_ms);
    std::printf("  warm (cached series):        %8.1f ms / %8.1f ms\n", warm.median_ms, warm.min_ms);
    std::printf("  warm + SQLite run log:       %8.1f ms / %8.1f ms\n", logged.median_ms, logged.min_ms);
    std::printf("  process (fresh worker):      %8.1f ms / %8.1f ms  (%.2fx warm)\n", process.median_ms, process.min_ms,
                process.median_ms / warm.median_ms);
    std::printf("  events per run: %zu, passed: %zu\n", counted.events / static_cast<size_t>(repeat),
                counted.passed / static_cast<size_t>(repeat));
  }

  // The event path alone: the paced test plugin emitting as fast as it can.
#ifdef STRATRUN_BENCH_PACED_PLUGIN
  if (auto plugin = LoadPlugin(STRATRUN_BENCH_PACED_PLUGIN, {.cache_dir = scratch / "plugin-cache"}); plugin) {
    const int64_t events = 200000;
    auto parameters = (*plugin)->schema().ValidateText({{"events", std::to_string(events)}, {"rate_per_second", "1e7"}});
    RunRequest request{.run_id = "paced", .parameters = *parameters, .tickers = {"PACE"}};
    CountingSink counted;
    const Figures f = Measure(3, [&] { RunPlugin(**plugin, request, *files, counted, Cancellation{}); });
    std::printf("\nevent path: %lld ticker_completed events + results in %.1f ms = %.2f M events/s (%.2f us each)\n",
                static_cast<long long>(events), f.median_ms, static_cast<double>(events) / f.median_ms / 1000.0,
                f.median_ms * 1000.0 / static_cast<double>(events));
    const Figures w = Measure(3, [&] { in_workers.Run(**plugin, request, counted, Cancellation{}); });
    std::printf("event path in a worker process: %.1f ms = %.2f M events/s (%.2f us each, %.2fx in-process)\n",
                w.median_ms, static_cast<double>(events) / w.median_ms / 1000.0,
                w.median_ms * 1000.0 / static_cast<double>(events), w.median_ms / f.median_ms);
  }
#else
  std::printf("\nevent path: not measured (configure with STRATRUN_BUILD_TESTS=ON for the paced plugin)\n");
#endif
  std::error_code ec;
  fs::remove_all(scratch, ec);
  return status;
}
