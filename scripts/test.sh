#!/usr/bin/env bash
# Every test on a fresh Debian 12 machine: install what the tests need, build once with
# AddressSanitizer + UndefinedBehaviorSanitizer and warnings as errors, and run the whole
# suite in parallel. Ends with ctest's summary; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTRATRUN_SANITIZE=ON -DSTRATRUN_WERROR=ON \
      -DSTRATRUN_BUILD_TESTS=ON >/dev/null
cmake --build build/test
cd build/test
ctest --output-on-failure -j "$(nproc)"
