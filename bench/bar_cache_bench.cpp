// bar_cache_bench — what a fresh process pays to get the whole universe's bars: parsing
// every CSV file, or reading the on-disk column cache (ColumnFileCache) that an earlier
// process wrote; and a whole bullish_breakout run on each.
//
//   bar_cache_bench [--tickers 500] [--days 2520] [--repeat 10] [--data DIR] [--workers 2]
//
// "Fresh process" is simulated by fresh cache objects over the same folders: nothing is
// shared but the files, which are in the OS page cache (as on a server that screens
// repeatedly). Each figure is the median (and min) over --repeat passes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "common/logging.h"
#include "data/bar_cache.h"
#include "data/column_file_cache.h"
#include "data/csv_bar_source.h"
#include "data/data_folder.h"
#include "exec/plugin_run.h"
#include "plugins/plugin_loader.h"

namespace {

using namespace stratrun;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

class NullSink : public ProgressSink {
 public:
  void OnEvent(const ProgressEvent&) noexcept override {}
  void OnResult(const std::string&, const ResultRow&) noexcept override {}
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

/// Loads every ticker from `source` on one thread; the number of bars, 0 on any failure.
size_t LoadAll(BarSource& source, const std::vector<std::string>& tickers) {
  size_t bars = 0;
  for (const auto& t : tickers) {
    auto series = source.Load(t);
    if (!series) return 0;
    bars += (*series)->size();
  }
  return bars;
}

void Print(const char* what, const Figures& f) {
  std::printf("  %-44s %8.1f ms / %8.1f ms\n", what, f.median_ms, f.min_ms);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t ticker_count = static_cast<size_t>(Arg(argc, argv, "--tickers", 500));
  const int days = static_cast<int>(Arg(argc, argv, "--days", 2520));
  const int repeat = static_cast<int>(Arg(argc, argv, "--repeat", 10));
  const unsigned workers = static_cast<unsigned>(Arg(argc, argv, "--workers", 2));
  fs::path data_dir = StrArg(argc, argv, "--data");
  const fs::path scratch = fs::temp_directory_path() / ("stratrun-bar-cache-bench-" + std::to_string(::getpid()));
  const fs::path cache_dir = scratch / "bar-cache";
  fs::create_directories(scratch);
  SetLogLevel("error");

  const std::vector<std::string> tickers = SyntheticTickerNames(ticker_count);
  if (data_dir.empty()) {
    data_dir = scratch / "data";
    if (Status s = WriteSyntheticUniverse(data_dir, {.tickers = tickers, .days = days}); !s.ok()) {
      std::fprintf(stderr, "cannot write data: %s\n", s.message().c_str());
      return 1;
    }
  }
  auto csv = std::make_shared<CsvBarSource>(data_dir);

  // Writes the disk cache, as the first process on a machine does.
  size_t bars = 0;
  const Figures fill = Measure(1, [&] {
    ColumnFileCache first(csv, cache_dir);
    bars = LoadAll(first, tickers);
  });
  if (bars == 0) {
    std::fprintf(stderr, "cannot load the %zu tickers from %s\n", tickers.size(), data_dir.c_str());
    return 1;
  }
  uintmax_t cache_bytes = 0;
  for (const auto& entry : fs::directory_iterator(cache_dir)) cache_bytes += entry.file_size();

  std::printf("%zu tickers x %d days (%zu bars, %.1f MB of cache files), 1 thread, %d repeats (median / min)\n",
              tickers.size(), days, bars, static_cast<double>(cache_bytes) / 1e6, repeat);
  Print("first process: parse CSV + write cache", fill);
  Print("(a) parse every CSV file", Measure(repeat, [&] { LoadAll(*csv, tickers); }));
  int status = 0;
  uint64_t hits = 0;
  Print("(b) fresh process, warm disk cache", Measure(repeat, [&] {
          ColumnFileCache fresh(csv, cache_dir);
          LoadAll(fresh, tickers);
          hits = fresh.stats().hits;
        }));
  Print("(b') the same through a fresh BarCache above it", Measure(repeat, [&] {
          BarCache memory(std::make_shared<ColumnFileCache>(csv, cache_dir));
          LoadAll(memory, tickers);
        }));
  // The floor: the same bytes read into one reused buffer, so no allocation, no page fault
  // and no validation; what (b) adds to it is the cost of copying into fresh vectors.
  std::vector<char> buffer(size_t{1} << 20);
  Print("(c) floor: the cache files read into one buffer", Measure(repeat, [&] {
          for (const auto& t : tickers) {
            const int fd = ::open((cache_dir / (t + ".bars")).c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0 || ::read(fd, buffer.data(), buffer.size()) <= 0) status = 1;
            if (fd >= 0) ::close(fd);
          }
        }));
  if (hits != tickers.size()) std::fprintf(stderr, "only %llu of the loads were cache hits\n", static_cast<unsigned long long>(hits));

  auto plugin = LoadPlugin(fs::path(STRATRUN_BENCH_PLUGIN_DIR) / "bullish_breakout.so", {.cache_dir = scratch / "plugin-cache"});
  if (!plugin) {
    std::fprintf(stderr, "cannot load bullish_breakout: %s\n", plugin.status().message().c_str());
    return 1;
  }
  auto parameters = (*plugin)->schema().ValidateText({{"max_workers", std::to_string(workers)}});
  const RunRequest request{.run_id = "bench", .parameters = *parameters, .tickers = tickers, .max_workers = workers};
  const auto run = [&](BarSource& source) {
    NullSink sink;
    if (RunPlugin(**plugin, request, source, sink, Cancellation{}).state != RunState::kCompleted) status = 1;
  };
  std::printf("\nbullish_breakout, whole run, %u workers:\n", workers);
  Print("fresh process, CSV only (parse)", Measure(repeat, [&] {
          BarCache memory(csv);
          run(memory);
        }));
  Print("fresh process, warm disk cache", Measure(repeat, [&] {
          BarCache memory(std::make_shared<ColumnFileCache>(csv, cache_dir));
          run(memory);
        }));
  BarCache warm(csv);
  run(warm);
  Print("same process, series in memory", Measure(repeat, [&] { run(warm); }));

  std::error_code ec;
  fs::remove_all(scratch, ec);
  return status;
}
