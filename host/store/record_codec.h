// What every RunStore implementation stores the same way: a result row's metrics and
// reasons as JSON text, event types by name, and the checks a RunRecord passes before it
// is written. Both stores use these, so a run log moved between them reads back equal.
//
//   std::string json = MetricsJson(row.metrics);   // {"rsi":55.5,"volume_ratio":null}
//   auto metrics = ParseMetricsJson(json);         // NaN back where null was stored
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "progress/progress_event.h"
#include "progress/run_record.h"

namespace stratrun {

/// A JSON object of the metrics in their order; a value that is not finite is null.
std::string MetricsJson(const Metrics& metrics);
/// The inverse of MetricsJson: members in stored order, full precision, null (or any
/// non-number) as NaN. kDataError when the text is not a JSON object.
Result<Metrics> ParseMetricsJson(const std::string& text);

/// A JSON array of the reasons.
std::string ReasonsJson(const std::vector<std::string>& reasons);
/// The inverse of ReasonsJson (non-string elements are skipped). kDataError when the text
/// is not a JSON array.
Result<std::vector<std::string>> ParseReasonsJson(const std::string& text);

/// The EventType whose EventTypeName is `name`; nullopt for none.
std::optional<EventType> ParseEventType(std::string_view name);

/// kInvalidArgument for an empty run_id (field "run_id"), an unknown priority ("high",
/// "normal", "low"; field "priority") or source ("cli", "api"; field "source").
Status ValidateRun(const RunRecord& run);

}  // namespace stratrun
