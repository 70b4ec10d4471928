// Cancellation: a run's cancellation token together with why it fired.
//
// The executor (or the CLI's signal handler) fires it; the plugin sees it through the
// host API's is_cancelled(), i.e. through token(); RunPlugin reads reason() and message()
// after the plugin returns to decide how the run ends (see exec/plugin_run.h).
//
//   Cancellation cancel;
//   std::jthread timer(...);  // elsewhere: cancel.Cancel(CancelReason::kTimeout, "…");
//   RunPlugin(plugin, request, data, sink, cancel);
#pragma once

#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>

namespace stratrun {

/// Why a run was cancelled. kNone: it was not.
enum class CancelReason { kNone, kUser, kTimeout, kShutdown };

/// "", "user", "timeout", "shutdown" — the error_code a cancelled (or timed-out) run carries.
constexpr std::string_view CancelReasonName(CancelReason reason) {
  switch (reason) {
    case CancelReason::kNone: return "";
    case CancelReason::kUser: return "user";
    case CancelReason::kTimeout: return "timeout";
    case CancelReason::kShutdown: return "shutdown";
  }
  return "";
}

/// A run's cancellation token and why it fired; the first Cancel wins. Thread-safe: any
/// thread may Cancel while others read. Not copyable or movable (the token's owner).
class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  /// Records `reason` and `message` and fires the token. False, changing nothing, when it
  /// was already cancelled or `reason` is kNone. The reason is recorded before the token
  /// fires, so whoever sees the token fired also sees the reason.
  bool Cancel(CancelReason reason, std::string message) {
    if (reason == CancelReason::kNone) return false;
    {
      std::lock_guard lock(mutex_);
      if (reason_ != CancelReason::kNone) return false;
      reason_ = reason;
      message_ = std::move(message);
    }
    source_.request_stop();
    return true;
  }

  bool cancelled() const {
    std::lock_guard lock(mutex_);
    return reason_ != CancelReason::kNone;
  }
  /// kNone until cancelled.
  CancelReason reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
  }
  /// The message given to the winning Cancel; empty until cancelled.
  std::string message() const {
    std::lock_guard lock(mutex_);
    return message_;
  }
  /// Fires once cancelled; cheap to poll (no lock).
  std::stop_token token() const { return source_.get_token(); }

 private:
  mutable std::mutex mutex_;
  CancelReason reason_ = CancelReason::kNone;
  std::string message_;
  std::stop_source source_;
};

}  // namespace stratrun
