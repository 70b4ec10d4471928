#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what stratrun needs, build it
# (Release) and run it on the generated sample data: the bullish_breakout screen of the
# S&P 500 sample universe, logged to the run log.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATRUN_BUILD_TESTS=OFF >/dev/null
cmake --build build/release

stratrun=build/release/bin/stratrun
"$stratrun" list
echo
exec "$stratrun" run bullish_breakout "$@"
