#!/usr/bin/env bash
# The product's core promise, end to end: install the SDK from this build, build the
# example plugin in a separate project against the *installed* SDK only, and have the
# already-built host list it and run it.
#   out_of_tree_test.sh <build-dir> <example-source-dir> <work-dir> <stratrun-binary>
set -euo pipefail
build=$1 example=$2 work=$3 stratrun=$4

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/sdk" --component sdk >/dev/null
test -f "$work/sdk/include/stratrun/plugin.h"
test -f "$work/sdk/include/stratrun/strategy.hpp"

# A clean project: no access to this source tree except through the installed package.
cp -r "$example" "$work/project"
cmake -S "$work/project" -B "$work/project-build" -DCMAKE_PREFIX_PATH="$work/sdk" \
      -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/project-build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
test -f "$work/project-build/gap_up.so"

cache="$work/plugin-cache"
listing=$("$stratrun" --plugin-cache "$cache" --plugins "$work/project-build" list)
echo "$listing"
grep -Eq '^gap_up +Gap up on volume +1\.0\.0 +1\.[0-9]+ ' <<<"$listing" || { echo "FAIL: gap_up not listed"; exit 1; }
if grep -q 'rejected' <<<"$listing"; then echo "FAIL: something was rejected"; exit 1; fi

results=$("$stratrun" --plugin-cache "$cache" --plugins "$work/project-build" run gap_up \
            --tickers AAPL,MSFT,NVDA --set min_gap_pct=0 --output csv --progress none)
echo "$results"
head -1 <<<"$results" | grep -q '^ticker,score,passed' || { echo "FAIL: no results header"; exit 1; }
[[ $(tail -n +2 <<<"$results" | wc -l) -eq 3 ]] || { echo "FAIL: expected 3 result rows"; exit 1; }
echo "out-of-tree plugin: built against the installed SDK, listed and run by the existing host"
