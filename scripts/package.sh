#!/bin/bash
# Builds the Debian packages into build/package/: stratrun (server, CLI, dashboard, bundled
# screeners, systemd unit) and stratrun-sdk (headers and CMake package for plugin authors).
#   sudo apt install ./build/package/stratrun_*.deb && sudo systemctl enable --now stratrun
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/package -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DSTRATRUN_BUILD_TESTS=OFF -DSTRATRUN_BUILD_BENCH=OFF
cmake --build build/package
(cd build/package && cpack)
ls -1 build/package/*.deb
