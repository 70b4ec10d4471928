// The JSON form of plugins and of a catalog, as `stratrun list --json`, `describe --json`
// and the HTTP API print them.
//
//   {"code","name","version","description","abi","file","sha256","stages":[…],
//    "parameters":[…schema…]}   (parameters only with_schema)
#pragma once

#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "plugins/plugin_registry.h"

namespace stratrun {

void WriteDescriptor(rapidjson::Writer<rapidjson::StringBuffer>& w, const Plugin& plugin, bool with_schema);

/// {"strategies":[descriptor…],"rejected":[{"file","reason"}…]}
std::string CatalogToJson(const PluginCatalog& catalog, bool with_schema);

}  // namespace stratrun
