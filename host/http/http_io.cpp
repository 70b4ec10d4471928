#include "http/http_io.h"

#include <charconv>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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

std::string JsonString(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return {buffer.GetString(), buffer.GetSize()};
}

void SendError(PHttp::ResponseWriter& response, PHttp::Code code, std::string_view error_code, std::string_view message,
               std::string_view field) {
  std::string json = "{\"error\":{\"code\":" + JsonString(error_code) + ",\"message\":" + JsonString(message);
  if (!field.empty()) json += ",\"field\":" + JsonString(field);
  json += "}}";
  SendJson(response, code, json);
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

std::optional<std::string> Query(const PHttp::Request& request, const std::string& name) {
  return request.query().get(name);
}

Result<int64_t> QueryInteger(const PHttp::Request& request, const std::string& name, int64_t fallback, int64_t min,
                             int64_t max) {
  auto text = Query(request, name);
  if (!text) return fallback;
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return InvalidArgument(name + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max), name);
  }
  return value;
}

Result<std::optional<bool>> QueryBoolean(const PHttp::Request& request, const std::string& name) {
  auto text = Query(request, name);
  if (!text) return std::optional<bool>();
  if (*text == "true" || *text == "1") return std::optional<bool>(true);
  if (*text == "false" || *text == "0") return std::optional<bool>(false);
  return InvalidArgument(name + " must be true or false", name);
}

std::optional<std::string> Header(const PHttp::Request& request, const std::string& name) {
  if (auto raw = request.headers().tryGetRaw(name)) return raw->value();
  return std::nullopt;
}

}  // namespace stratrun::http
