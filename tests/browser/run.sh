#!/usr/bin/env bash
# Browser tests of the dashboard against a real server on a loopback port.
#
#   tests/browser/run.sh STRATRUN_BINARY PLUGIN_DIR_OR_EMPTY WORK_DIR
#
# Installs what it needs if missing (Debian's chromium, playwright-core from the lock
# file), generates a small synthetic universe, starts `stratrun serve` on a free port,
# waits for /api/health, runs the tests, stops the server. Screenshots of each main view
# go to WORK_DIR/screenshots, the downloaded CSV to WORK_DIR/downloads, the server's log to
# WORK_DIR/server.log. Exits non-zero if a test failed or the server did not come up.

set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
if [ $# -lt 3 ]; then
  echo "usage: $0 STRATRUN_BINARY PLUGIN_DIR_OR_EMPTY WORK_DIR" >&2
  exit 2
fi
bin="$(realpath "$1")"
plugins="${2:-}"
[ -n "$plugins" ] && plugins="$(realpath "$plugins")"
mkdir -p "$3"
work="$(realpath "$3")"
chromium="${CHROMIUM:-/usr/bin/chromium}"

# --- prerequisites
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "browser tests: missing $*; install it as root: apt-get install $*" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends "$@" >/dev/null; }
}
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi
if [ ! -x "$chromium" ]; then apt_install chromium; fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- data, database, port
data="$work/data"
if [ ! -d "$data" ] || [ -z "$(ls -A "$data" 2>/dev/null)" ]; then
  "$bin" data synth --out "$data" --tickers 60 --days 600 >/dev/null
fi
db="$work/stratrun.db"
rm -f "$db" "$db-wal" "$db-shm"
rm -rf "$work/screenshots" "$work/downloads"
mkdir -p "$work/screenshots" "$work/downloads"
port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"

# --- server
log="$work/server.log"
: >"$log"
"$bin" ${plugins:+--plugins "$plugins"} serve --host 127.0.0.1 --port "$port" --db "$db" --data "$data" >"$log" 2>&1 &
server_pid=$!

stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  wait "$server_pid" 2>/dev/null || true
}
trap stop_server EXIT

url=""
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "browser tests: the server exited before it was ready; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if [ -z "$url" ]; then
    url="$(grep -o 'listening on http://[^ ]*' "$log" | head -1 | sed 's/^listening on //' || true)"
  fi
  probe="${url:-http://127.0.0.1:$port}"
  if node -e "fetch('$probe/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null; then
    url="$probe"
    break
  fi
  sleep 0.2
done
if [ -z "$url" ] || ! node -e "fetch('$url/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null; then
  echo "browser tests: the server did not answer /api/health within 60 s; its log:" >&2
  cat "$log" >&2
  exit 1
fi
echo "browser tests: server at $url (log: $log)"

# --- tests
status=0
(
  cd "$here"
  STRATRUN_URL="$url" SCREENSHOT_DIR="$work/screenshots" DOWNLOAD_DIR="$work/downloads" CHROMIUM="$chromium" \
    STRATRUN_BIN="$bin" STRATRUN_PLUGINS="$plugins" STRATRUN_DATA="$data" STRATRUN_WORK="$work" \
    node --test --test-concurrency=1 --test-reporter=spec dashboard.test.mjs
) || status=$?

echo "browser tests: screenshots in $work/screenshots"
if [ "$status" != 0 ]; then
  echo "browser tests: FAILED; the server's log is $log (last lines below)" >&2
  tail -n 40 "$log" >&2
fi
exit "$status"
