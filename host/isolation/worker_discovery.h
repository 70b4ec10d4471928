// Discovery in a worker: a new plugin file's descriptor is read by a short-lived worker
// process (`stratrun worker --describe`), so the server never runs plugin code, not even
// a library's static constructors. A file whose load crashes, hangs or misbehaves is
// rejected with what happened: "crashed with SIGSEGV (Segmentation fault) while loading",
// "did not answer within 5 s while loading (its worker was killed)". No crash marks are
// needed (plugins/load_guard.h): a crash here only ends the worker.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "isolation/worker_process.h"
#include "plugins/plugin.h"
#include "plugins/plugin_loader.h"

namespace stratrun {

/// The descriptor a worker sends back: {"code","name","version","description","stages",
/// "abi":[major,minor],"negotiated":[major,minor],"parameters":[schema]} or {"rejected":"why"}.
std::string DescriptionToJson(const Plugin& plugin);
std::string RejectionToJson(std::string_view reason);

/// A registry's PluginLoadFn (plugins/plugin_registry.h) that describes files in workers
/// of `pool`. Remembers rejections by SHA-256, so an unchanged broken file is not started
/// again on every scan. Thread-safe; `pool` must outlive it.
class WorkerDiscovery {
 public:
  explicit WorkerDiscovery(WorkerPool& pool, std::chrono::milliseconds time_limit = std::chrono::seconds(5))
      : pool_(pool), time_limit_(time_limit) {}

  Result<std::shared_ptr<const Plugin>> Describe(const std::filesystem::path& file, const LoaderOptions& options);

 private:
  Result<std::shared_ptr<const Plugin>> DescribeInWorker(const PluginFile& prepared, const LoaderOptions& options);

  WorkerPool& pool_;
  const std::chrono::milliseconds time_limit_;
  std::mutex mutex_;
  std::map<std::string, std::string> rejected_by_sha256_;  // guarded by mutex_
};

}  // namespace stratrun
