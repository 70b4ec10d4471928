#!/usr/bin/env bash
# Installs every Debian package stratrun needs to build, test and run (Debian 12, as root
# or with sudo). Safe to run again: apt-get skips what is already installed.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libpistache-dev libssl-dev rapidjson-dev libspdlog-dev libfmt-dev
  libboost-dev libboost-filesystem-dev libsqlite3-dev libcli11-dev libgtest-dev
  libseccomp-dev  # the workers' --sandbox no-network
  dpkg-dev  # dpkg-shlibdeps: the Debian package's dependencies (scripts/package.sh)
  postgresql libpq-dev  # the PostgreSQL store (libpq) and its tests (a throwaway server)
)
if [[ "${1:-}" == "--with-browser" ]]; then
  packages+=(chromium)
  # Node.js and npm for playwright-core: Debian's, unless the machine already has them.
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
