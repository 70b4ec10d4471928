#!/usr/bin/env bash
# The folders of host/ include only folders below them, in the order README.md's "Layers"
# line gives (lowest first, separated by "←"). Fails naming every include that points up or
# sideways, and every host/ folder the line leaves out.
#   layering_test.sh <source dir>
set -euo pipefail
src=${1:?usage: layering_test.sh <source dir>}

line=$(grep -m1 '^Layers of `host/`' "$src/README.md") || { echo "README.md has no 'Layers of \`host/\`' line"; exit 1; }
# The backticked names after the colon, in order: `common` ← `plugins` ← …
mapfile -t layers < <(sed 's/^[^:]*://' <<<"$line" | grep -o '`[a-z_]*`' | tr -d '`')
declare -A rank
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done

failures=0
for dir in "$src"/host/*/; do
  name=$(basename "$dir")
  [[ -n $(find "$dir" -maxdepth 1 \( -name '*.h' -o -name '*.cpp' -o -name '*.in' \) -print -quit) ]] || continue
  if [[ -z ${rank[$name]+x} ]]; then
    echo "host/$name/ is not in README.md's layers line"; failures=$((failures + 1)); continue
  fi
  while IFS=: read -r file _ target; do
    target=${target#\#include \"}; target=${target%%/*}
    [[ $target == "$name" || -z ${rank[$target]+x} ]] && continue  # own folder, or not a host folder
    if (( rank[$target] > rank[$name] )); then
      echo "${file#"$src"/}: includes $target/, which is above $name/"; failures=$((failures + 1))
    fi
  done < <(grep -Hn '^#include "[a-z_]*/' "$dir"*.h "$dir"*.cpp "$dir"*.in 2>/dev/null || true)
done

if (( failures > 0 )); then
  echo "$failures include(s) break the layering: ${layers[*]}"; exit 1
fi
echo "host/ layers hold: ${layers[*]}"
