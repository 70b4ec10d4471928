#include "http/sse_frame.h"

namespace stratrun::http {
namespace {

/// "event: <type>\ndata: <json>\n\n", appended.
void AppendMessage(std::string& text, std::string_view type, std::string_view json) {
  text += "event: ";
  text += type;
  text += "\ndata: ";
  text += json;
  text += "\n\n";
}

class SseFrameFormat final : public FrameFormat {
 public:
  std::string Event(uint64_t seq, std::string_view type, std::string_view json) const override {
    std::string text;
    text.reserve(json.size() + type.size() + 40);
    text += "id: ";
    text += std::to_string(seq);
    text += '\n';
    AppendMessage(text, type, json);
    return text;
  }

  std::string Message(std::string_view type, std::string_view json) const override {
    std::string text;
    text.reserve(json.size() + type.size() + 20);
    AppendMessage(text, type, json);
    return text;
  }

  std::string RetryHint(std::chrono::milliseconds delay) const override {
    return "retry: " + std::to_string(delay.count()) + "\n\n";
  }

  std::string Heartbeat() const override { return ": heartbeat\n\n"; }
};

}  // namespace

const FrameFormat& SseFrames() {
  static const SseFrameFormat format;
  return format;
}

}  // namespace stratrun::http
