#include "http/static_files.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_map>

#include "http/http_io.h"

namespace stratrun::http {
namespace {

std::string_view ContentTypeFor(const std::filesystem::path& file) {
  static const std::unordered_map<std::string, std::string_view> kTypes = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"}};
  auto it = kTypes.find(file.extension().string());
  return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

}  // namespace

void ServeStaticFile(Pistache::Http::ResponseWriter& response, const std::filesystem::path& web_root,
                     std::string_view relative) {
  using Pistache::Http::Code;
  // Only plain names below the web root: no "..", no hidden files, no odd characters.
  const bool safe = !relative.empty() && relative.size() < 200 &&
                    std::all_of(relative.begin(), relative.end(),
                                [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                                    c == '-' || c == '.' || c == '/'; }) &&
                    relative.find("..") == std::string_view::npos && relative.front() != '/' &&
                    relative.find("/.") == std::string_view::npos && relative.front() != '.';
  const auto not_found = [&] {
    SendError(response, Code::Not_Found, "not_found", "no such file: " + Echo(relative, 200));
  };
  if (!safe) return not_found();  // before anything is opened
  const std::filesystem::path file = web_root / std::string(relative);
  std::ifstream in(file, std::ios::binary);
  if (!in || std::filesystem::is_directory(file)) return not_found();
  std::stringstream body;
  body << in.rdbuf();
  SetHeader(response, "Content-Type", std::string(ContentTypeFor(file)));
  SetHeader(response, "Cache-Control", "no-cache");
  response.send(Code::Ok, body.str());
}

}  // namespace stratrun::http
