// ServerProcess: a real `stratrun serve` on a free loopback port, with its own run log,
// the shared sample data and the good fixture plugins; stopped with SIGTERM (or killed).
#pragma once

#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "support/http_client.h"
#include "support/test_support.h"

namespace stratrun::testing {

class ServerProcess {
 public:
  /// `db`: the run log file (kept by the caller to restart on it); `extra`: more serve flags.
  ServerProcess(const std::filesystem::path& db, std::vector<std::string> extra = {},
                std::vector<std::string> plugin_dirs = {kGoodPluginDir.string()}, std::vector<std::string> env = {}) {
    std::vector<std::string> args;
    for (const auto& dir : plugin_dirs) {
      args.push_back("--plugins");
      args.push_back(dir);
    }
    args.insert(args.end(), {"serve", "--port", "0", "--db", db.string(), "--data", SampleDataDir().string()});
    args.insert(args.end(), extra.begin(), extra.end());
    process_ = std::make_unique<StratrunProcess>(args, env);
    if (process_->WaitForOutput("listening on http://127.0.0.1:")) {
      const std::string out = process_->Wait(/*peek=*/true).out;
      const size_t at = out.find("listening on http://127.0.0.1:");
      port_ = static_cast<uint16_t>(std::stoi(out.substr(at + 30)));
    }
  }
  ~ServerProcess() { Stop(); }

  uint16_t port() const { return port_; }
  bool ok() const { return port_ != 0; }
  /// SIGTERM and wait: what a graceful shutdown printed.
  CommandResult Stop() {
    if (!stopped_) {
      stopped_ = true;
      process_->Signal(SIGTERM);
      result_ = process_->Wait();
    }
    return result_;
  }
  /// Waits for the server to exit by itself (e.g. after one SIGTERM; a second one would end
  /// it at once).
  CommandResult WaitForExit() {
    if (!stopped_) {
      stopped_ = true;
      result_ = process_->Wait();
    }
    return result_;
  }
  /// Sends `signal` without waiting (Stop() or Kill() waits).
  void Signal(int signal) { process_->Signal(signal); }
  /// SIGKILL: a crash.
  void Kill() {
    stopped_ = true;
    process_->Signal(SIGKILL);
    result_ = process_->Wait();
  }
  /// The process that serves: the supervisor's child (its first, from /proc), or the
  /// started process itself when it has none.
  pid_t ServerPid() const {
    std::ifstream children("/proc/" + std::to_string(process_->pid()) + "/task/" + std::to_string(process_->pid()) +
                           "/children");
    pid_t child = 0;
    return children >> child ? child : process_->pid();
  }
  std::string Output() { return process_->Wait(/*peek=*/true).out + process_->Wait(/*peek=*/true).err; }

  HttpResponse Get(const std::string& target) const { return HttpGet(port_, target); }
  HttpResponse Post(const std::string& target, const std::string& body) const { return HttpPost(port_, target, body); }

 private:
  std::unique_ptr<StratrunProcess> process_;
  uint16_t port_ = 0;
  bool stopped_ = false;
  CommandResult result_;
};

inline rapidjson::Document Json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  return doc;
}

/// The "run_id" of an answer to execute; empty when it has none.
inline std::string RunIdOf(const HttpResponse& r) {
  auto doc = Json(r.body);
  return doc.IsObject() && doc.HasMember("run_id") && doc["run_id"].IsString() ? doc["run_id"].GetString() : "";
}

/// Waits until the run's status is `state` (polling GET …/runs/{id}, across server
/// restarts); false after `timeout`.
inline bool WaitForStatus(const ServerProcess& server, const std::string& run_id, const std::string& state,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto doc = Json(server.Get("/api/strategies/runs/" + run_id).body);
    if (doc.IsObject() && doc.HasMember("status") && doc["status"].IsString() && doc["status"].GetString() == state) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace stratrun::testing
