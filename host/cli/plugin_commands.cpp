#include "cli/commands.h"

#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace stratrun {
namespace {

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
