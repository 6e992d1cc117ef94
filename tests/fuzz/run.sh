#!/usr/bin/env bash
# Run every libFuzzer target in BUILD/fuzz for SECONDS each, seeded from the
# checked-in corpus (new inputs go to a scratch dir, not the repo).
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-30}
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
for f in "$build"/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    mkdir -p "$work/$name"
    echo "fuzz: $name for ${secs}s"
    "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/" "$work/$name" "$src/corpus/$name" 2>"$work/$name.log" || {
        tail -50 "$work/$name.log"
        ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null | head
        echo "fuzz: $name FAILED"
        exit 1
    }
    grep -E 'stat::number_of_executed_units|Done' "$work/$name.log" | tail -2
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "fuzz: no targets in $build/fuzz"; exit 1; }
echo "fuzz: $n target(s) ran clean"
