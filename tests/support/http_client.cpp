#include "support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace stratrun::testing {
namespace {

int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Parses "HTTP/1.1 200 OK\r\nName: value\r\n…\r\n\r\n"; returns the head's length or 0.
size_t ParseHead(const std::string& raw, int* status, std::map<std::string, std::string>* headers) {
  const size_t end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return 0;
  const size_t line_end = raw.find("\r\n");
  const std::string status_line = raw.substr(0, line_end);
  const size_t space = status_line.find(' ');
  *status = space == std::string::npos ? 0 : std::atoi(status_line.c_str() + space + 1);
  size_t pos = line_end + 2;
  while (pos < end) {
    const size_t next = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, next - pos);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      (*headers)[Lower(line.substr(0, colon))] = value;
    }
    pos = next + 2;
  }
  return end + 4;
}

/// Decodes as many complete chunks of `raw` as there are into `out`; true at the last chunk.
bool DecodeChunks(std::string& raw, std::string& out) {
  for (;;) {
    const size_t line_end = raw.find("\r\n");
    if (line_end == std::string::npos) return false;
    const size_t size = std::strtoul(raw.substr(0, line_end).c_str(), nullptr, 16);
    if (size == 0) {
      raw.clear();
      return true;
    }
    if (raw.size() < line_end + 2 + size + 2) return false;
    out.append(raw, line_end + 2, size);
    raw.erase(0, line_end + 2 + size + 2);
  }
}

}  // namespace

HttpResponse HttpRequest(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                         const std::map<std::string, std::string>& headers) {
  HttpResponse response;
  const int fd = Connect(port);
  if (fd < 0) return response;
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  SendAll(fd, request);
  std::string raw;
  char buffer[65536];
  size_t head = 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<size_t>(n));
    if (head == 0) head = ParseHead(raw, &response.status, &response.headers);
    if (head > 0) {
      // Stop at the body's end rather than waiting for the server to close the connection.
      if (auto it = response.headers.find("content-length"); it != response.headers.end()) {
        if (raw.size() - head >= std::stoul(it->second)) break;
      } else if (response.headers.count("transfer-encoding") && raw.ends_with("0\r\n\r\n")) {
        break;
      }
    }
  }
  ::close(fd);
  if (head == 0) return response;
  std::string rest = raw.substr(head);
  if (auto it = response.headers.find("transfer-encoding"); it != response.headers.end() && it->second == "chunked") {
    DecodeChunks(rest, response.body);
  } else {
    response.body = rest;
    if (auto cl = response.headers.find("content-length"); cl != response.headers.end()) {
      response.body.resize(std::min(response.body.size(), static_cast<size_t>(std::stoul(cl->second))));
    }
  }
  return response;
}

std::vector<HttpResponse> RawReply::Responses() const {
  std::vector<HttpResponse> responses;
  std::string rest = bytes;
  for (;;) {
    HttpResponse r;
    const size_t head = ParseHead(rest, &r.status, &r.headers);
    if (head == 0) break;
    std::string body = rest.substr(head);
    if (auto te = r.headers.find("transfer-encoding"); te != r.headers.end() && te->second == "chunked") {
      if (!DecodeChunks(body, r.body)) break;
      rest = body;  // DecodeChunks leaves nothing after the last chunk it read
      responses.push_back(std::move(r));
      break;
    }
    size_t length = 0;
    if (auto cl = r.headers.find("content-length"); cl != r.headers.end()) length = std::stoul(cl->second);
    if (body.size() < length) break;
    r.body = body.substr(0, length);
    rest = body.substr(length);
    responses.push_back(std::move(r));
  }
  return responses;
}

RawReply RawExchange(uint16_t port, const std::string& request, size_t stop_after_responses,
                     std::chrono::milliseconds timeout) {
  RawReply reply;
  const int fd = Connect(port);
  if (fd < 0) return reply;
  SendAll(fd, request);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[65536];
  while (std::chrono::steady_clock::now() < deadline) {
    if (stop_after_responses > 0 && reply.Responses().size() >= stop_after_responses) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      reply.closed_by_server = true;
      break;
    }
    reply.bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return reply;
}

SseStream::SseStream(uint16_t port, const std::string& target, std::optional<std::string> last_event_id) {
  fd_ = Connect(port);
  if (fd_ < 0) {
    ended_ = true;
    return;
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n";
  if (last_event_id) request += "Last-Event-ID: " + *last_event_id + "\r\n";
  SendAll(fd_, request + "\r\n");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buffer[65536];
  size_t head = 0;
  while (head == 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw_.append(buffer, static_cast<size_t>(n));
    head = ParseHead(raw_, &status_, &headers_);
  }
  if (head == 0) {
    ended_ = true;
    return;
  }
  raw_.erase(0, head);
  chunked_ = headers_["transfer-encoding"] == "chunked";
  if (status_ != 200) {
    // An error answer (JSON): keep its body as text_ for the caller to inspect via Next().
    ended_ = true;
  }
}

SseStream::~SseStream() { Drop(); }

void SseStream::Drop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SseStream::Fill(std::chrono::steady_clock::time_point deadline) {
  char buffer[65536];
  for (;;) {
    if (chunked_) {
      if (DecodeChunks(raw_, text_)) {
        ended_ = true;
        return true;
      }
    } else {
      text_ += raw_;
      raw_.clear();
    }
    if (text_.find("\n\n") != std::string::npos) return true;
    if (fd_ < 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 100))) <= 0) continue;
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      ended_ = true;
      return false;
    }
    raw_.append(buffer, static_cast<size_t>(n));
  }
}

std::optional<SseEvent> SseStream::Next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const size_t end = text_.find("\n\n");
    if (end == std::string::npos) {
      const bool was_ended = ended_;
      if (!Fill(deadline) || (was_ended && text_.find("\n\n") == std::string::npos)) return std::nullopt;
      continue;
    }
    const std::string frame = text_.substr(0, end);
    text_.erase(0, end + 2);
    SseEvent event;
    bool has_data = false;
    size_t pos = 0;
    while (pos <= frame.size()) {
      size_t next = frame.find('\n', pos);
      if (next == std::string::npos) next = frame.size();
      const std::string line = frame.substr(pos, next - pos);
      pos = next + 1;
      if (line.empty()) continue;
      if (line[0] == ':') {
        ++comments_;
        continue;
      }
      const size_t colon = line.find(':');
      const std::string field = line.substr(0, colon);
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value[0] == ' ') value.erase(0, 1);
      if (field == "id") event.id = value;
      if (field == "event") event.event = value;
      if (field == "data") {
        event.data += (has_data ? "\n" : "") + value;
        has_data = true;
      }
      if (field == "retry") retry_ = std::atoi(value.c_str());
    }
    if (has_data) return event;
  }
}

std::vector<SseEvent> SseStream::ReadToEnd(std::chrono::milliseconds timeout) {
  std::vector<SseEvent> events;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto event = Next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
    if (!event) {
      if (ended_) break;
      continue;
    }
    events.push_back(std::move(*event));
  }
  return events;
}

}  // namespace stratrun::testing
