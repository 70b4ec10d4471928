#include "isolation/output_capture.h"

#include <cerrno>
#include <unistd.h>

#include "common/logging.h"
#include "common/utf8.h"

namespace stratrun {

OutputCapture::OutputCapture(int fd, std::string label, bool keep_tail)
    : fd_(fd), label_(std::move(label)), keep_tail_(keep_tail) {}

bool OutputCapture::ReadAvailable() {
  char buffer[65536];
  while (open_) {
    const ssize_t n = ::read(fd_, buffer, sizeof buffer);
    if (n > 0) {
      for (ssize_t i = 0; i < n; ++i) {
        if (buffer[i] == '\n') {
          Line(std::move(partial_));
          partial_.clear();
        } else if (partial_.size() < kLineBytes) {
          partial_.push_back(buffer[i]);
        }
      }
      continue;
    }
    if (n == 0) open_ = false;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) open_ = false;
    break;
  }
  return open_;
}

void OutputCapture::Finish() {
  if (!partial_.empty()) Line(std::move(partial_));
  partial_.clear();
  if (lines_ > kLoggedLines) {
    Logger("plugin")->warn("[{}] {} more lines not logged", label_, lines_ - kLoggedLines);
  }
}

void OutputCapture::Line(std::string line) {
  line = SanitizeUtf8(line);
  if (++lines_ <= kLoggedLines) Logger("plugin")->info("[{}] {}", label_, line);
  if (keep_tail_) {
    tail_.push_back(std::move(line));
    if (tail_.size() > kTailLines) tail_.pop_front();
  }
}

std::string OutputCapture::Tail() const {
  std::string joined;
  for (const auto& line : tail_) {
    if (line.empty()) continue;
    if (!joined.empty()) joined += " | ";
    joined += line;
  }
  return joined;
}

}  // namespace stratrun
