#include "cli/commands.h"

#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "plugins/plugin_json.h"

namespace stratrun {

int ListCommand(const PluginOptions& options, bool json) {
  auto registry = MakeRegistry(options);
  auto catalog = ScanPlugins(registry);
  if (json) {
    std::printf("%s\n", CatalogToJson(*catalog, false).c_str());
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
  auto catalog = ScanPlugins(registry);
  auto plugin = FindStrategyOrComplain(*catalog, code);
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

}  // namespace stratrun
