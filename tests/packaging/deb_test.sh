#!/usr/bin/env bash
# The Debian packages as an administrator gets them: build them from this build tree with
# cpack, check their metadata and contents, unpack the server package into an empty root
# and run the unpacked binary: it finds its bundled plugins and serves its dashboard from
# the package's own folders, and the systemd unit starts what the package ships.
#   deb_test.sh <build-dir> <work-dir>
set -euo pipefail
build=$1 work=$2

fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cpack --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/stratrun_*.deb) sdk=$(ls "$work"/stratrun-sdk_*_all.deb)

# Metadata: the server depends on the shared libraries it links (found by dpkg-shlibdeps).
info=$(dpkg-deb -f "$deb" Package Depends)
echo "$info"
grep -q '^Package: stratrun$' <<<"$info" || fail "package name"
grep -q 'libpistache0' <<<"$info" || fail "no dependency on libpistache0"
grep -q 'libsqlite3-0' <<<"$info" || fail "no dependency on libsqlite3-0"

# Contents.
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/stratrun ./usr/lib/stratrun/plugins/bullish_breakout.so ./usr/lib/stratrun/plugins/leap_entry.so \
            ./usr/share/stratrun/web/index.html ./usr/lib/systemd/system/stratrun.service ./etc/default/stratrun; do
  grep -qx "$path" <<<"$contents" || fail "$path is not in the package"
done
dpkg-deb -c "$sdk" | awk '{print $6}' | grep -qx ./usr/include/stratrun/plugin.h || fail "the SDK package has no plugin.h"
dpkg-deb -c "$sdk" | awk '{print $6}' | grep -qx ./usr/share/cmake/stratrun/stratrunConfig.cmake ||
  fail "the SDK package has no CMake package"

# Control files: the settings file is a conffile (an administrator's edits survive an
# upgrade); postinst makes the plugin drop-in folder.
mkdir -p "$work/control"
dpkg-deb -e "$deb" "$work/control"
grep -qx /etc/default/stratrun "$work/control/conffiles" || fail "/etc/default/stratrun is not a conffile"
grep -q 'mkdir -p /usr/local/lib/stratrun/plugins' "$work/control/postinst" || fail "postinst does not make the plugin folder"

# The unit runs the packaged binary with the packaged settings file.
root="$work/root"
dpkg-deb -x "$deb" "$root"
unit="$root/usr/lib/systemd/system/stratrun.service"
grep -q '^ExecStart=/usr/bin/stratrun serve ' "$unit" || fail "ExecStart does not run /usr/bin/stratrun serve"
grep -q '^EnvironmentFile=-/etc/default/stratrun$' "$unit" || fail "the unit does not read /etc/default/stratrun"
grep -q '^STRATRUN_PORT=8080$' "$root/etc/default/stratrun" || fail "the settings file has no port"

# The unpacked binary finds the bundled plugins next to it (../lib/stratrun/plugins).
export XDG_DATA_HOME="$work/xdg-data" XDG_CACHE_HOME="$work/xdg-cache"
unset STRATRUN_PLUGIN_PATH STRATRUN_DB STRATRUN_CACHE_DIR STRATRUN_DATA_DIR
listing=$("$root/usr/bin/stratrun" list)
echo "$listing"
for code in bullish_breakout leap_entry sma_trend; do
  grep -q "^$code " <<<"$listing" || fail "$code is not listed by the unpacked binary"
done

# ... and serves the packaged dashboard (../share/stratrun/web).
"$root/usr/bin/stratrun" data synth --out "$work/sample" --tickers 5 --days 300 >/dev/null
"$root/usr/bin/stratrun" serve --port 0 --data "$work/sample" >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 200); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/serve.out" | grep -o '[0-9]*$' || true)
  [[ -n "$port" ]] && break
  kill -0 $server 2>/dev/null || { cat "$work/serve.err"; fail "the unpacked server exited"; }
  sleep 0.05
done
[[ -n "$port" ]] || { cat "$work/serve.err"; fail "the unpacked server did not start"; }
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
page=$(timeout 2 cat <&3 || true)  # Pistache may keep the connection open: read what came
exec 3<&-
grep -q '200 OK' <<<"$page" || fail "GET / did not answer 200"
grep -qi '<title>' <<<"$page" || fail "GET / is not the dashboard page"
kill -TERM $server
wait $server || fail "the unpacked server did not stop cleanly"
trap - EXIT
echo "packages OK: $(basename "$deb"), $(basename "$sdk")"
