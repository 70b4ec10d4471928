#include "isolation/worker_discovery.h"

#include <poll.h>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/logging.h"
#include "isolation/exit_status.h"
#include "isolation/frame_io.h"
#include "isolation/output_capture.h"

namespace stratrun {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Text(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void Version(Writer& w, const char* key, const AbiVersion& v) {
  w.Key(key);
  w.StartArray();
  w.Uint(v.major);
  w.Uint(v.minor);
  w.EndArray();
}

Status Rejected(std::string reason) { return {StatusCode::kInvalidArgument, std::move(reason)}; }

std::optional<AbiVersion> VersionOf(const rapidjson::Value& doc, const char* key) {
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || !it->value.IsArray() || it->value.Size() != 2 || !it->value[0].IsUint() ||
      !it->value[1].IsUint()) {
    return std::nullopt;
  }
  return AbiVersion{it->value[0].GetUint(), it->value[1].GetUint()};
}

/// The Plugin a worker's answer describes, or the rejection it carries.
Result<std::shared_ptr<const Plugin>> PluginFromAnswer(std::string_view json, const PluginFile& prepared) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return Rejected("its worker answered something that is not a descriptor");
  if (auto it = doc.FindMember("rejected"); it != doc.MemberEnd() && it->value.IsString()) {
    return Rejected(it->value.GetString());
  }
  PluginDescription d;
  auto text = [&](const char* key, std::string& out) {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || !it->value.IsString()) return false;
    out.assign(it->value.GetString(), it->value.GetStringLength());
    return true;
  };
  auto built = VersionOf(doc, "abi");
  auto negotiated = VersionOf(doc, "negotiated");
  auto stages = doc.FindMember("stages");
  auto parameters = doc.FindMember("parameters");
  if (!text("code", d.code) || !text("name", d.name) || !text("version", d.version) ||
      !text("description", d.description) || !built || !negotiated || stages == doc.MemberEnd() ||
      !stages->value.IsArray() || parameters == doc.MemberEnd()) {
    return Rejected("its worker answered an incomplete descriptor");
  }
  d.built_abi = *built;
  for (const auto& stage : stages->value.GetArray()) {
    if (stage.IsString()) d.stages.emplace_back(stage.GetString(), stage.GetStringLength());
  }
  rapidjson::StringBuffer schema_json;
  Writer schema_writer(schema_json);
  parameters->value.Accept(schema_writer);
  auto schema = ParameterSchema::Parse(schema_json.GetString());
  if (!schema) return Rejected("invalid parameter schema: " + schema.status().message());
  return std::make_shared<const Plugin>(std::move(d), std::move(*schema), prepared.file, prepared.sha256, *negotiated,
                                        prepared.library_file);
}

}  // namespace

std::string DescriptionToJson(const Plugin& plugin) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Text(w, "code", plugin.code());
  Text(w, "name", plugin.name());
  Text(w, "version", plugin.version());
  Text(w, "description", plugin.description());
  w.Key("stages");
  w.StartArray();
  for (const auto& stage : plugin.stages()) w.String(stage.data(), static_cast<rapidjson::SizeType>(stage.size()));
  w.EndArray();
  Version(w, "abi", plugin.built_abi());
  Version(w, "negotiated", plugin.abi());
  w.Key("parameters");
  const std::string schema = plugin.schema().ToJson();
  w.RawValue(schema.data(), schema.size(), rapidjson::kArrayType);
  w.EndObject();
  return buffer.GetString();
}

std::string RejectionToJson(std::string_view reason) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  Text(w, "rejected", reason);
  w.EndObject();
  return buffer.GetString();
}

Result<std::shared_ptr<const Plugin>> WorkerDiscovery::Describe(const std::filesystem::path& file,
                                                                const LoaderOptions& options) {
  auto prepared = PreparePluginFile(file, options.cache_dir);  // hashing and copying: no plugin code
  if (!prepared) return prepared.status();
  {
    std::lock_guard lock(mutex_);
    if (auto it = rejected_by_sha256_.find(prepared->sha256); it != rejected_by_sha256_.end()) return Rejected(it->second);
  }
  auto described = DescribeInWorker(*prepared, options);
  if (!described && described.status().code() == StatusCode::kInvalidArgument) {
    std::lock_guard lock(mutex_);
    rejected_by_sha256_[prepared->sha256] = described.status().message();
  }
  return described;
}

Result<std::shared_ptr<const Plugin>> WorkerDiscovery::DescribeInWorker(const PluginFile& prepared,
                                                                        const LoaderOptions& options) {
  auto worker = pool_.Spawn({"--describe", prepared.library_file.string(), "--file", prepared.file.string(), "--sha256",
                             prepared.sha256, "--abi", options.host_abi.ToString()},
                            false);
  if (!worker) return Internal("cannot describe it: " + worker.status().message());
  WorkerProcess& w = **worker;
  OutputCapture out(w.stdout_fd(), prepared.file.filename().string() + " stdout", false);
  OutputCapture err(w.stderr_fd(), prepared.file.filename().string() + " stderr", true);
  std::string answer;
  bool answer_open = true;
  const auto deadline = std::chrono::steady_clock::now() + time_limit_;
  bool timed_out = false;
  // Until the answer's channel closes (the worker exited) and the pipes are drained.
  while (answer_open || out.open() || err.open()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[3] = {{w.control_fd(), static_cast<short>(answer_open ? POLLIN : 0), 0},
                     {w.stdout_fd(), static_cast<short>(out.open() ? POLLIN : 0), 0},
                     {w.stderr_fd(), static_cast<short>(err.open() ? POLLIN : 0), 0}};
    if (::poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    if (answer_open && fds[0].revents != 0) {
      char buffer[65536];
      const ssize_t n = ::read(w.control_fd(), buffer, sizeof buffer);
      if (n > 0 && answer.size() < kMaxFrameBytes) answer.append(buffer, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) answer_open = false;
    }
    if (fds[1].revents != 0) out.ReadAvailable();
    if (fds[2].revents != 0) err.ReadAvailable();
  }
  w.Kill();
  const int status = w.Wait();
  out.Finish();
  err.Finish();
  const std::string tail = err.Tail();
  const std::string said = tail.empty() ? "" : "; it wrote: " + tail;
  if (timed_out) {
    const auto ms = time_limit_.count();
    const std::string limit = ms % 1000 == 0 ? std::to_string(ms / 1000) + " " : std::to_string(ms) + " m";
    return Rejected("did not answer within " + limit + "s while loading (its worker was killed)" + said);
  }
  if (auto frame = FrameIn(answer)) return PluginFromAnswer(*frame, prepared);
  return Rejected(DescribeExit(status) + " while loading" + said);
}

}  // namespace stratrun
