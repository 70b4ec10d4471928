// The dashboard's files: GET / and /web/<path> answered from the web root.
//
//   ServeStaticFile(response, services.web_root, "index.html");
//
// Only plain relative names are served (letters, digits, "_-./"; no "..", no hidden
// files, under 200 bytes); anything else, a missing file or a directory is a JSON 404
// "not_found" — never a file outside the web root. Files go out with a Content-Type by
// extension (application/octet-stream when unknown) and Cache-Control: no-cache.
#pragma once

#include <filesystem>
#include <string_view>

#include <pistache/http.h>

namespace stratrun::http {

/// Answers `response` with the file `relative` below `web_root`, or 404 (see the overview).
/// Reads the file on the calling thread.
void ServeStaticFile(Pistache::Http::ResponseWriter& response, const std::filesystem::path& web_root,
                     std::string_view relative);

}  // namespace stratrun::http
