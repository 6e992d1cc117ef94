#!/usr/bin/env bash
# bench_budget.sh - the transaction budget: transaction time against the size
# of the retention window, for wtexport's SSE sink and for a naive export of
# the whole window in ONE transaction (what the appliance's own SecureX
# integration does, and why it is told to shrink the window to 1-2 days).
#
# For each window (days, default 1 2 7 30):
#  1. wt-loggen writes a squid log whose timestamps end now and span the
#     window (the config's retention is the window, so nothing expires);
#  2. wtexport replays it to a fresh wt-sse-server with a processing rate
#     (--rate: it sleeps NDJSON bytes / rate before answering), after
#     `wtexport register`; the sink has transaction_timeout 60 s,
#     budget_fraction 0.25 (a 15 s budget) and concurrency 4. The total time
#     is the replay's wall time; every POST /v1/events in the server's
#     request log is one transaction (its ms and status);
#  3. naive: the same NDJSON the server received, as one zstd body, POSTed
#     once with curl --max-time 60 to another fresh server with the same rate.
#     If curl gives up, the transaction failed: reported as >= 60 s.
#
# Writes budget.csv and budget.png (gnuplot, bench/budget.gp) to OUT, prints a
# table and one RESULT line per window. Exit status reflects errors only (a
# missing tool, a failed replay, a rejected upload), never the timings: a
# naive export that times out, or a wtexport transaction over the budget, is a
# result.
#
#   bench/bench_budget.sh [BUILD_DIR]          (default: build)
#   WT_BUDGET_RATE=0.2 WT_BUDGET_MBPS=4 WT_BUDGET_WINDOWS="1 2 7 30" \
#   WT_BUDGET_OUT=BUILD_DIR/budget WT_BUDGET_DIR=/tmp/x (keep the work files)
#
# Defaults. The model is scaled down so the run takes 2-3 minutes on 2
# cores; only the ratio "NDJSON bytes of the window / ingest rate" matters for
# the shape. WT_BUDGET_RATE=0.2 log lines per second of log time is 17 280
# lines a day, about 12 MB of NDJSON (~700 bytes an event), so 30 days are
# ~518 000 lines and ~360 MB. WT_BUDGET_MBPS=4 (MB/s of NDJSON per request,
# the server sleeps per request, so concurrent requests overlap) puts the
# naive export at ~3 s a day: ~3 s at 1 day, ~20 s at 7 days, and past the
# 60 s limit at ~21 days (30 days would need ~90 s, clearly over, so the
# result does not hinge on noise). wtexport's parts are at most one batch
# (batch.max_bytes, default 1 MiB: ~0.3 s at 4 MB/s) and never larger than
# throughput x budget; with 4 in flight it moves ~16 MB/s, so the 30-day
# replay takes ~25 s. Naive total ~90 s (the 30-day one waits out the 60 s).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/bin
rate=${WT_BUDGET_RATE:-0.2}
mbps=${WT_BUDGET_MBPS:-4}
windows=${WT_BUDGET_WINDOWS:-1 2 7 30}
seed=${WT_BUDGET_SEED:-42}
conc=${WT_BUDGET_CONCURRENCY:-4}
# Optional: batch.max_bytes in MiB (e.g. 64) so the sink's own throughput-
# based sizing, not the batch size, bounds the parts. Unset: config defaults.
batch_mib=${WT_BUDGET_BATCH_MIB:-}
# Watchdog of one replay (a stuck sink is an error, not a result).
replay_limit=${WT_BUDGET_REPLAY_TIMEOUT:-900}
out=${WT_BUDGET_OUT:-$build/budget}
tt=60          # transaction_timeout (s): the appliance's 60-s transaction limit
fraction=0.25  # budget_fraction: budget = 0.25 x 60 s = 15 s
# The generated log starts this many seconds after now - window, so the
# first events are still inside the retention window when replay checks it.
slack=300
work=${WT_BUDGET_DIR:-$(mktemp -d /tmp/wt-bench-budget.XXXXXX)}
mkdir -p "$work" "$out"
work=$(cd "$work" && pwd)
out=$(cd "$out" && pwd)

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    [ -n "${WT_BUDGET_DIR:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "bench_budget: $*" >&2; exit 1; }
# Forget a pid that has been waited for; stop one started here and forget it.
forget() {
    local keep=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]}")
}
stop() {
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    forget "$1"
}

for t in wtexport wt-loggen wt-sse-server; do
    [ -x "$bin/$t" ] || die "missing $bin/$t: build first"
done
for t in zstd curl gnuplot timeout; do
    command -v "$t" >/dev/null || die "$t missing (apt-get install zstd curl gnuplot-nox)"
done
[ -f "$root/bench/budget.gp" ] || die "missing $root/bench/budget.gp"
awk -v r="$rate" 'BEGIN { exit !(r + 0 > 0) }' || die "bad WT_BUDGET_RATE '$rate'"
awk -v r="$mbps" 'BEGIN { exit !(r + 0 > 0) }' || die "bad WT_BUDGET_MBPS '$mbps'"
for d in $windows; do
    [[ $d =~ ^[0-9]+$ ]] && [ "$d" -ge 1 ] && [ "$d" -le 30 ] ||
        die "bad window '$d': whole days from 1 to 30 (retention range 1h..30d)"
done
[ -z "$batch_mib" ] || [[ $batch_mib =~ ^[0-9]+$ && $batch_mib -ge 1 && $batch_mib -le 64 ]] ||
    die "bad WT_BUDGET_BATCH_MIB '$batch_mib': 1..64"
budget_ms=$(awk -v t="$tt" -v f="$fraction" 'BEGIN { printf "%d", t * f * 1000 }')
budget_s=$(awk -v b="$budget_ms" 'BEGIN { print b / 1000 }')

# Start wt-sse-server with ARGS...; sets srv (pid) and port.
start_server() {
    local dir=$1; shift
    rm -f "$dir/srv.port"
    "$bin/wt-sse-server" --listen 127.0.0.1:0 --port-file "$dir/srv.port" "$@" \
        2>>"$dir/srv.err" &
    srv=$!
    pids+=("$srv")
    for _ in $(seq 200); do
        [ -s "$dir/srv.port" ] && break
        kill -0 "$srv" 2>/dev/null || die "wt-sse-server exited: $(tail -3 "$dir/srv.err")"
        sleep 0.05
    done
    [ -s "$dir/srv.port" ] || die "wt-sse-server did not start: $(tail -3 "$dir/srv.err")"
    port=$(cat "$dir/srv.port")
}
# Nearest-rank percentile P (0..100) of the sorted numbers on stdin.
pct() { awk -v p="$1" '{ a[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print a[i] }'; }

csv=$out/budget.csv
echo "window_days,lines,ndjson_bytes,wt_total_s,wt_transactions,wt_p50_s,wt_p99_s,wt_max_s,wt_over_budget,naive_s,naive_ok" \
    > "$csv.tmp"
results=()
echo "== budget bench: windows ${windows} day(s), $rate lines/s of log time, server $mbps MB/s" \
     "of NDJSON per request, transaction_timeout ${tt}s x budget_fraction $fraction =" \
     "$budget_s s budget, concurrency $conc${batch_mib:+, batch.max_bytes ${batch_mib}MiB}"

for d in $windows; do
    w=$work/w$d
    rm -rf "$w"
    mkdir -p "$w"
    win_s=$((d * 86400))

    # 1. The log: timestamps from now - window + slack to now. Generated 5 %
    # long (the steps are random, the span is not exact), cut at now.
    now=$(date +%s)
    "$bin/wt-loggen" --format squid --seed "$seed" --rate "$rate" \
        --start $((now - win_s + slack)) --duration $((win_s + win_s / 20)) \
        --output "$w/raw.log" 2>"$w/gen.err" || die "wt-loggen failed: $(cat "$w/gen.err")"
    awk -v end="$now" '$1 + 0 > end { exit } { print }' "$w/raw.log" > "$w/access.log"
    rm -f "$w/raw.log"
    lines=$(wc -l < "$w/access.log")
    [ "$lines" -gt 0 ] || die "empty log for ${d}d"
    echo "== ${d}d: $lines lines ($(stat -c %s "$w/access.log") bytes of log)"

    # 2. wtexport replay -> wt-sse-server --rate, registered the real way.
    echo "bench-token-$RANDOM$RANDOM" > "$w/token"
    start_server "$w" --token-file "$w/token" --rate "$mbps" --events-out "$w/events.ndjson" \
        --log "$w/srv.log"
    batch_cfg=
    if [ -n "$batch_mib" ]; then
        q=$((batch_mib * 4 > 64 ? batch_mib * 4 : 64))
        batch_cfg="\"batch\": { \"max_bytes\": \"${batch_mib}MiB\", \"max_events\": 1000000 },
  \"queue\": { \"max_bytes\": \"${q}MiB\" },"
    fi
    cat > "$w/cfg.json" <<JSON
{ "state_dir": "$w/state", "retention": "${d}d",
  "inputs": [ { "path": "$w/access.log", "format": "squid" } ],
  $batch_cfg
  "sinks": [ { "type": "sse", "name": "sse", "url": "http://127.0.0.1:$port",
               "concurrency": $conc, "transaction_timeout": "${tt}s",
               "budget_fraction": $fraction } ],
  "metrics": { "listen": "" }, "log": { "level": "warn" } }
JSON
    "$bin/wtexport" register -c "$w/cfg.json" --token-file - < "$w/token" > "$w/register.out" 2>&1 ||
        die "wtexport register failed: $(cat "$w/register.out")"

    t0=$(date +%s.%N)
    timeout -s TERM "$replay_limit" "$bin/wtexport" replay -c "$w/cfg.json" "$w/access.log" \
        > "$w/replay.out" 2>&1 &
    rp=$!
    pids+=("$rp")
    rc=0
    wait "$rp" || rc=$?
    t1=$(date +%s.%N)
    forget "$rp"
    if [ "$rc" -ne 0 ]; then
        echo "--- replay output (last 20 lines):" >&2; tail -20 "$w/replay.out" >&2
        echo "--- server request log (last 5 lines):" >&2; tail -5 "$w/srv.log" >&2
        [ "$rc" -eq 124 ] && die "${d}d: wtexport replay did not finish within ${replay_limit}s"
        die "${d}d: wtexport replay exited $rc"
    fi
    stats=$(curl -s --max-time 10 "http://127.0.0.1:$port/stats") || die "GET /stats failed"
    stop "$srv"
    wt_total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    summary=$(grep -E '^replay: (lines|events)=' "$w/replay.out" | tr '\n' ' ')
    ev=$(printf '%s\n' "$summary" | tr ' ' '\n' | sed -n 's/^events=//p')
    expired=$(printf '%s\n' "$summary" | tr ' ' '\n' | sed -n 's/^expired=//p')
    accepted=$(printf '%s\n' "$stats" | sed -n 's/.*"accepted_events":\([0-9]*\).*/\1/p')
    [ -n "$ev" ] && [ -n "$accepted" ] || die "${d}d: no replay summary or server stats"
    [ "$accepted" -eq "$ev" ] || die "${d}d: replay shipped $ev events, server accepted $accepted"
    [ "$expired" = 0 ] || echo "   note: $expired event(s) expired (outside the ${d}d window at replay)"
    # Every upload is one transaction: status and ms from the request log.
    sed -n 's|^[^ ]* POST /v1/events \([^ ]*\) .* ms=\([0-9]*\) .*|\1 \2|p' "$w/srv.log" > "$w/tx"
    ntx=$(wc -l < "$w/tx")
    [ "$ntx" -gt 0 ] || die "${d}d: no POST /v1/events in the server log"
    cut -d' ' -f2 "$w/tx" | sort -n > "$w/tx.ms"
    p50=$(pct 50 < "$w/tx.ms")
    p99=$(pct 99 < "$w/tx.ms")
    mx=$(tail -1 "$w/tx.ms")
    over_budget=$(awk -v b="$budget_ms" '$1 > b' "$w/tx.ms" | wc -l)
    over_tt=$(awk -v b="$((tt * 1000))" '$1 >= b' "$w/tx.ms" | wc -l)
    # Not acked (2xx or 409) = failed transactions (timeouts, 5xx...): retried.
    failed=$(awk '$1 !~ /^2[0-9][0-9]$/ && $1 != "409"' "$w/tx" | wc -l)
    nd_bytes=$(stat -c %s "$w/events.ndjson")
    nd_lines=$(wc -l < "$w/events.ndjson")
    [ "$nd_lines" -eq "$accepted" ] || die "${d}d: events file has $nd_lines lines, server accepted $accepted"
    printf '   wtexport: %d events in %s s, %d transactions (%d not acked), ms p50 %s p99 %s max %s\n' \
        "$ev" "$wt_total" "$ntx" "$failed" "$p50" "$p99" "$mx"

    # 3. Naive: the whole window's NDJSON in one zstd body, one POST, 60-s limit.
    zstd -q -3 -T2 -c "$w/events.ndjson" > "$w/naive.zst"
    rm -f "$w/events.ndjson"
    zbytes=$(stat -c %s "$w/naive.zst")
    cred=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    printf 'Authorization: Bearer %s\n' "$cred" > "$w/naive.hdr"   # not on a command line
    start_server "$w" --credential "$cred" --rate "$mbps" --log "$w/naive.log" \
        --max-body $((zbytes + 1048576)) --max-events-bytes $((nd_bytes + 1048576))
    rc=0 code= ntime=
    curl -sS -o "$w/naive.resp" -w '%{http_code} %{time_total}\n' --max-time "$tt" -X POST \
        -H @"$w/naive.hdr" -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: zstd' \
        -H "Idempotency-Key: naive-${d}d-$seed-$now" -H 'Expect:' \
        --data-binary @"$w/naive.zst" "http://127.0.0.1:$port/v1/events" \
        > "$w/naive.out" 2>"$w/naive.err" &
    cp=$!   # in the background: a signal runs the cleanup trap at once, not after 60 s
    pids+=("$cp")
    wait "$cp" || rc=$?
    forget "$cp"
    stop "$srv"
    read -r code ntime < "$w/naive.out" || true
    if [ "$rc" -eq 28 ]; then
        naive_s=$tt; naive_ok=0
        echo "   naive: one POST of $nd_bytes bytes ($zbytes zstd): gave up after ${tt} s (curl timeout)"
    elif [ "$rc" -eq 0 ] && [[ $code =~ ^2[0-9][0-9]$ ]]; then
        naive_s=$(awk -v t="$ntime" 'BEGIN { printf "%.2f", t }'); naive_ok=1
        echo "   naive: one POST of $nd_bytes bytes ($zbytes zstd): $code in $naive_s s"
    else
        die "${d}d: naive POST failed: curl exit $rc, status ${code:-none}: $(cat "$w/naive.err" "$w/naive.resp" 2>/dev/null)"
    fi
    [ -n "${WT_BUDGET_DIR:-}" ] || rm -f "$w/access.log" "$w/naive.zst"

    row=$(awk -v d="$d" -v l="$lines" -v nb="$nd_bytes" -v tot="$wt_total" -v n="$ntx" \
        -v p50="$p50" -v p99="$p99" -v mx="$mx" -v ob="$over_budget" -v ns="$naive_s" -v ok="$naive_ok" \
        'BEGIN { printf "%d,%d,%d,%.2f,%d,%.3f,%.3f,%.3f,%d,%.2f,%d", d, l, nb, tot, n,
                 p50 / 1000, p99 / 1000, mx / 1000, ob, ns, ok }')
    echo "$row" >> "$csv.tmp"
    results+=("$row,$over_tt,$failed")
done
mv "$csv.tmp" "$csv"

gnuplot -e "csv='$csv'; png='$out/budget.png'; tt=$tt; budget=$budget_s; mbps=$mbps; rate=$rate" \
    "$root/bench/budget.gp" 2>"$work/gnuplot.err" || die "gnuplot failed: $(cat "$work/gnuplot.err")"

echo
printf '  %6s %8s %9s | %8s %5s %7s %7s %7s %5s %5s | %9s\n' window lines "NDJSON" "wt total" txns \
    "p50 s" "p99 s" "max s" ">${budget_s}s" ">${tt}s" "naive s"
for r in "${results[@]}"; do
    IFS=, read -r d l nb tot n p50 p99 mx ob ns ok ot fl <<< "$r"
    awk -v d="$d" -v l="$l" -v nb="$nb" -v tot="$tot" -v n="$n" -v p50="$p50" -v p99="$p99" \
        -v mx="$mx" -v ob="$ob" -v ot="$ot" -v ns="$ns" -v ok="$ok" 'BEGIN {
        printf "  %5dd %8d %6.1f MB | %8.2f %5d %7.3f %7.3f %7.3f %5d %5d | %9s\n", d, l, nb / 1e6,
               tot, n, p50, p99, mx, ob, ot, ok ? sprintf("%.2f", ns) : sprintf(">= %d FAIL", ns) }'
done
echo "  (wtexport: replay wall time and every POST /v1/events; naive: one POST of the whole window,"
echo "   curl --max-time $tt; budget = $fraction x ${tt} s; server $mbps MB/s of NDJSON per request)"
echo "  csv: $csv"
echo "  png: $out/budget.png"
for r in "${results[@]}"; do
    IFS=, read -r d l nb tot n p50 p99 mx ob ns ok ot fl <<< "$r"
    echo "RESULT window_days=$d lines=$l ndjson_bytes=$nb wt_total_s=$tot wt_transactions=$n" \
         "wt_failed=$fl wt_p50_s=$p50 wt_p99_s=$p99 wt_max_s=$mx wt_over_budget=$ob wt_over_timeout=$ot" \
         "naive_s=$ns naive_ok=$ok"
done
