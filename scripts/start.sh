#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what stratrun needs, build it
# (Release) and serve the API and the dashboard on the generated sample data. Open the
# printed URL. Set STRATRUN_HOST=0.0.0.0 to listen beyond this machine, STRATRUN_PORT to
# change the port; extra arguments go to `stratrun serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATRUN_BUILD_TESTS=OFF -DSTRATRUN_BUILD_BENCH=OFF >/dev/null
cmake --build build/release

exec build/release/bin/stratrun serve --host "${STRATRUN_HOST:-127.0.0.1}" --port "${STRATRUN_PORT:-8080}" "$@"
