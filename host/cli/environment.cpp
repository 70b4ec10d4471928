#include "cli/environment.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "data/csv_bar_source.h"
#include "data/data_folder.h"
#include "data/universe.h"

namespace stratrun {
namespace fs = std::filesystem;
namespace {

fs::path ExecutableDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : self.parent_path();
}

/// $XDG_<kind>_HOME/stratrun, else ~/<fallback>/stratrun, else a per-user temp folder.
fs::path UserDir(const char* xdg_variable, const char* home_fallback) {
  if (const char* xdg = std::getenv(xdg_variable); xdg && *xdg) return fs::path(xdg) / "stratrun";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / home_fallback / "stratrun";
  return fs::temp_directory_path() / ("stratrun-" + std::to_string(::getuid()));
}

fs::path DefaultPluginCacheDir() {
  if (const char* dir = std::getenv("STRATRUN_CACHE_DIR"); dir && *dir) return fs::path(dir) / "plugins";
  return UserDir("XDG_CACHE_HOME", ".cache") / "plugins";
}

}  // namespace

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
  registry.cache_dir = options.cache_dir.empty() ? DefaultPluginCacheDir() : options.cache_dir;
  return PluginRegistry(std::move(registry));
}

std::shared_ptr<const Plugin> FindStrategyOrComplain(const PluginCatalog& catalog, const std::string& code) {
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

Result<MarketData> OpenMarketData(const fs::path& explicit_dir) {
  MarketData data;
  std::error_code ec;
  if (!explicit_dir.empty()) {
    if (!fs::is_directory(explicit_dir, ec)) {
      return InvalidArgument("data folder " + explicit_dir.string() + " does not exist", "data");
    }
    data.dir = explicit_dir;
  } else {
    data.dir = DefaultDataDir();
    SynthOptions sample;
    auto generated = EnsureSampleData(data.dir, sample);
    if (!generated) return generated.status();
    if (*generated) {
      std::fprintf(stderr,
                   "stratrun: no market data configured; generated a SYNTHETIC sample universe (%zu tickers, "
                   "%d days) in %s\n          it is not real market data: put Yahoo Finance CSV files there, or "
                   "use --data DIR\n",
                   Sp500Tickers().size(), sample.days, data.dir.c_str());
    }
  }
  data.synthetic = IsSyntheticDataDir(data.dir);
  data.bars = std::make_shared<BarCache>(std::make_shared<CsvBarSource>(data.dir));
  return data;
}

fs::path DefaultDatabasePath() {
  if (const char* db = std::getenv("STRATRUN_DB"); db && *db) return db;
  return UserDir("XDG_DATA_HOME", ".local/share") / "stratrun.db";
}

Result<std::unique_ptr<RunStore>> OpenRunStore(const fs::path& explicit_db) {
  const fs::path path = explicit_db.empty() ? DefaultDatabasePath() : explicit_db;
  auto store = RunStore::Open(path);
  if (!store) return InvalidArgument("cannot open the run log " + path.string() + ": " + store.status().message(), "db");
  return store;
}

}  // namespace stratrun
