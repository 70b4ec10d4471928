#!/usr/bin/env bash
# Every test on a fresh Debian 12 machine: install what the tests need (Debian packages,
# chromium for the browser tests, playwright-core from tests/browser's lock file), build
# once with AddressSanitizer + UndefinedBehaviorSanitizer and warnings as errors (and the
# Release build with warnings as errors), and run the whole suite in parallel. Ends with
# ctest's summary; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh --with-browser
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
# Installed as the Debian package installs (prefix /usr), so that the packaging test checks
# the real layout.
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTRATRUN_SANITIZE=ON -DSTRATRUN_WERROR=ON \
      -DCMAKE_INSTALL_PREFIX=/usr -DSTRATRUN_BUILD_TESTS=ON -DSTRATRUN_BUILD_BENCH=OFF >/dev/null
cmake --build build/test
# The optimised build a new user gets from scripts/start.sh must be warning-free too (GCC
# warns about some code only when optimising): built here with warnings as errors, with
# the benchmarks that build without the test plugins, so that they keep compiling.
cmake -S . -B build/release-check -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATRUN_WERROR=ON \
      -DSTRATRUN_BUILD_TESTS=OFF -DSTRATRUN_BUILD_BENCH=ON >/dev/null
cmake --build build/release-check
cd build/test
ctest --output-on-failure -j "$(nproc)"
