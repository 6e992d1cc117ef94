#!/usr/bin/env bash
# bench_ctia.sh - the CTIA sink: events a second through aggregation and
# import to the local test server (wt-sse-server's CTIA endpoints), and the
# reduction from events to sightings on generated WSA logs at 1 h and 1 d
# buckets.
#
#  1. wt-loggen writes one day of squid log (default 5 lines a second of log
#     time: 432 000 lines), ending two days ago, so every bucket is closed;
#  2. baseline: `wtexport run` tails it through the disk spool into a plain
#     file sink (parse, encode, spool, write) until every event is out -
#     what the pipeline costs without the CTIA sink;
#  3. for each bucket (1h, 1d): `wtexport run` tails it through the spool
#     into a ctia sink to a fresh test server (token, bundle imports of up
#     to 2000 sightings) until the counts of the sightings created add up to
#     the observables; the time includes aggregation, the imports and the
#     server's validation (the server runs on the same 2 CPUs). `run`, not
#     `replay`: with the spool, held records cost disk, not memory, so
#     buckets are not cut early (replay holds batches in memory and flushes
#     early past a quarter of queue.max_bytes).
#
# Prints a table and one RESULT line per run. Exit status reflects errors
# only (a missing tool, a failed replay, sums that do not add up).
#
#   bench/bench_ctia.sh [BUILD_DIR]             (default: build)
#   WT_CTIA_RATE=5 WT_CTIA_DIR=/tmp/x (keep the work files)
set -euo pipefail
build=${1:-build}
bin=$build/bin
rate=${WT_CTIA_RATE:-5}
for t in wtexport wt-loggen wt-sse-server wt-rusage; do
    [ -x "$bin/$t" ] || { echo "bench_ctia: no $bin/$t (build first)" >&2; exit 1; }
done
command -v jq >/dev/null || { echo "bench_ctia: jq is needed" >&2; exit 1; }
w=${WT_CTIA_DIR:-$(mktemp -d /tmp/wt-bench-ctia.XXXXXX)}
mkdir -p "$w"
srv_pid=
cleanup() {
    [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
    [ -n "${WT_CTIA_DIR:-}" ] || rm -rf "$w"
}
trap cleanup EXIT

start=$(( $(date +%s) - 3 * 86400 ))
"$bin/wt-loggen" --format squid --seed 7 --rate "$rate" --duration 1d --start "$start" \
    --output "$w/day.log" 2>"$w/gen.err"
lines=$(wc -l <"$w/day.log")
echo "bench_ctia: $lines lines ($(du -m "$w/day.log" | cut -f1) MiB), one day at $rate lines/s, $(nproc) CPUs"

(umask 077; echo bench-client >"$w/id"; echo bench-secret-$$ >"$w/secret")

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

# run_until CFG RUSAGE COND...: `wtexport run -c CFG` until COND holds (polled), then SIGTERM.
run_until() {
    local cfg=$1 ru=$2
    shift 2
    "$bin/wt-rusage" -o "$ru" "$bin/wtexport" run -c "$cfg" >>"$w/run.log" 2>&1 &
    local pid=$! n=0
    until "$@"; do
        sleep 0.1
        n=$((n + 1))
        [ "$n" -lt 6000 ] || { echo "bench_ctia: no end after 600 s" >&2; kill "$pid"; exit 1; }
    done
    kill -TERM "$pid"
    wait "$pid" || true
}

# Baseline: the file sink.
cat >"$w/file.json" <<JSON
{"state_dir": "$w/state-file", "retention": "30d", "inputs": [{"path": "$w/day.log"}],
 "sinks": [{"type": "file", "path": "$w/out.ndjson", "compress": "none", "fsync": false}],
 "metrics": {"listen": ""}, "log": {"level": "warn"}}
JSON
all_out() { [ -f "$w/out.ndjson" ] && [ "$(wc -l <"$w/out.ndjson")" -ge "$lines" ]; }
t0=$(date +%s%N)
run_until "$w/file.json" "$w/file.ru" all_out
t1=$(date +%s%N)
events=$(grep -c . "$w/out.ndjson")
obs=$(grep -o '"type":"[a-z0-9]*","value"' "$w/out.ndjson" | wc -l)
rm -f "$w/out.ndjson"
fs=$(secs "$t0" "$t1")
printf '%-22s %10s %10s %12s %12s %10s\n' run seconds events/s sightings "count sum" "ev/sight"
printf '%-22s %10s %10.0f %12s %12s %10s\n' "file sink (baseline)" "$fs" \
    "$(awk -v e="$events" -v s="$fs" 'BEGIN { print e / s }')" - - -
echo "RESULT file events=$events observables=$obs seconds=$fs"

for bucket in 1h 1d; do
    rm -f "$w/port"
    rm -f "$w/sightings-$bucket.ndjson"
    "$bin/wt-sse-server" --listen 127.0.0.1:0 --port-file "$w/port" --quiet \
        --ctia-client-id bench-client --ctia-secret-file "$w/secret" \
        --ctia-out "$w/sightings-$bucket.ndjson" 2>/dev/null &
    srv_pid=$!
    for _ in $(seq 100); do [ -s "$w/port" ] && break; sleep 0.05; done
    port=$(cat "$w/port")
    cat >"$w/ctia.json" <<JSON
{"state_dir": "$w/state-$bucket", "retention": "30d", "inputs": [{"path": "$w/day.log"}],
 "sinks": [{"type": "ctia", "token_url": "http://127.0.0.1:$port/iroh/oauth2/token",
            "import_url": "http://127.0.0.1:$port/ctia/bundle/import",
            "client_id_file": "$w/id", "client_secret_file": "$w/secret",
            "bucket": "$bucket", "max_open_sightings": 2000000}],
 "metrics": {"listen": ""}, "log": {"level": "warn"}}
JSON
    counted() { [ "$(curl -s "http://127.0.0.1:$port/stats" | jq .ctia.count_created)" = "$obs" ]; }
    t0=$(date +%s%N)
    run_until "$w/ctia.json" "$w/ctia-$bucket.ru" counted
    t1=$(date +%s%N)
    st=$(curl -s "http://127.0.0.1:$port/stats")
    kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true; srv_pid=
    created=$(jq .ctia.created <<<"$st")
    sum=$(jq .ctia.count_created <<<"$st")
    imports=$(jq .ctia.imports <<<"$st")
    [ "$sum" = "$obs" ] || { echo "bench_ctia: counts add up to $sum, not $obs" >&2; exit 1; }
    s=$(secs "$t0" "$t1")
    printf '%-22s %10s %10.0f %12s %12s %10.1f\n' "ctia, bucket $bucket" "$s" \
        "$(awk -v e="$events" -v s="$s" 'BEGIN { print e / s }')" "$created" "$sum" \
        "$(awk -v e="$events" -v c="$created" 'BEGIN { print e / c }')"
    echo "RESULT ctia bucket=$bucket events=$events observables=$obs sightings=$created imports=$imports seconds=$s wtexport_rusage: $(tr '\n' ' ' <"$w/ctia-$bucket.ru")"
    # Per observable type: observables (events that carried it) -> sightings.
    jq -r '"\(.observables[0].type) \(.count)"' "$w/sightings-$bucket.ndjson" |
        awk -v b="$bucket" '{ n[$1]++; c[$1] += $2 }
            END { for (t in n) printf "RESULT ctia bucket=%s type=%s observables=%d sightings=%d reduction=%.1f\n", b, t, c[t], n[t], c[t] / n[t] }' | sort
done
