// Run ids: random UUIDs (version 4), e.g. "3f0c2a9e-8d1b-4c55-9a0e-2b7d6f1e4c3a".
#pragma once

#include <string>

namespace stratrun {

/// A new random UUID v4 in lower-case hex. Thread-safe.
std::string NewRunId();

}  // namespace stratrun
