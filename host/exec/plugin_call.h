// CallPlugin: one call of a plugin's `run` hook — the host side of the ABI.
//
// It hands the plugin the host API table and turns each of the plugin's calls into a
// RunChannel call: emit → Emit, report_result → Report, is_cancelled → Cancelled, log →
// Log; get_bars reads `data`, get_parameter the request's validated parameters. Calls on
// the run's handle after `run` returned (a thread the plugin left running) are refused
// with STRATRUN_RUN_FINISHED and never reach the channel.
#pragma once

#include <string>

#include "data/bar_series.h"
#include "exec/run_channel.h"
#include "exec/run_request.h"
#include "plugins/plugin.h"

namespace stratrun {

/// What `run` returned: its status and its message (valid UTF-8; empty when it gave none).
/// An exception escaping the plugin is STRATRUN_INTERNAL with "plugin threw an exception…".
struct PluginReturn {
  stratrun_status status = STRATRUN_INTERNAL;
  std::string message;
};

/// Calls `plugin`'s run hook on this thread and returns when it does; by then no call of
/// the plugin's reaches `channel` any more. Never throws. `plugin` must be loaded in this
/// process (plugin.run_hook() set).
PluginReturn CallPlugin(const Plugin& plugin, const RunRequest& request, BarSource& data, RunChannel& channel);

}  // namespace stratrun
