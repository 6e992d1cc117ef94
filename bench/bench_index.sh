#!/usr/bin/env bash
# bench_index.sh - the observable index at scale (issue 15 point 5):
# bulk-load DAYS days of EVENTS events a day (Zipf popularity) through the
# real parser and wt_index_add, then time 20-observable /observe/observables
# answers over 1, 7 and DAYS-day windows, warm and cold (the index file's
# pages evicted from the page cache before each cold request, with
# posix_fadvise DONTNEED: other processes' cache is left alone; warm: the
# file read into the page cache first, all warm runs before the cold
# ones), and plot
# latency against the window next to the appliance's 60-second transaction
# limit. Each answer's thread CPU time is reported beside its wall time: on
# a shared machine wall time also measures the run queue.
#
#   bench/bench_index.sh [DAYS [EVENTS_PER_DAY [OUT_DIR]]]   (default 30 200000 bench/results)
#   WT_BENCH_REUSE=1: time lookups on the index already in WT_BENCH_DIR (no load)
set -eu
DAYS=${1:-30}
PER_DAY=${2:-200000}
OUT=${3:-bench/results}
BIN=${WT_BIN:-build-rel/bin}
DIR=${WT_BENCH_DIR:-/tmp/wt-bench-index}
mkdir -p "$OUT"
if [ "${WT_BENCH_REUSE:-0}" != 1 ]; then
    rm -rf "$DIR" "$DIR.calib"
    mkdir -p "$DIR"
    "$BIN/wt-bench-index" load "$DIR" "$DAYS" "$PER_DAY" | tee "$OUT/index_load.txt"
fi
evict() {
    python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$DIR/data.mdb"
}
csv=$OUT/index_lookup.csv
echo "window_days,warm_p50_ms,warm_p99_ms,cold_p50_ms,cold_p99_ms,warm_cpu_p50_ms,warm_cpu_p99_ms" >"$csv"
: >"$OUT/index_lookup.txt"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/index_lookup.txt"
# Warm = the index file in the page cache: read it once, then every
# window's warm requests before any cold one evicts it again.
cat "$DIR/data.mdb" >/dev/null
declare -A warm
for w in 1 7 "$DAYS"; do
    warm[$w]=$("$BIN/wt-bench-index" lookup "$DIR" "$w" 200 "$PER_DAY")
    echo "warm: ${warm[$w]}" | tee -a "$OUT/index_lookup.txt"
done
for w in 1 7 "$DAYS"; do
    cold=()
    for i in $(seq 1 20); do
        if evict 2>/dev/null; then
            cold+=("$("$BIN/wt-bench-index" lookup "$DIR" "$w" 1 "$PER_DAY" | awk '{ print $6 }')")
        fi
    done
    if [ "${#cold[@]}" -gt 0 ]; then
        read -r c50 c99 < <(printf '%s\n' "${cold[@]}" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[NR] }')
    else
        c50=nan c99=nan
    fi
    echo "cold: window_days $w requests ${#cold[@]} p50_ms $c50 p99_ms(max) $c99" | tee -a "$OUT/index_lookup.txt"
    echo "${warm[$w]}" | awk -v c50="$c50" -v c99="$c99" '{ printf "%s,%s,%s,%s,%s,%s,%s\n", $2, $8, $10, c50, c99, $16, $18 }' >>"$csv"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/index_lookup.txt"
gnuplot -e "csv='$csv'; png='$OUT/index_lookup.png'; days=$DAYS; per_day=$PER_DAY" bench/index_lookup.gp
echo "plot: $OUT/index_lookup.png"
