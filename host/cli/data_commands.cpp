// `data synth`: generating a synthetic universe of CSV files.
#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "data/data_folder.h"
#include "data/universe.h"

namespace stratrun {

int DataSynthCommand(const SynthCommandOptions& options) {
  if (options.ticker_count && !options.universe.empty()) {
    std::fprintf(stderr, "stratrun: give --tickers N or --universe, not both\n");
    return kExitUsage;
  }
  if (!options.universe.empty() && options.universe != "sp500") {
    std::fprintf(stderr, "stratrun: unknown universe '%s' (expected sp500)\n", options.universe.c_str());
    return kExitUsage;
  }
  SynthOptions synth{.seed = options.seed, .days = options.days};
  synth.tickers = options.ticker_count ? SyntheticTickerNames(*options.ticker_count) : Sp500Tickers();
  const auto start = std::chrono::steady_clock::now();
  if (Status written = WriteSyntheticUniverse(options.out, synth); !written.ok()) {
    std::fprintf(stderr, "stratrun: %s\n", written.message().c_str());
    return kExitRunFailed;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "wrote %zu synthetic tickers × %d days to %s in %s (seed %llu)\n", synth.tickers.size(),
               synth.days, options.out.c_str(), FormatSeconds(seconds).c_str(), static_cast<unsigned long long>(synth.seed));
  return kExitOk;
}

}  // namespace stratrun
