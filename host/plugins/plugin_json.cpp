#include "plugins/plugin_json.h"

namespace stratrun {

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


std::string CatalogToJson(const PluginCatalog& catalog, bool with_schema) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("strategies");
  w.StartArray();
  for (const auto& p : catalog.plugins) WriteDescriptor(w, *p, with_schema);
  w.EndArray();
  w.Key("rejected");
  w.StartArray();
  for (const auto& r : catalog.rejected) {
    w.StartObject();
    w.Key("file");
    w.String(r.file.c_str());
    w.Key("reason");
    w.String(r.reason.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace stratrun
