#include "http/http_io.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/utf8.h"

namespace stratrun::http {
namespace {

/// A header with a name and value chosen at run time.
class TextHeader : public PHttp::Header::Header {
 public:
  TextHeader(std::string name, std::string value) : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
  void parseRaw(const char* str, size_t len) override { value_.assign(str, len); }
  uint64_t hash() const override { return PHttp::Header::detail::hash(name_.c_str()); }

 private:
  std::string name_, value_;
};

}  // namespace

void SetHeader(PHttp::ResponseWriter& response, std::string name, std::string value) {
  response.headers().add(std::make_shared<TextHeader>(std::move(name), std::move(value)));
}

void SendText(PHttp::ResponseWriter& response, PHttp::Code code, const std::string& body, std::string_view content_type) {
  SetHeader(response, "Content-Type", std::string(content_type));
  SetHeader(response, "Cache-Control", "no-store");
  response.send(code, body);
}

void SendJson(PHttp::ResponseWriter& response, PHttp::Code code, const std::string& json) {
  SendText(response, code, json, "application/json");
}

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

std::string Echo(std::string_view text, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++chars) {
    if (chars == max_chars) {
      out += "\xE2\x80\xA6";  // …
      break;
    }
    const size_t n = Utf8SequenceLength(text, i);
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (n == 0 || c < 0x20 || c == 0x7F) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text, i, n);
      i += n;
    }
  }
  return out;
}

std::string JsonString(std::string_view text) {
  const std::string valid = SanitizeUtf8(text);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(valid.data(), static_cast<rapidjson::SizeType>(valid.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

std::string ErrorJson(std::string_view error_code, std::string_view message, std::string_view field) {
  // A message is ours, but may quote long input (a plugin's or a validator's words): cap it.
  constexpr size_t kMaxMessageBytes = 2048;
  std::string text = SanitizeUtf8(message);
  if (text.size() > kMaxMessageBytes) {
    size_t cut = kMaxMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // a code point boundary
    text.resize(cut);
    text += "\xE2\x80\xA6";
  }
  std::string json = "{\"error\":{\"code\":" + JsonString(error_code) + ",\"message\":" + JsonString(text);
  if (!field.empty()) json += ",\"field\":" + JsonString(Echo(field, 128));
  json += "}}";
  return json;
}

void SendError(PHttp::ResponseWriter& response, PHttp::Code code, std::string_view error_code, std::string_view message,
               std::string_view field) {
  SendJson(response, code, ErrorJson(error_code, message, field));
}

void SendStatus(PHttp::ResponseWriter& response, const Status& status) {
  PHttp::Code code = PHttp::Code::Internal_Server_Error;
  switch (status.code()) {
    case StatusCode::kInvalidArgument: code = PHttp::Code::Unprocessable_Entity; break;
    case StatusCode::kNotFound: code = PHttp::Code::Not_Found; break;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: code = PHttp::Code::Conflict; break;
    case StatusCode::kResourceExhausted:
      code = PHttp::Code::Service_Unavailable;
      SetHeader(response, "Retry-After", "5");
      break;
    default: break;
  }
  SendError(response, code, StatusCodeName(status.code()), status.message(), status.field());
}

}  // namespace stratrun::http
