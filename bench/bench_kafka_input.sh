#!/usr/bin/env bash
# Kafka input benchmark (issue 16, fleet mode): events per second from a
# topic of the mock cluster (wt-kafka-mock) through one and through two
# shippers (`wtexport run`, kafka input, format event, one consumer group,
# file sink without compression or fsync) and the CPU time per event of
# the shippers, as ratios against a baseline measured in the same run: a
# plain librdkafka consumer that only counts the messages (wt-kafka-load
# consume). A third row: one shipper reading raw squid lines (format
# squid: the parser runs); a fourth: one stateless shipper (format event,
# "spool": {"enabled": false}: from memory to the sink). The topic is filled before each measure; the
# clock starts at the first event out (group join excluded), and every
# figure is the median of WT_BENCH_RUNS runs. The mock keeps the last 5 MiB
# of each partition: events x ~700 bytes must fit in partitions x 5 MiB. The mock cluster, the
# consumers and the machine's other load share the CPUs: compare ratios,
# not absolute figures. Exit status reflects errors only, never speed.
#
#   bench/bench_kafka_input.sh [BUILD_DIR]      (default: build)
#   WT_BENCH_EVENTS=100000 WT_BENCH_RUNS=3 WT_BENCH_PARTITIONS=16
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/bin
events=${WT_BENCH_EVENTS:-100000}
runs=${WT_BENCH_RUNS:-3}
parts=${WT_BENCH_PARTITIONS:-16}
work=$(mktemp -d /tmp/wt-bench-kafka-input.XXXXXX)
pids=()
mock=
cleanup() {
    for p in "${pids[@]}" $mock; do kill "$p" 2>/dev/null || true; done
    exec 7>&- 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for t in wtexport wt-loggen wt-kafka-mock wt-kafka-load; do
    [ -x "$bin/$t" ] || { echo "missing $bin/$t: build first" >&2; exit 1; }
done
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hz=$(getconf CLK_TCK)
now() { date +%s.%N; }

mkfifo "$work/mock.cmd"
exec 7<>"$work/mock.cmd"
"$bin/wt-kafka-mock" --brokers 3 --topic events --partitions "$parts" \
    --bootstrap-file "$work/boot" <"$work/mock.cmd" >"$work/mock.out" 2>"$work/mock.err" &
mock=$!
for _ in $(seq 100); do [ -s "$work/boot" ] && break; sleep 0.05; done
boot=$(cat "$work/boot")
echo "topic raw $parts" >&7

# Events as an edge exporter's kafka sink writes them (one per message).
"$bin/wt-loggen" --lines "$events" --start "$(date +%s)" --output "$work/access.log" 2>/dev/null
"$bin/wtexport" parse "$work/access.log" 2>/dev/null >"$work/events.ndjson"
n_ev=$(wc -l <"$work/events.ndjson")
n_raw=$(wc -l <"$work/access.log")

# produce TOPIC FILE: the topic gets one more copy of FILE.
produce() { "$bin/wt-kafka-load" produce --bootstrap "$boot" --topic "$1" --file "$2" >/dev/null; }

metric() { # PORT SERIES (0 while the daemon does not answer yet)
    { curl -s "http://127.0.0.1:$1/metrics" || true; } |
        awk -v n="$2" '$1 == n && !v { v = $2 } END { print v + 0 }'
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# shippers N GROUP TOPIC FORMAT COUNT [SPOOL]: N shippers in GROUP read COUNT
# events of TOPIC (SPOOL: spool.enabled, default true); prints "events/s
# cpu_us_per_event" from the first event out.
shippers() {
    local n=$1 group=$2 topic=$3 format=$4 count=$5 spool=${6:-true} i ports=() sp=() t0= c0=0 total
    for i in $(seq "$n"); do
        local p
        p=$(port)
        ports+=("$p")
        cat >"$work/s$i.json" <<EOF
{"state_dir": "$work/s$i",
 "inputs": [{"type": "kafka", "brokers": "$boot", "topic": "$topic", "group": "$group",
             "format": "$format",
             "properties": {"session.timeout.ms": 6000, "heartbeat.interval.ms": 500}}],
 "sinks": [{"type": "file", "path": "$work/s$i.ndjson", "compress": "none", "fsync": false}],
 "batch": {"linger": "50ms"},
 "spool": {"enabled": $spool},
 "metrics": {"listen": "127.0.0.1:$p"}}
EOF
        rm -rf "$work/s$i" "$work/s$i.ndjson"
        "$bin/wtexport" run -c "$work/s$i.json" >/dev/null 2>"$work/s$i.log" &
        sp+=($!)
        pids+=($!)
    done
    local last=-1 same=0
    while :; do
        total=0
        for p in "${ports[@]}"; do
            total=$((total + $(metric "$p" 'wtexport_sink_events_total{sink="file0",type="file"}')))
        done
        if [ -z "$t0" ] && [ "$total" -gt 0 ]; then
            t0=$(now)
            c0=0
            for i in "${sp[@]}"; do c0=$((c0 + $(ticks "$i"))); done
            n0=$total
        fi
        [ "$total" -ge "$count" ] && break
        if [ "$total" = "$last" ]; then
            same=$((same + 1))
            [ "$same" -ge 600 ] && { echo "stuck at $total of $count events" >&2; exit 1; }
        else
            same=0
        fi
        last=$total
        sleep 0.02
    done
    local t1 c1=0 rebal=0
    t1=$(now)
    for i in "${sp[@]}"; do c1=$((c1 + $(ticks "$i"))); done
    for p in "${ports[@]}"; do
        rebal=$((rebal + $(metric "$p" "wtexport_kafka_input_rebalances_total{input=\"kafka://$group/$topic\"}")))
    done
    for i in "${sp[@]}"; do kill "$i"; wait "$i" || true; done
    pids=()
    # One assignment each, or the run included a rebalance (librdkafka
    # 2.0's mock cluster can fail a SyncGroup of members joining at once:
    # the group then stalls for session.timeout.ms): "retry".
    if [ "$rebal" -ne "$n" ]; then
        echo retry
        return 0
    fi
    awk -v n="$((count - n0))" -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" -v hz="$hz" \
        'BEGIN { printf "%.0f %.3f\n", n / (t1 - t0), c / hz * 1e6 / n }'
}

# measure KEY GROUP N TOPIC FORMAT COUNT [SPOOL]: up to 4 tries for a run
# without a rebalance; appends to rate[KEY] and cpu[KEY].
measure() {
    local key=$1 group=$2 n=$3 topic=$4 format=$5 count=$6 spool=${7:-true} try a b
    for try in 1 2 3 4; do
        read -r a b < <(shippers "$n" "$group-$try" "$topic" "$format" "$count" "$spool")
        [ -n "$a" ] || { echo "$key: the shippers failed" >&2; exit 1; }
        if [ "$a" != retry ]; then
            rate[$key]+="$a "
            cpu[$key]+="$b "
            return 0
        fi
        echo "$key: a rebalance during the run, measuring again" >&2
    done
    echo "$key: no run without a rebalance" >&2
    exit 1
}

baseline() { # GROUP TOPIC COUNT
    "$bin/wt-kafka-load" consume --bootstrap "$boot" --topic "$2" --group "$1" --count "$3" |
        awk -F'[= ]' '{ printf "%.0f %.3f\n", $2 / $4, $6 * 1e6 / $2 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

produce events "$work/events.ndjson"
produce raw "$work/access.log"
declare -A rate cpu
for r in $(seq "$runs"); do
    # Each run's groups are new: each reads the whole topic from its start.
    read -r a b < <(baseline "base$r" events "$n_ev")
    [ -n "$a" ] || { echo "the baseline consumer failed" >&2; exit 1; }
    rate[base]+="$a "; cpu[base]+="$b "
    measure one "one$r" 1 events event "$n_ev"
    measure two "two$r" 2 events event "$n_ev"
    measure raw "raw$r" 1 raw squid "$n_raw"
    measure nospool "nospool$r" 1 events event "$n_ev" false
    echo "run $r events/s: base ${rate[base]}| one ${rate[one]}| two ${rate[two]}| raw ${rate[raw]}| nospool ${rate[nospool]}" >&2
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
b_rate=$(med "${rate[base]}")
b_cpu=$(med "${cpu[base]}")
echo "mock cluster, $parts partitions; $n_ev events per copy; medians of $runs runs"
printf '%-34s %12s %8s %14s %8s\n' consumer "events/s" ratio "CPU us/event" ratio
for k in base one two raw nospool; do
    case $k in
    base) name="baseline (librdkafka, count only)" ;;
    one) name="1 shipper, format event" ;;
    two) name="2 shippers, format event" ;;
    raw) name="1 shipper, format squid (parse)" ;;
    nospool) name="1 shipper, format event, no spool" ;;
    esac
    r=$(med "${rate[$k]}")
    c=$(med "${cpu[$k]}")
    awk -v n="$name" -v r="$r" -v c="$c" -v br="$b_rate" -v bc="$b_cpu" \
        'BEGIN { printf "%-34s %12.0f %8.2f %14.2f %8.2f\n", n, r, r / br, c, c / bc }'
done
