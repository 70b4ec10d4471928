#include "common/run_id.h"

#include <cstdio>
#include <mutex>
#include <random>

namespace stratrun {

std::string NewRunId() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = 0, lo = 0;
  {
    std::lock_guard lock(mutex);
    hi = rng();
    lo = rng();
  }
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                    // version 4
  lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);          // variant 10xx
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

}  // namespace stratrun
