#!/usr/bin/env bash
# Replay to SSE: `wtexport replay` of a generated WSA access log (2 M lines
# by default) into wt-sse-server --bench (stores batches without checking
# each line), from start to exit (every event acked). Reports lines/s, CPU
# time (user + sys, wt-rusage) and CPU-us per line for wtexport and for the
# server, with `zstd -1` over the raw file in the same run as the baseline.
# Several build dirs are measured alternately, run by run (before/after
# comparisons on a noisy machine); medians of RUNS runs. The load average
# is printed at the start and the end. Exit status reflects errors only.
#
# The floor, in the same runs (CPU time of the parts no sink can avoid):
# zstd level 1 over the NDJSON the sink ships (the events of `wtexport
# parse`), one frame per 1 MiB batch as the pipeline compresses
# (wt-bench-zbatch, from the first build that has it), and per build
# `wtexport parse` of the log to /dev/null (read, parse, extract, encode).
# Their sum is what a line costs before batching, HTTP or spool work.
#
#   bench/bench_sse_replay.sh [BUILD_DIR...]   (default: build)
#   WT_BENCH_LINES=2000000 WT_BENCH_RUNS=5 WT_BENCH_DIR=/tmp/x
#   WT_BENCH_SERVER=path/to/wt-sse-server (default: the first build's that has --bench)
#   WT_BENCH_CONCURRENCY=4 (the sink's concurrency)
#   WT_BENCH_CMD=run: `wtexport run` (through the spool) instead of replay, timed
#   from start until the sink has acked every line, then SIGTERM
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
builds=()
for b in "${@:-$root/build}"; do builds+=("$(cd "$b" && pwd)"); done
nlines=${WT_BENCH_LINES:-2000000}
runs=${WT_BENCH_RUNS:-5}
conc=${WT_BENCH_CONCURRENCY:-4}
cmd=${WT_BENCH_CMD:-replay}
work=${WT_BENCH_DIR:-$(mktemp -d /tmp/wt-bench-ssereplay.XXXXXX)}
mkdir -p "$work"
server_pid=
daemon=
rm -f "$work/never"
mkfifo "$work/never"
exec 4<>"$work/never"
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
    [ -n "${WT_BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

for b in "${builds[@]}"; do
    for t in wtexport wt-loggen wt-rusage; do
        [ -x "$b/bin/$t" ] || { echo "missing $b/bin/$t: build first" >&2; exit 1; }
    done
done
server=${WT_BENCH_SERVER:-}
if [ -z "$server" ]; then
    for b in "${builds[@]}"; do
        if [ -x "$b/bin/wt-sse-server" ] && "$b/bin/wt-sse-server" --help | grep -q -- --bench; then
            server=$b/bin/wt-sse-server
            break
        fi
    done
fi
[ -n "$server" ] || { echo "no wt-sse-server with --bench (set WT_BENCH_SERVER)" >&2; exit 1; }
command -v zstd >/dev/null || { echo "zstd CLI missing (deploy/deps.sh)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl missing" >&2; exit 1; }
bin0=${builds[0]}/bin

# run mode: poll the sink's acked events without starting a process (as bench_pipeline.sh).
acked=
poll_acked() { # port -> $acked
    local line
    acked=
    exec 3<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || return 0
    printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    while IFS= read -r line <&3; do
        [[ $line == wtexport_sink_events_total* ]] && acked=${line##* }
    done
    exec 3<&-
}
pause() { read -r -t "$1" -u 4 _ || true; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
kv() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
cpu_of() { awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
                END { print v["user_s"] + v["sys_s"] }' "$1"; }

echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
log=$work/access.log
echo "== generating $nlines lines of WSA squid logs (timestamps within the last hour)"
"$bin0/wt-loggen" --format squid --lines "$nlines" --seed 11 --rate 2000 \
    --start $(($(date +%s) - 1200 - nlines / 2000)) --output "$log" 2>&1 | sed -n 1p
bytes=$(stat -c %s "$log")
lines=$(wc -l <"$log")
echo "   $lines lines, $bytes bytes"

start_server() { # -> server_pid, port
    rm -f "$work/sse.port"
    printf 'tok-bench\n' >"$work/token"
    "$bin0/wt-rusage" -o "$work/srv.ru" "$server" --listen 127.0.0.1:0 --port-file "$work/sse.port" \
        --token-file "$work/token" --bench --quiet --max-keys 10000000 2>"$work/srv.err" &
    server_pid=$!
    for _ in $(seq 1 500); do
        [ -s "$work/sse.port" ] && break
        read -r -t 0.01 _ <> <(:) || true
    done
    port=$(cat "$work/sse.port")
}
stop_server() {
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=
}

zbatch=
for b in "${builds[@]}"; do
    [ -x "$b/bin/wt-bench-zbatch" ] && { zbatch=$b/bin/wt-bench-zbatch; break; }
done
echo "== the events the sink ships (wtexport parse), for the floor rows"
"$bin0/wtexport" parse "$log" >"$work/events.ndjson" 2>/dev/null
echo "   $(stat -c %s "$work/events.ndjson") bytes of NDJSON"

declare -A walls cpus scpus pcpus
zs=() zcs=() zes=()
for r in $(seq "$runs"); do
    cat "$log" >/dev/null
    "$bin0/wt-rusage" -o "$work/z.ru" sh -c "zstd -1 -q -c '$log' > '$work/raw.zst'"
    zs+=("$(kv wall_s <"$work/z.ru")")
    zcs+=("$(cpu_of "$work/z.ru")")
    [ -z "$zbatch" ] || zes+=("$("$zbatch" "$work/events.ndjson" 1048576 1 | kv cpu_s)")
    for i in "${!builds[@]}"; do
        b=${builds[$i]}
        "$bin0/wt-rusage" -o "$work/p.ru" "$b/bin/wtexport" parse "$log" >/dev/null 2>&1
        pcpus[$i]+="$(cpu_of "$work/p.ru") "
        start_server
        rm -rf "$work/state"
        mport=$((20000 + RANDOM % 20000))
        cat >"$work/cfg.json" <<JSON
{ "state_dir": "$work/state", "retention": "2d",
  "inputs": [ { "path": "$log" } ], "batch": { "linger": "$([ "$cmd" = run ] && echo 50ms || echo 1s)" },
  "sinks": [ { "type": "sse", "name": "sse0", "url": "http://127.0.0.1:$port", "concurrency": $conc } ],
  "metrics": { "listen": "$([ "$cmd" = run ] && echo "127.0.0.1:$mport")" }, "log": { "level": "warn" } }
JSON
        "$b/bin/wtexport" register -c "$work/cfg.json" --token-file "$work/token" >/dev/null
        cat "$log" >/dev/null
        if [ "$cmd" = run ]; then
            "$bin0/wt-rusage" -o "$work/w.ru" "$b/bin/wtexport" run -c "$work/cfg.json" 2>"$work/replay.err" &
            daemon=$!
            while poll_acked "$mport"; [ "$acked" != "$lines" ]; do
                kill -0 "$daemon" 2>/dev/null || { echo "wtexport exited early" >&2; exit 1; }
                pause 0.02
            done
            kill -TERM "$daemon"
            wait "$daemon" || { echo "wtexport run failed" >&2; exit 1; }
            daemon=
        else
            "$bin0/wt-rusage" -o "$work/w.ru" "$b/bin/wtexport" replay -c "$work/cfg.json" "$log" \
                2>"$work/replay.err" || { echo "replay failed:" >&2; tail -5 "$work/replay.err" >&2; exit 1; }
        fi
        acc=$(curl -s "http://127.0.0.1:$port/stats" | sed -n 's/.*"accepted_events":\([0-9]*\).*/\1/p')
        stop_server
        [ "$acc" = "$lines" ] || { echo "server accepted $acc events, want $lines" >&2; exit 1; }
        walls[$i]+="$(kv wall_s <"$work/w.ru") "
        cpus[$i]+="$(cpu_of "$work/w.ru") "
        scpus[$i]+="$(cpu_of "$work/srv.ru") "
        echo "   run $r build $i: wtexport $(cat "$work/w.ru"); server cpu $(cpu_of "$work/srv.ru") s"
    done
done
z_wall=$(printf '%s\n' "${zs[@]}" | median)
z_cpu=$(printf '%s\n' "${zcs[@]}" | median)
ze_cpu=$([ -n "$zbatch" ] && printf '%s\n' "${zes[@]}" | median || echo 0)

echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '\n  %-34s %12s %10s %12s %14s %10s\n' "" "lines/s" "cpu s" "cpu-us/line" "server cpu s" "vs zstd-1"
awk -v l="$lines" -v zw="$z_wall" -v c="$z_cpu" 'BEGIN { printf "  %-34s %12.0f %10.2f %12.2f %14s %10s\n", "zstd -1 (raw file)", l / zw, c, c / l * 1e6, "-", "1.00" }'
awk -v l="$lines" -v c="$ze_cpu" 'BEGIN { printf "  %-34s %12s %10.2f %12.2f %14s %10s\n", "floor: zstd 1 per batch (NDJSON)", "-", c, c / l * 1e6, "-", "-" }'
for i in "${!builds[@]}"; do
    c=$(printf '%s\n' ${pcpus[$i]} | median)
    awk -v l="$lines" -v c="$c" -v n="floor: build $i parse" 'BEGIN { printf "  %-34s %12s %10.2f %12.2f %14s %10s\n", n, "-", c, c / l * 1e6, "-", "-" }'
done
for i in "${!builds[@]}"; do
    w=$(printf '%s\n' ${walls[$i]} | median)
    c=$(printf '%s\n' ${cpus[$i]} | median)
    s=$(printf '%s\n' ${scpus[$i]} | median)
    awk -v l="$lines" -v w="$w" -v c="$c" -v s="$s" -v zw="$z_wall" -v n="build $i" -v cmd="$cmd" 'BEGIN {
        printf "  %-34s %12.0f %10.2f %12.2f %14.2f %10.2f\n", n " " cmd " -> sse", l / w, c, c / l * 1e6, s, zw / w }'
done
for i in "${!builds[@]}"; do
    w=$(printf '%s\n' ${walls[$i]} | median)
    c=$(printf '%s\n' ${cpus[$i]} | median)
    s=$(printf '%s\n' ${scpus[$i]} | median)
    echo "RESULT build=${builds[$i]} lines=$lines lines_per_s=$(awk -v l="$lines" -v w="$w" 'BEGIN { printf "%.0f", l / w }')" \
        "cpu_s=$c cpu_us_per_line=$(awk -v l="$lines" -v c="$c" 'BEGIN { printf "%.3f", c / l * 1e6 }')" \
        "server_cpu_s=$s ratio_vs_zstd1=$(awk -v w="$w" -v zw="$z_wall" 'BEGIN { printf "%.2f", zw / w }')" \
        "walls=[${walls[$i]% }] cpus=[${cpus[$i]% }]"
done
echo "RESULT zstd1_lines_per_s=$(awk -v l="$lines" -v zw="$z_wall" 'BEGIN { printf "%.0f", l / zw }') zstd1_walls=[${zs[*]}]" \
    "zstd1_cpu_us_per_line=$(awk -v l="$lines" -v c="$z_cpu" 'BEGIN { printf "%.3f", c / l * 1e6 }')" \
    "floor_zstd1_ndjson_cpu_us_per_line=$(awk -v l="$lines" -v c="$ze_cpu" 'BEGIN { printf "%.3f", c / l * 1e6 }')"
for i in "${!builds[@]}"; do
    c=$(printf '%s\n' ${pcpus[$i]} | median)
    echo "RESULT build=${builds[$i]} floor_parse_cpu_us_per_line=$(awk -v l="$lines" -v c="$c" 'BEGIN { printf "%.3f", c / l * 1e6 }') parse_cpus=[${pcpus[$i]% }]"
done
