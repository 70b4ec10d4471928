#include "cli/environment.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/logging.h"
#include "common/percent_decode.h"
#include "data/csv_bar_source.h"
#include "data/data_folder.h"
#include "data/universe.h"
#include "store/pg.h"  // RedactedUri only: no SQL outside store/

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

/// The lower-case scheme of a URL ("postgresql" for "postgresql://…", "file" for any
/// "file:…"); empty for anything else, which is a path ("a:b.db" is a file name).
std::string UrlScheme(std::string_view value) {
  if (value.empty() || !std::isalpha(static_cast<unsigned char>(value[0]))) return "";
  size_t end = 1;
  while (end < value.size() && (std::isalnum(static_cast<unsigned char>(value[end])) || value[end] == '+' ||
                                value[end] == '-' || value[end] == '.')) {
    ++end;
  }
  if (end == value.size() || value[end] != ':') return "";
  std::string scheme(value.substr(0, end));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme == "file" || value.substr(end + 1).starts_with("//")) return scheme;
  return "";
}

/// Why a run log URL of `scheme` (neither file: nor PostgreSQL's) cannot be opened.
std::string UnsupportedSchemeReason(const std::string& scheme) {
  if (scheme == "postgresql" || scheme == "postgres") return "write " + scheme + ":// in lower case";
  if (scheme == "pgsql") return "write postgresql:// for PostgreSQL";
  if (scheme == "mysql" || scheme == "mariadb") return "MySQL is not supported";
  if (scheme == "sqlite" || scheme == "sqlite3") return "give the file's path itself, not a " + scheme + ":// URL";
  return scheme + ":// URLs are not supported";
}

/// The local file a file: URI names: file:///abs/path, file://localhost/abs/path,
/// file:/abs/path or file:relative/path, percent-escapes decoded.
Result<fs::path> FileUriPath(std::string_view uri, const std::string& source) {
  const auto refuse = [&](const std::string& why) {
    return InvalidArgument(source + " " + std::string(uri) + ": " + why, "db");
  };
  std::string_view rest = uri.substr(5);  // after "file:"
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return refuse("query and fragment parts are not supported; give the file's path");
  }
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    const size_t slash = rest.find('/');
    const std::string_view host = rest.substr(0, slash);
    if (!host.empty() && host != "localhost") return refuse("only local files are supported (host '" + std::string(host) + "')");
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  const std::optional<std::string> path = PercentDecode(rest);
  if (!path || path->find('\0') != std::string::npos) return refuse("bad percent-escape");
  if (path->empty()) return refuse("names no file");
  return fs::path(*path);
}

/// `value` (from `source`, "--db" or "STRATRUN_DB") as a RunStore::Open location.
Result<std::string> RunLogValue(const std::string& value, const std::string& source) {
  if (IsPostgresLocation(value)) return value;
  const std::string scheme = UrlScheme(value);
  if (scheme.empty()) return value;
  if (scheme == "file") {
    auto path = FileUriPath(value, source);
    if (!path) return path.status();
    // A file whose name reads as a URI ("file:postgresql://x") stays a file.
    return IsPostgresLocation(path->string()) ? "./" + path->string() : path->string();
  }
  return InvalidArgument(source + " " + scheme + "://…: the run log is an SQLite file or a postgresql:// URI (" +
                             UnsupportedSchemeReason(scheme) + ")",
                         "db");
}

}  // namespace

PluginRegistry MakeRegistry(const PluginOptions& options, PluginLoadFn load) {
  RegistryOptions registry;
  registry.load = std::move(load);
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

std::shared_ptr<const PluginCatalog> ScanPlugins(PluginRegistry& registry) {
  const auto logger = Logger("plugins");
  struct LevelRestorer {
    spdlog::logger& logger;
    spdlog::level::level_enum level;
    ~LevelRestorer() { logger.set_level(level); }
  } restore{*logger, logger->level()};
  if (restore.level == spdlog::level::warn) logger->set_level(spdlog::level::err);
  return registry.Rescan();
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
    if (!catalog.rejected.empty()) {
      std::fprintf(stderr, "; %zu plugin file%s rejected: `stratrun list` says why", catalog.rejected.size(),
                   catalog.rejected.size() == 1 ? " was" : "s were");
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
      const std::string dir = explicit_dir.string();
      if (fs::exists(explicit_dir, ec)) return InvalidArgument("data folder " + dir + " is not a folder", "data");
      return InvalidArgument("data folder " + dir + " does not exist: make one with `stratrun data synth --out " + dir +
                                 "`, or omit --data to use the first-use sample",
                             "data");
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
  data.bars = std::make_shared<BarCache>(OpenBarFiles(data.dir));  // behind the disk cache shared by processes
  return data;
}

std::string DefaultDatabasePath() {
  if (const char* db = std::getenv("STRATRUN_DB"); db && *db) return db;
  return (UserDir("XDG_DATA_HOME", ".local/share") / "stratrun.db").string();
}

Result<std::string> RunLogLocation(const std::string& explicit_db) {
  if (!explicit_db.empty()) return RunLogValue(explicit_db, "--db");
  if (const char* db = std::getenv("STRATRUN_DB"); db && *db) return RunLogValue(db, "STRATRUN_DB");
  return DefaultDatabasePath();
}

std::string ShownRunLogLocation(const std::string& location) {
  return IsPostgresLocation(location) ? pg::RedactedUri(location) : location;
}

Result<std::string> RunLogPath(const std::string& explicit_db) {
  auto location = RunLogLocation(explicit_db);
  if (!location) return location.status();
  return ShownRunLogLocation(*location);
}

Result<std::unique_ptr<RunStore>> OpenRunStore(const std::string& explicit_db) {
  auto location = RunLogLocation(explicit_db);
  if (!location) return location.status();
  auto store = RunStore::Open(*location);
  if (store) return store;
  const Status& failure = store.status();
  // PostgreSQL's messages name the server already ("cannot connect to PostgreSQL at <uri>:
  // …", "database <uri>: …"), without the password.
  if (IsPostgresLocation(*location)) return Status(failure.code(), failure.message(), "db");
  const StatusCode code = failure.code() == StatusCode::kUnsupported ? failure.code() : StatusCode::kInvalidArgument;
  return Status(code, "cannot open the run log " + *location + ": " + failure.message(), "db");
}

}  // namespace stratrun
