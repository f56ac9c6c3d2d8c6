#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ with clang into build-fuzz/ and runs each for N
# seconds (default 30) on a scratch copy of its seed corpus. Exits non-zero when a harness
# crashes or violates an invariant; the input is saved under fuzz/crashes/<harness>/.
#   scripts/fuzz.sh [SECONDS] [HARNESS...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-30}
shift || true
build="$root/build-fuzz"

cmake -S "$root/fuzz" -B "$build" -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

if [ $# -eq 0 ]; then
    set -- $(cd "$root/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
fi

status=0
for h in "$@"; do
    work="$build/run/$h"
    crashes="$root/fuzz/crashes/$h"
    rm -rf "$work"
    mkdir -p "$work/corpus" "$crashes"
    # New inputs go to the scratch corpus; the seeds in the repository stay small.
    cp "$root/fuzz/corpus/$h"/* "$work/corpus/"
    echo "== $h (${secs}s)"
    if ! "$build/$h" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/" -print_final_stats=1 "$work/corpus" >"$work/log" 2>&1; then
        status=1
        echo "!! $h failed; input saved in fuzz/crashes/$h/"
        grep -A30 -m1 -E "ERROR: |invariant violated|runtime error" "$work/log" || tail -30 "$work/log"
    fi
    grep -E "^#[0-9]+[[:space:]]+(DONE|pulse|NEW)" "$work/log" | tail -1 || true
    grep -E "stat::(number_of_executed_units|average_exec_per_sec)" "$work/log" || true
    rmdir "$crashes" 2>/dev/null || true
done
rmdir "$root/fuzz/crashes" 2>/dev/null || true
exit $status
