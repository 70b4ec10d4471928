#include "exec/run_request.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/process_owner.h"
#include "data/universe.h"

namespace stratrun {

unsigned RunWorkers(const ParameterValues& parameters) {
  if (const ParamValue* workers = parameters.Find("max_workers")) {
    if (const auto* n = std::get_if<int64_t>(workers)) return static_cast<unsigned>(std::max<int64_t>(1, *n));
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

Result<RunRequest> MakeRunRequest(std::string run_id, ParameterValues parameters, BarSource& data) {
  auto tickers = ResolveUniverse(parameters, data);
  if (!tickers) return tickers.status();
  RunRequest request{.run_id = std::move(run_id), .parameters = std::move(parameters), .tickers = std::move(*tickers)};
  request.max_workers = RunWorkers(request.parameters);
  return request;
}

RunRecord NewRunRecord(const Plugin& plugin, const RunRequest& request, RunState status, std::string source) {
  return RunRecord{.run_id = request.run_id,
                   .strategy_code = plugin.code(),
                   .plugin_version = plugin.version(),
                   .plugin_sha256 = plugin.sha256(),
                   .parameters_json = request.parameters.ToJson(),
                   .status = status,
                   .source = std::move(source),
                   .owner = ThisProcessOwner(),
                   .created_at = std::chrono::system_clock::now(),
                   .total_items = static_cast<int64_t>(request.tickers.size())};
}

}  // namespace stratrun
