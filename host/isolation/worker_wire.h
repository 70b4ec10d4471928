// The worker protocol: what travels between the host and a worker process.
//
// Host → worker, once, on the control socket: the WorkerJob (JSON, u32-length-prefixed).
// Worker → host, through the SharedRing: WorkerMessage values, each one message of the
// ring, encoded here in a compact binary form (little-endian, strings length-prefixed).
// Decoding checks every length: a message that does not decode is an error, never a
// crash or an over-read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "progress/progress_event.h"
#include "stratrun/plugin.h"

namespace stratrun {

/// What a worker is asked to run.
struct WorkerJob {
  std::filesystem::path library_file;  // the plugin's private copy
  std::filesystem::path file;          // where the plugin was found
  std::string sha256;
  std::string code;  // the strategy the library must provide
  std::string run_id;
  std::string parameters_json;  // validated by the host; validated again by the worker
  std::vector<std::string> tickers;
  unsigned max_workers = 1;
  std::filesystem::path data_dir;
};

std::string EncodeJob(const WorkerJob& job);
Result<WorkerJob> DecodeJob(std::string_view json);

/// A line the plugin logged.
struct WorkerLog {
  stratrun_log_level level = STRATRUN_LOG_INFO;
  std::string message;
};

/// What the plugin's `run` returned; the worker's last message.
struct WorkerReturn {
  stratrun_status status = STRATRUN_INTERNAL;
  std::string message;
};

using WorkerMessage = std::variant<ProgressEvent, ResultRow, WorkerLog, WorkerReturn>;

/// Appends the encoding of `message` to `out` (cleared first).
void EncodeMessage(const WorkerMessage& message, std::string& out);
Result<WorkerMessage> DecodeMessage(std::string_view bytes);

}  // namespace stratrun
