#!/usr/bin/env bash
# Run the built application without a screen: version, the window on the
# demo record until it is classified, and (when the MIT-BIH data is present)
# a headless classify of record 100. Exits non-zero on the first failure.
#
#   bash packaging/smoke_test.sh dist/liquid-ecg
set -euo pipefail

bundle="${1:?usage: smoke_test.sh BUNDLE_FOLDER}"
executable="$bundle/liquid-ecg"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export QT_QPA_PLATFORM=offscreen
export XDG_CONFIG_HOME="$scratch/config" XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache"

"$executable" --version

window_output="$("$executable" --exit-when-classified 2>"$scratch/window.log")" || {
    echo "smoke test: the window run failed:" >&2
    cat "$scratch/window.log" >&2
    exit 1
}
echo "$window_output"
grep -q "^classified synthetic_demo: " <<<"$window_output"

record="$(dirname "$0")/../../shared/data/mitdb/100.hea"
if [ -n "${LIQUID_ECG_DATA:-}" ]; then
    record="$LIQUID_ECG_DATA/mitdb/100.hea"
fi
if [ -f "$record" ]; then
    "$executable" classify "$record" --out "$scratch/out"
    rows="$(($(wc -l <"$scratch/out/100.csv") - 1))"
    if [ "$rows" -ne 2273 ]; then
        echo "smoke test: expected 2273 beats in 100.csv, found $rows" >&2
        exit 1
    fi
else
    echo "smoke test: $record not found, so the headless classify check was skipped." >&2
fi
echo "smoke test passed: $bundle"
