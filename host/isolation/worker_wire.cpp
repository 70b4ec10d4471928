#include "isolation/worker_wire.h"

#include <cstring>
#include <type_traits>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/utf8.h"

namespace stratrun {
namespace {

enum class Tag : uint8_t { kEvent = 1, kResult = 2, kLog = 3, kReturn = 4 };

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  template <typename T>
  void Put(T value) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void Put(std::string_view text) {
    Put(static_cast<uint32_t>(text.size()));
    out_.append(text);
  }
  void Put(const Metrics& metrics) {
    Put(static_cast<uint32_t>(metrics.size()));
    for (const auto& [name, value] : metrics) {
      Put(std::string_view(name));
      Put(value);
    }
  }

 private:
  std::string& out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (in_.size() < sizeof value) return false;
    std::memcpy(&value, in_.data(), sizeof value);
    in_.remove_prefix(sizeof value);
    return true;
  }
  /// Text is made valid UTF-8 again: the host trusts nothing the worker's memory held.
  bool Get(std::string& text) {
    uint32_t size = 0;
    if (!Get(size) || in_.size() < size) return false;
    const std::string_view raw = in_.substr(0, size);
    text = IsValidUtf8(raw) ? std::string(raw) : SanitizeUtf8(raw);
    in_.remove_prefix(size);
    return true;
  }
  bool Get(Metrics& metrics) {
    uint32_t count = 0;
    if (!Get(count) || count > in_.size()) return false;  // each takes at least a byte
    for (uint32_t i = 0; i < count; ++i) {
      std::string name;
      double value = 0;
      if (!Get(name) || !Get(value)) return false;
      metrics.emplace_back(std::move(name), value);
    }
    return true;
  }
  template <typename T>
  bool GetOptional(std::optional<T>& value) {
    uint8_t present = 0;
    if (!Get(present)) return false;
    if (present == 0) return true;
    T v{};
    if (!Get(v)) return false;
    value = v;
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

template <typename T>
void PutOptional(Writer& w, const std::optional<T>& value) {
  w.Put(static_cast<uint8_t>(value ? 1 : 0));
  if (value) w.Put(*value);
}

Status Malformed() { return Internal("the worker sent a malformed message"); }

}  // namespace

std::string EncodeJob(const WorkerJob& job) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto text = [&](const char* key, const std::string& value) {
    w.Key(key);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  text("library_file", job.library_file.string());
  text("file", job.file.string());
  text("sha256", job.sha256);
  text("code", job.code);
  text("run_id", job.run_id);
  text("parameters", job.parameters_json);
  w.Key("tickers");
  w.StartArray();
  for (const auto& t : job.tickers) w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
  w.EndArray();
  w.Key("max_workers");
  w.Uint(job.max_workers);
  text("data_dir", job.data_dir.string());
  w.EndObject();
  return buffer.GetString();
}

Result<WorkerJob> DecodeJob(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return InvalidArgument("the job is not a JSON object");
  WorkerJob job;
  auto text = [&](const char* key, std::string& out) {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) return false;
    out.assign(it->value.GetString(), it->value.GetStringLength());
    return true;
  };
  std::string library_file, file, data_dir;
  if (!text("library_file", library_file) || !text("file", file) || !text("sha256", job.sha256) ||
      !text("code", job.code) || !text("run_id", job.run_id) || !text("parameters", job.parameters_json) ||
      !text("data_dir", data_dir)) {
    return InvalidArgument("the job lacks a field");
  }
  job.library_file = library_file;
  job.file = file;
  job.data_dir = data_dir;
  auto tickers = doc.FindMember("tickers");
  if (tickers == doc.MemberEnd() || !tickers->value.IsArray()) return InvalidArgument("the job has no tickers");
  for (const auto& t : tickers->value.GetArray()) {
    if (!t.IsString()) return InvalidArgument("the job's tickers are not strings");
    job.tickers.emplace_back(t.GetString(), t.GetStringLength());
  }
  auto workers = doc.FindMember("max_workers");
  if (workers != doc.MemberEnd() && workers->value.IsUint()) job.max_workers = workers->value.GetUint();
  return job;
}

void EncodeMessage(const WorkerMessage& message, std::string& out) {
  out.clear();
  Writer w(out);
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, ProgressEvent>) {
          w.Put(Tag::kEvent);
          w.Put(static_cast<uint8_t>(m.type));
          w.Put(std::string_view(m.stage));
          w.Put(std::string_view(m.current_item));
          w.Put(std::string_view(m.message));
          PutOptional(w, m.progress_percent);
          PutOptional(w, m.total_items);
          PutOptional(w, m.completed_items);
          w.Put(m.metrics);
        } else if constexpr (std::is_same_v<T, ResultRow>) {
          w.Put(Tag::kResult);
          w.Put(std::string_view(m.ticker));
          w.Put(m.score);
          w.Put(static_cast<uint8_t>(m.passed ? 1 : 0));
          w.Put(m.metrics);
          w.Put(static_cast<uint32_t>(m.reasons.size()));
          for (const auto& reason : m.reasons) w.Put(std::string_view(reason));
        } else if constexpr (std::is_same_v<T, WorkerLog>) {
          w.Put(Tag::kLog);
          w.Put(m.level);
          w.Put(std::string_view(m.message));
        } else {
          w.Put(Tag::kReturn);
          w.Put(m.status);
          w.Put(std::string_view(m.message));
        }
      },
      message);
}

Result<WorkerMessage> DecodeMessage(std::string_view bytes) {
  Reader r(bytes);
  Tag tag{};
  if (!r.Get(tag)) return Malformed();
  switch (tag) {
    case Tag::kEvent: {
      ProgressEvent e;
      uint8_t type = 0;
      if (!r.Get(type) || !r.Get(e.stage) || !r.Get(e.current_item) || !r.Get(e.message) ||
          !r.GetOptional(e.progress_percent) || !r.GetOptional(e.total_items) || !r.GetOptional(e.completed_items) ||
          !r.Get(e.metrics) || !r.done()) {
        return Malformed();
      }
      e.type = static_cast<EventType>(type);
      // Only what a plugin may emit; the host makes started and terminal events itself.
      if (e.type != EventType::kProgress && e.type != EventType::kTickerCompleted &&
          e.type != EventType::kStageCompleted) {
        return Malformed();
      }
      return WorkerMessage(std::move(e));
    }
    case Tag::kResult: {
      ResultRow row;
      uint8_t passed = 0;
      uint32_t reasons = 0;
      if (!r.Get(row.ticker) || !r.Get(row.score) || !r.Get(passed) || !r.Get(row.metrics) || !r.Get(reasons) ||
          reasons > bytes.size()) {
        return Malformed();
      }
      row.passed = passed != 0;
      for (uint32_t i = 0; i < reasons; ++i) {
        if (!r.Get(row.reasons.emplace_back())) return Malformed();
      }
      if (!r.done() || row.ticker.empty()) return Malformed();
      return WorkerMessage(std::move(row));
    }
    case Tag::kLog: {
      WorkerLog log;
      if (!r.Get(log.level) || !r.Get(log.message) || !r.done()) return Malformed();
      return WorkerMessage(std::move(log));
    }
    case Tag::kReturn: {
      WorkerReturn returned;
      if (!r.Get(returned.status) || !r.Get(returned.message) || !r.done()) return Malformed();
      return WorkerMessage(std::move(returned));
    }
  }
  return Malformed();
}

}  // namespace stratrun
