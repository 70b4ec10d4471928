#include "http/request_framing.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

#include <pistache/http_headers.h>

#include "http/http_io.h"

namespace stratrun::http {

using Pistache::Http::Code;

namespace {

bool IsTokenChar(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool EqualsLower(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() &&
         std::equal(text.begin(), text.end(), lower.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

Framed FrameRequest(std::string_view buffer, size_t max_bytes) {
  constexpr size_t kMaxHead = 16 * 1024;
  Framed f;
  auto refuse = [&](Code code, std::string error_code, std::string message, std::string field = {}) {
    f.state = Framed::State::kRefused;
    f.code = code;
    f.error_code = std::move(error_code);
    f.message = std::move(message);
    f.field = std::move(field);
    return f;
  };
  const size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buffer.size() > kMaxHead) {
      return refuse(Code::Request_Header_Fields_Too_Large, "request_too_large",
                    "the request line and headers exceed " + std::to_string(kMaxHead) + " bytes");
    }
    return f;  // incomplete
  }
  if (head_end > kMaxHead) {
    return refuse(Code::Request_Header_Fields_Too_Large, "request_too_large",
                  "the request line and headers exceed " + std::to_string(kMaxHead) + " bytes");
  }
  const std::string_view head = buffer.substr(0, head_end);
  const size_t line_end = std::min(head.find("\r\n"), head.size());
  const std::string_view line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return refuse(Code::Bad_Request, "bad_request", "malformed request line (expected: METHOD /path HTTP/1.1)");
  }
  const std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                         version = line.substr(sp2 + 1);
  static constexpr std::string_view kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT"};
  if (std::find(std::begin(kMethods), std::end(kMethods), method) == std::end(kMethods)) {
    return refuse(Code::Not_Implemented, "not_implemented", "unknown HTTP method '" + Echo(method, 16) + "'");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return refuse(Code::HTTP_Version_Not_Supported, "http_version_not_supported",
                  "HTTP version '" + Echo(version, 16) + "' is not supported (HTTP/1.1 or HTTP/1.0)");
  }
  const bool bad_target = target.empty() || target.front() != '/' ||
                          std::any_of(target.begin(), target.end(), [](char c) {
                            const auto u = static_cast<unsigned char>(c);
                            return u <= 0x20 || u == 0x7F || c == '#';
                          });
  if (bad_target) return refuse(Code::Bad_Request, "bad_request", "malformed request target (expected a path from /)");

  std::optional<uint64_t> content_length;
  bool close_token = false, keep_alive_token = false;
  std::string headers;
  for (size_t pos = line_end + 2; pos < head.size();) {
    const size_t next = std::min(head.find("\r\n", pos), head.size());
    const std::string_view header = head.substr(pos, next - pos);
    pos = next + 2;
    if (header.empty()) continue;
    if (header.front() == ' ' || header.front() == '\t') {
      return refuse(Code::Bad_Request, "bad_request", "folded header lines are not accepted");
    }
    const size_t colon = header.find(':');
    const std::string_view name = colon == std::string_view::npos ? header : header.substr(0, colon);
    if (colon == std::string_view::npos || name.empty() ||
        !std::all_of(name.begin(), name.end(), [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); })) {
      return refuse(Code::Bad_Request, "bad_request", "malformed header line '" + Echo(header, 40) + "'");
    }
    const std::string_view value = TrimOws(header.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; })) {
      return refuse(Code::Bad_Request, "bad_request", "header " + Echo(name, 40) + " has a control character", std::string(name));
    }
    if (EqualsLower(name, "content-length")) {
      const bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits) {
        return refuse(Code::Bad_Request, "invalid_argument",
                      "Content-Length must be a decimal number of bytes (got '" + Echo(value, 32) + "')", "Content-Length");
      }
      const std::string_view significant = value.substr(std::min(value.find_first_not_of('0'), value.size()));
      if (significant.size() > 18 || std::stoull(std::string(significant.empty() ? "0" : significant)) > max_bytes) {
        return refuse(Code::Request_Entity_Too_Large, "request_too_large",
                      "the request body exceeds " + std::to_string(max_bytes) + " bytes", "Content-Length");
      }
      const uint64_t length = significant.empty() ? 0 : std::stoull(std::string(significant));
      if (content_length && *content_length != length) {
        return refuse(Code::Bad_Request, "invalid_argument", "conflicting Content-Length headers", "Content-Length");
      }
      content_length = length;
    } else if (EqualsLower(name, "transfer-encoding")) {
      return refuse(Code::Length_Required, "length_required",
                    "request bodies must come with Content-Length (Transfer-Encoding is not supported)",
                    "Transfer-Encoding");
    } else if (EqualsLower(name, "connection")) {
      for (size_t at = 0; at <= value.size();) {
        const size_t comma = std::min(value.find(',', at), value.size());
        const std::string_view token = TrimOws(value.substr(at, comma - at));
        close_token |= EqualsLower(token, "close");
        keep_alive_token |= EqualsLower(token, "keep-alive");
        at = comma + 1;
      }
    } else if (!EqualsLower(name, "cookie") && !EqualsLower(name, "set-cookie") &&
               !Pistache::Http::Header::Registry::instance().isRegistered(std::string(name))) {
      headers.append(name).append(": ").append(value).append("\r\n");
    }
  }
  const size_t body_at = head_end + 4;
  const uint64_t body_length = content_length.value_or(0);
  if (body_at + body_length > max_bytes) {
    return refuse(Code::Request_Entity_Too_Large, "request_too_large",
                  "the request exceeds " + std::to_string(max_bytes) + " bytes", "Content-Length");
  }
  if (buffer.size() < body_at + body_length) return f;  // incomplete
  f.state = Framed::State::kComplete;
  f.length = body_at + body_length;
  f.close = version == "HTTP/1.0" ? !keep_alive_token : close_token;
  const std::string_view path = target.substr(0, target.find('?'));
  f.stream = method == "GET" && (path == "/api/events" || path.starts_with("/api/strategies/sse/"));
  f.forwarded.reserve(f.length);
  f.forwarded.append(line).append("\r\n").append(headers);
  if (content_length) f.forwarded.append("Content-Length: ").append(std::to_string(body_length)).append("\r\n");
  f.forwarded.append("\r\n").append(buffer.substr(body_at, body_length));
  return f;
}

}  // namespace stratrun::http
