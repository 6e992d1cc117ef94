#!/usr/bin/env bash
# bench_kafka.sh - end-to-end throughput of the Kafka sink: `wtexport replay`
# of a generated WSA squid log into librdkafka's mock cluster (wt-kafka-mock,
# 3 brokers, a separate process on the same host), from the first byte until
# every batch is acked by delivery reports. Reports events/s and NDJSON MB/s,
# wtexport's CPU seconds (user + sys) and peak RSS, and the mock cluster's
# CPU, for message=event and message=batch (idempotent producer, the
# default) and for message=event with "exactly_once": true (transactional
# producer; replay has no spool, so no offsets record: the cost is the
# transactions), next to a baseline in the same run: the same replay into
# the file sink, compress none (so the Kafka cost shows as a ratio), and
# exactly_once as a ratio to the idempotent row. Medians of RUNS runs.
# Exit status reflects errors only, never speed.
#
#   bench/bench_kafka.sh [BUILD_DIR]          (default: build)
#   WT_BENCH_LINES=1000000 WT_BENCH_RUNS=3 WT_BENCH_PARTITIONS=6 WT_BENCH_DIR=/tmp/x
#
# Needs: wtexport, wt-loggen, wt-kafka-mock (tests/kafka) in BUILD_DIR/bin,
# and /usr/bin/time (GNU time). Benchmark a Release build.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/bin
lines=${WT_BENCH_LINES:-1000000}
runs=${WT_BENCH_RUNS:-3}
parts=${WT_BENCH_PARTITIONS:-6}
work=${WT_BENCH_DIR:-$(mktemp -d /tmp/wt-bench-kafka.XXXXXX)}
mkdir -p "$work"
mock=
cleanup() {
    if [ -n "$mock" ]; then
        echo quit >&7 2>/dev/null || true
        kill "$mock" 2>/dev/null || true
        wait "$mock" 2>/dev/null || true
    fi
    [ -n "${WT_BENCH_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

for t in wtexport wt-loggen wt-kafka-mock; do
    [ -x "$bin/$t" ] || { echo "missing $bin/$t: build first" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) missing" >&2; exit 1; }

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
kv() { tr ' ' '\n' | sed -n "s/^$1=//p"; }
# CPU seconds (user + sys) a process has used so far.
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"; }

log=$work/access.log
echo "== generating $lines lines of WSA squid logs (timestamps within the last hour)"
"$bin/wt-loggen" --format squid --lines "$lines" --seed 7 --rate 2000 \
    --start $(($(date +%s) - 3600)) --output "$log" 2>&1 | sed -n 1p
bytes=$(stat -c %s "$log")
echo "   $bytes bytes of log"

echo "== mock cluster: 3 brokers, topic wt, $parts partitions"
mkfifo "$work/mock.cmd"
exec 7<>"$work/mock.cmd"
"$bin/wt-kafka-mock" --brokers 3 --topic wt --partitions "$parts" \
    --bootstrap-file "$work/boot" <"$work/mock.cmd" >/dev/null 2>"$work/mock.err" &
mock=$!
for _ in $(seq 100); do [ -s "$work/boot" ] && break; sleep 0.05; done
boot=$(cat "$work/boot")

# run NAME SINK_JSON: replay the log RUNS times; prints the median line.
run() {
    local name=$1 sink=$2 walls=() cpus=() rsss=() mcpus=() events=0 raw=0
    for _ in $(seq "$runs"); do
        rm -rf "$work/state" "$work/out.ndjson"
        cat >"$work/cfg.json" <<JSON
{ "state_dir": "$work/state", "retention": "2d",
  "inputs": [ { "path": "$log" } ],
  "batch": { "linger": "50ms" },
  "sinks": [ $sink ],
  "metrics": { "listen": "" }, "log": { "level": "warn" } }
JSON
        cat "$log" >/dev/null
        local m0
        m0=$(proc_cpu "$mock")
        /usr/bin/time -o "$work/time" -f "wall_s=%e user_s=%U sys_s=%S maxrss_kib=%M" \
            "$bin/wtexport" replay -c "$work/cfg.json" "$log" 2>"$work/replay.err" || {
            echo "$name: replay failed" >&2
            tail -n 20 "$work/replay.err" >&2
            exit 1
        }
        mcpus+=("$(awk -v a="$m0" -v b="$(proc_cpu "$mock")" 'BEGIN { print b - a }')")
        walls+=("$(kv wall_s <"$work/time")")
        cpus+=("$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
                       END { print v["user_s"] + v["sys_s"] }' "$work/time")")
        rsss+=("$(kv maxrss_kib <"$work/time")")
        events=$(grep -o 'events=[0-9]*' "$work/replay.err" | head -n 1 | cut -d= -f2)
        raw=$(grep -o 'bytes_raw=[0-9]*' "$work/replay.err" | cut -d= -f2)
        grep -q 'failed_batches=0' "$work/replay.err" || { echo "$name: failed batches" >&2; exit 1; }
    done
    local wall cpu rss mcpu
    wall=$(printf '%s\n' "${walls[@]}" | median)
    cpu=$(printf '%s\n' "${cpus[@]}" | median)
    rss=$(printf '%s\n' "${rsss[@]}" | median)
    mcpu=$(printf '%s\n' "${mcpus[@]}" | median)
    awk -v n="$name" -v e="$events" -v b="$raw" -v w="$wall" -v c="$cpu" -v r="$rss" -v m="$mcpu" 'BEGIN {
        printf "%-22s events=%d wall_s=%.2f events_per_s=%.0f ndjson_MB_per_s=%.1f cpu_s=%.2f cpu_us_per_event=%.2f peak_rss_MiB=%.0f mock_cpu_s=%.2f\n",
            n, e, w, e / w, b / w / 1e6, c, c / e * 1e6, r / 1024, m
    }' | tee -a "$work/results"
}

: >"$work/results"
echo "== wtexport replay, median of $runs run(s) each"
run "file (baseline)" "{ \"type\": \"file\", \"path\": \"$work/out.ndjson\", \"compress\": \"none\", \"fsync\": false }"
run "kafka message=event" "{ \"type\": \"kafka\", \"brokers\": \"$boot\", \"topic\": \"wt\" }"
run "kafka message=batch" "{ \"type\": \"kafka\", \"brokers\": \"$boot\", \"topic\": \"wt\", \"message\": \"batch\", \"properties\": { \"message.max.bytes\": 2000000 } }"
run "kafka exactly_once" "{ \"type\": \"kafka\", \"brokers\": \"$boot\", \"topic\": \"wt\", \"exactly_once\": true }"

echo "== cost of Kafka relative to the file sink"
awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] } }
     END {
        split("message=event message=batch exactly_once", name, " ")
        for (r = 2; r <= NR; r++)
            printf "   %s: %.2fx the wall time, %.2fx the CPU, %.2fx the peak RSS of the file sink\n",
                name[r - 1], v[r, "wall_s"] / v[1, "wall_s"], v[r, "cpu_s"] / v[1, "cpu_s"],
                v[r, "peak_rss_MiB"] / v[1, "peak_rss_MiB"]
        printf "   exactly_once: %.2fx the wall time, %.2fx the CPU, %.2fx the mock CPU of message=event (idempotent)\n",
            v[4, "wall_s"] / v[2, "wall_s"], v[4, "cpu_s"] / v[2, "cpu_s"],
            v[4, "mock_cpu_s"] / v[2, "mock_cpu_s"]
     }' "$work/results"
