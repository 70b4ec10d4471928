#include "store/record_codec.h"

#include <array>
#include <cmath>
#include <limits>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace stratrun {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr std::array kAllEventTypes = {EventType::kStarted,        EventType::kProgress,  EventType::kTickerCompleted,
                                       EventType::kStageCompleted, EventType::kCompleted, EventType::kError,
                                       EventType::kCancelled};

Result<rapidjson::Document> ParseJson(const std::string& text, std::string_view what) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (doc.HasParseError()) return Status(StatusCode::kDataError, "stored " + std::string(what) + " is not json");
  return doc;
}

}  // namespace

std::string MetricsJson(const Metrics& metrics) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  for (const auto& [name, value] : metrics) {
    w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    if (std::isfinite(value)) {
      w.Double(value);
    } else {
      w.Null();
    }
  }
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

Result<Metrics> ParseMetricsJson(const std::string& text) {
  auto doc = ParseJson(text, "metrics");
  if (!doc) return doc.status();
  if (!doc->IsObject()) return Status(StatusCode::kDataError, "stored metrics are not a json object");
  Metrics metrics;
  metrics.reserve(doc->MemberCount());
  for (const auto& member : doc->GetObject()) {
    const double value = member.value.IsNumber() ? member.value.GetDouble() : std::numeric_limits<double>::quiet_NaN();
    metrics.emplace_back(std::string(member.name.GetString(), member.name.GetStringLength()), value);
  }
  return metrics;
}

std::string ReasonsJson(const std::vector<std::string>& reasons) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartArray();
  for (const auto& reason : reasons) w.String(reason.data(), static_cast<rapidjson::SizeType>(reason.size()));
  w.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

Result<std::vector<std::string>> ParseReasonsJson(const std::string& text) {
  auto doc = ParseJson(text, "reasons");
  if (!doc) return doc.status();
  if (!doc->IsArray()) return Status(StatusCode::kDataError, "stored reasons are not a json array");
  std::vector<std::string> reasons;
  reasons.reserve(doc->Size());
  for (const auto& reason : doc->GetArray()) {
    if (reason.IsString()) reasons.emplace_back(reason.GetString(), reason.GetStringLength());
  }
  return reasons;
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (EventType type : kAllEventTypes) {
    if (EventTypeName(type) == name) return type;
  }
  return std::nullopt;
}

Status ValidateRun(const RunRecord& run) {
  if (run.run_id.empty()) return InvalidArgument("run id is empty", "run_id");
  if (run.priority != "high" && run.priority != "normal" && run.priority != "low") {
    return InvalidArgument("unknown priority \"" + run.priority + "\" (high, normal or low)", "priority");
  }
  if (run.source != "cli" && run.source != "api") {
    return InvalidArgument("unknown source \"" + run.source + "\" (cli or api)", "source");
  }
  return Status::Ok();
}

}  // namespace stratrun
