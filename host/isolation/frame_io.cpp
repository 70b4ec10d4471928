#include "isolation/frame_io.h"

#include <cerrno>
#include <cstring>
#include <optional>
#include <sys/socket.h>
#include <unistd.h>

namespace stratrun {
namespace {

Status WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Internal(std::string("cannot write to the worker: ") + std::strerror(errno));
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

/// 1: read all; 0: EOF before any byte; -1: error or EOF midway.
int ReadAll(int fd, char* data, size_t size) {
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return got == 0 && n == 0 ? 0 : -1;
    got += static_cast<size_t>(n);
  }
  return 1;
}

}  // namespace

Status WriteFrame(int fd, std::string_view bytes) {
  const uint32_t size = static_cast<uint32_t>(bytes.size());
  if (Status s = WriteAll(fd, reinterpret_cast<const char*>(&size), sizeof size); !s.ok()) return s;
  return WriteAll(fd, bytes.data(), bytes.size());
}

Result<std::string> ReadFrame(int fd) {
  uint32_t size = 0;
  const int head = ReadAll(fd, reinterpret_cast<char*>(&size), sizeof size);
  if (head == 0) return Status(StatusCode::kNotFound, "the channel was closed");
  if (head < 0 || size > kMaxFrameBytes) return Internal("the channel broke");
  std::string bytes(size, '\0');
  if (ReadAll(fd, bytes.data(), size) != 1) return Internal("the channel broke mid-frame");
  return bytes;
}

std::optional<std::string_view> FrameIn(std::string_view buffer) {
  uint32_t size = 0;
  if (buffer.size() < sizeof size) return std::nullopt;
  std::memcpy(&size, buffer.data(), sizeof size);
  if (buffer.size() - sizeof size < size) return std::nullopt;
  return buffer.substr(sizeof size, size);
}

}  // namespace stratrun
