// OutputCapture: what a worker writes to its stdout and stderr, read as it comes so that
// a flood never blocks the plugin (the host always empties the pipes), written line by
// line to the server's log attributed to the run (at most kLoggedLines lines a stream,
// then one line saying how many more were dropped), with the last lines of stderr kept
// for the message of a run that crashed.
#pragma once

#include <cstddef>
#include <deque>
#include <string>

namespace stratrun {

class OutputCapture {
 public:
  static constexpr size_t kLoggedLines = 200;
  static constexpr size_t kTailLines = 8;
  static constexpr size_t kLineBytes = 1000;  // a longer line is cut

  /// `label` says whose output it is in the log ("CODE RUN_ID stderr").
  OutputCapture(int fd, std::string label, bool keep_tail);

  /// Reads what the pipe holds now (it is non-blocking); false once it reached EOF.
  bool ReadAvailable();
  /// Ends the last unterminated line and logs how many lines were dropped, if any.
  void Finish();
  int fd() const { return fd_; }
  bool open() const { return open_; }
  /// The last kTailLines lines, joined with " | "; empty when none.
  std::string Tail() const;

 private:
  void Line(std::string line);

  int fd_;
  std::string label_;
  bool keep_tail_;
  bool open_ = true;
  std::string partial_;
  size_t lines_ = 0;
  std::deque<std::string> tail_;
};

}  // namespace stratrun
