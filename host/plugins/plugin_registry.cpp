#include "plugins/plugin_registry.h"

#include <algorithm>

#include "common/logging.h"
#include "common/sha256.h"

namespace stratrun {
namespace fs = std::filesystem;

std::shared_ptr<const Plugin> PluginCatalog::Find(std::string_view code) const {
  auto it = std::lower_bound(plugins.begin(), plugins.end(), code,
                             [](const auto& plugin, std::string_view c) { return plugin->code() < c; });
  return it != plugins.end() && (*it)->code() == code ? *it : nullptr;
}

PluginRegistry::PluginRegistry(RegistryOptions options)
    : options_(std::move(options)), catalog_(std::make_shared<PluginCatalog>()) {}

std::shared_ptr<const PluginCatalog> PluginRegistry::catalog() const {
  std::lock_guard lock(mutex_);
  return catalog_;
}

std::shared_ptr<const PluginCatalog> PluginRegistry::Rescan() {
  std::lock_guard lock(mutex_);  // one scan at a time; readers wait only for the swap
  auto catalog = std::make_shared<PluginCatalog>();
  std::map<std::string, fs::path> code_to_file;
  const LoaderOptions loader{options_.cache_dir, options_.host_abi};

  for (const fs::path& dir : options_.plugin_dirs) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().extension() == ".so") files.push_back(it->path());
    }
    if (ec) {
      catalog->rejected.push_back({dir, "cannot read plugin folder: " + ec.message()});
      continue;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::shared_ptr<const Plugin> plugin;
      if (auto sha = Sha256OfFile(file); sha) {
        if (auto it = loaded_by_sha256_.find(*sha); it != loaded_by_sha256_.end()) plugin = it->second;
      }
      if (!plugin) {
        auto loaded = options_.load ? options_.load(file, loader) : LoadPlugin(file, loader);
        if (!loaded) {
          Logger("plugins")->warn("rejected {}: {}", file.string(), loaded.status().message());
          catalog->rejected.push_back({file, loaded.status().message()});
          continue;
        }
        plugin = std::move(*loaded);
        loaded_by_sha256_[plugin->sha256()] = plugin;
      }
      auto [it, inserted] = code_to_file.emplace(plugin->code(), file);
      if (!inserted) {
        catalog->rejected.push_back(
            {file, "duplicate strategy code '" + plugin->code() + "' (already provided by " +
                       it->second.string() + ")"});
        continue;
      }
      catalog->plugins.push_back(std::move(plugin));
    }
  }
  std::sort(catalog->plugins.begin(), catalog->plugins.end(),
            [](const auto& a, const auto& b) { return a->code() < b->code(); });
  catalog_ = catalog;
  return catalog;
}

}  // namespace stratrun
