// RunToJson: the JSON form of a run that the HTTP API (GET /api/strategies/runs…) and the
// lifecycle SSE stream share, so a dashboard reads one shape everywhere.
//
//   {"run_id":"…","strategy_code":"sma_trend","plugin_version":"1.0.0","plugin_sha256":"…",
//    "status":"running","priority":"normal","source":"api",
//    "created_at":"2026-01-15T10:30:00.123Z","started_at":"…","finished_at":null,
//    "duration_seconds":12.5,"progress_percent":45.5,"current_stage":"analysis",
//    "total_items":500,"completed_items":227,"result_count":227,"passed_count":3,
//    "error":null,"parameters":{"min_score":70}}
#pragma once

#include <string>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "progress/run_record.h"

namespace stratrun {

/// The run as one line of JSON (no newline). Times are ISO-8601 UTC with milliseconds, as
/// in events; "started_at" and "finished_at" are null when unset. "duration_seconds" is
/// null until the run started, then finished − started (or now − started while it runs).
/// "current_stage" is null when empty; a non-finite "progress_percent" is null. "error" is
/// {"code","message"} when the run has an error code or message (also a cancel reason),
/// else null. "parameters" is parameters_json re-written compactly (member order kept); text
/// that is not a JSON object is written as {} rather than producing invalid JSON. Thread-safe; never throws but for
/// std::bad_alloc.
std::string RunToJson(const RunRecord& run);

/// The same object, written into an open Writer (for arrays of runs and envelopes).
void WriteRun(rapidjson::Writer<rapidjson::StringBuffer>& w, const RunRecord& run);

}  // namespace stratrun
