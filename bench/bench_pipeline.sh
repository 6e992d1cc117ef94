#!/usr/bin/env bash
# End-to-end benchmark: `wtexport run` tails a generated WSA access log into
# the file sink (zstd), from the first byte until every line is acked
# (the checkpoint reaches the file size). Reports lines/s, CPU seconds, peak
# RSS and the compression ratio, with `zstd -1` over the same file in the
# same run as the baseline. Medians of RUNS runs. batch.linger is 50 ms so
# the last partial batch does not add the default 1 s to the measurement. Exit status reflects
# errors only, never speed.
#
#   bench/bench_pipeline.sh [BUILD_DIR]     (default: build)
#   WT_BENCH_BYTES=1G WT_BENCH_RUNS=3 WT_BENCH_LEVEL=1 WT_BENCH_DIR=/tmp/x
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/bin
size=${WT_BENCH_BYTES:-1G}
runs=${WT_BENCH_RUNS:-3}
level=${WT_BENCH_LEVEL:-1}
work=${WT_BENCH_DIR:-$(mktemp -d /tmp/wt-bench-pipe.XXXXXX)}
mkdir -p "$work"
rm -f "$work/never"
mkfifo "$work/never"
exec 4<>"$work/never"
daemon=
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
    [ -z "${WT_BENCH_DIR:-}" ] && rm -rf "$work"
}
trap cleanup EXIT

for t in wtexport wt-loggen wt-rusage; do
    [ -x "$bin/$t" ] || { echo "missing $bin/$t: build first" >&2; exit 1; }
done
command -v zstd >/dev/null || { echo "zstd CLI missing (deploy/deps.sh)" >&2; exit 1; }

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# The poll for "every line acked" runs beside the daemon on the same two
# CPUs, so it starts no process: bash's /dev/tcp for the GET and a read
# timeout on a FIFO for the pause (curl and sleep each poll took ~5 % of
# the machine, charged to nobody but slowing wtexport down).
acked=
poll_acked() { # port -> $acked (the sink's events counter, empty if none)
    local line
    acked=
    exec 3<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 0
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    while IFS= read -r line <&3; do
        [[ $line == wtexport_sink_events_total* ]] && acked=${line##* }
    done
    exec 3<&-
}
pause() { read -r -t "$1" -u 4 _ || true; } # nothing is ever written to fd 4
kv() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

log=$work/access.log
echo "== generating $size of WSA squid logs (timestamps within the last hour)"
"$bin/wt-loggen" --format squid --bytes "$size" --seed 11 --rate 2000 \
    --start $(($(date +%s) - 3600)) --output "$log" 2>&1 | sed -n 1p
bytes=$(stat -c %s "$log")
lines=$(wc -l < "$log")
echo "   $lines lines, $bytes bytes"

echo "== baseline: zstd -1 over the raw file (median of $runs)"
zs=()
for _ in $(seq "$runs"); do
    cat "$log" > /dev/null
    "$bin/wt-rusage" -o "$work/z.ru" sh -c "zstd -1 -q -c '$log' > '$work/raw.zst'"
    zs+=("$(kv wall_s < "$work/z.ru")")
done
z_wall=$(printf '%s\n' "${zs[@]}" | median)
z_size=$(stat -c %s "$work/raw.zst")

echo "== wtexport run -> file sink (zstd level $level), median of $runs"
w_walls=(); w_cpu=(); w_rss=()
for r in $(seq "$runs"); do
    rm -rf "$work/state" "$work/out.zst"
    port=$((20000 + RANDOM % 20000))
    cat > "$work/cfg.json" <<JSON
{ "state_dir": "$work/state", "retention": "2d",
  "inputs": [ { "path": "$log" } ],
  "batch": { "linger": "50ms" },
  "sinks": [ { "type": "file", "path": "$work/out.zst", "compress": "zstd", "level": $level } ],
  "metrics": { "listen": "127.0.0.1:$port" }, "log": { "level": "warn" } }
JSON
    cat "$log" > /dev/null
    start=$(date +%s.%N)
    "$bin/wt-rusage" -o "$work/w.ru" "$bin/wtexport" run -c "$work/cfg.json" &
    daemon=$!
    # Done when the sink has acked every line (the counter moves on each ack).
    while poll_acked "$port"; [ "$acked" != "$lines" ]; do
        kill -0 "$daemon" 2>/dev/null || { echo "wtexport exited early" >&2; exit 1; }
        pause 0.02
    done
    end=$(date +%s.%N)
    kill -TERM "$daemon"
    wait "$daemon" || { echo "wtexport failed" >&2; exit 1; }
    daemon=
    w_walls+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
    w_cpu+=("$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
                    END { print v["user_s"] + v["sys_s"] }' "$work/w.ru")")
    w_rss+=("$(kv maxrss_kib < "$work/w.ru")")
    echo "   run $r: $(cat "$work/w.ru")"
done
w_wall=$(printf '%s\n' "${w_walls[@]}" | median)
w_cpu_m=$(printf '%s\n' "${w_cpu[@]}" | median)
w_rss_m=$(printf '%s\n' "${w_rss[@]}" | median)
out_size=$(stat -c %s "$work/out.zst")
events=$(zstd -dcq "$work/out.zst" | wc -l)
ndjson=$(zstd -dcq "$work/out.zst" | wc -c)
[ "$events" -eq "$lines" ] || { echo "events $events != lines $lines" >&2; exit 1; }

awk -v lines="$lines" -v bytes="$bytes" -v zw="$z_wall" -v zs="$z_size" -v ww="$w_wall" \
    -v wc="$w_cpu_m" -v rss="$w_rss_m" -v os="$out_size" -v nd="$ndjson" 'BEGIN {
    printf "\n  %-28s %12s %10s %10s %12s\n", "", "lines/s", "MB/s in", "cpu s", "peak RSS"
    printf "  %-28s %12.0f %10.1f %10s %12s\n", "zstd -1 (raw file)", lines / zw, bytes / zw / 1e6, "-", "-"
    printf "  %-28s %12.0f %10.1f %10.2f %9.1f MiB\n", "wtexport run -> file (zstd)", lines / ww,
           bytes / ww / 1e6, wc, rss / 1024
    printf "\n  ratio wtexport / zstd -1 (lines/s): %.2f   (target >= 0.5)\n", zw / ww
    printf "  lines/s: %.0f (target >= 1000000); peak RSS %.1f MiB (target < 64 MiB)\n", lines / ww, rss / 1024
    printf "  output: %d bytes = %.3f of the raw log (zstd -1 on the raw log: %.3f); NDJSON %.2f x the raw log\n",
           os, os / bytes, zs / bytes, nd / bytes
    printf "RESULT lines=%d bytes=%d e2e_lines_per_s=%.0f zstd1_lines_per_s=%.0f ratio_vs_zstd1=%.3f cpu_s=%.2f maxrss_mib=%.1f out_ratio=%.4f zstd1_ratio=%.4f\n",
           lines, bytes, lines / ww, lines / zw, zw / ww, wc, rss / 1024, os / bytes, zs / bytes
}'
