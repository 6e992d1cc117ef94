#!/usr/bin/env bash
# test_kafka_input.sh - fleet mode (docs/fleet.md) on the mock cluster: an
# edge exporter tails a growing log into topic "wt" (kafka sink, one event
# per message); two shippers in one consumer group consume "^wt.*"
# (format event) into their own file sinks. Mid-stream shipper a is killed
# with SIGKILL and restarted; then topic wt2 is created and filled: the
# group's partitions go from 4 to 6 and are rebalanced (the mock cluster
# cannot add partitions to an existing topic, so the new partitions come
# as a new topic matching the subscription). A bad message is counted; the
# cluster going down makes /healthz fail.
#
# Asserted: every event reaches a sink (0 lost); duplicates stay within the
# uncommitted part: at most max_in_flight messages per revocation a shipper
# served, plus max_in_flight and one second of the producer's rate for the
# SIGKILL (in flight, and acked within the last commit_interval).
#
# KIN_SPOOL=false (test_kafka_input_nospool.sh): the same with stateless
# shippers ("spool": {"enabled": false}): batches go from memory to the
# sink and offsets commit once it acked; nothing is lost all the same, no
# spool directory is made, and check-config refuses the key with a file
# input.
#
# Partition count: librdkafka 2.0.2's mock cluster cannot grow a topic:
# rd_kafka_mock_topic_create() on an existing name returns
# TOPIC_ALREADY_EXISTS and leaves its partitions as they were, and the mock
# has no CreatePartitions handler (its API table ends at
# OffsetForLeaderEpoch). So the test covers the same event a shipper sees
# (metadata shows more partitions of the subscription, a rebalance, new
# partitions without a committed offset) through a new topic matching the
# regex subscription.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

KLOAD=$WT_BIN/wt-kafka-load
[ -x "$KLOAD" ] || fail "no $KLOAD (build tests/kafka)"

N=3000 # lines of the edge's log (host h1)
M=500  # events put straight into wt2 (host h2)
MIF=200
KIN_SPOOL=${KIN_SPOOL:-true}
start_mock 4

# Several daemons: `use NAME` switches lib.sh's DPID/PORT/DLOG to NAME's.
declare -A D_PID D_PORT D_FROM
CUR=
use() {
    if [ -n "$CUR" ]; then
        D_PID[$CUR]=$DPID
        D_PORT[$CUR]=$PORT
        D_FROM[$CUR]=$DLOG_FROM
    fi
    CUR=$1
    DPID=${D_PID[$1]:-}
    PORT=${D_PORT[$1]:-}
    [ -n "$PORT" ] || PORT=$(free_port) || fail "no free port"
    DLOG=$T/$1.log
    DLOG_FROM=${D_FROM[$1]:-1}
    touch "$DLOG"
}

edge_config() {
    cat >"$T/edge.json" <<EOF
{
  "state_dir": "$T/edge",
  "inputs": [{"path": "$T/logs/*.log"}],
  "sinks": [{"type": "kafka", "brokers": "$BOOT", "topic": "wt", "key": "client_ip"}],
  "batch": {"linger": "100ms", "max_events": 500},
  "scan_interval": "1s",
  "metrics": {"listen": "127.0.0.1:$PORT"}
}
EOF
}

shipper_config() { # NAME
    cat >"$T/$1.json" <<EOF
{
  "state_dir": "$T/$1",
  "inputs": [{"type": "kafka", "brokers": "$BOOT", "topic": "^wt.*", "group": "ship",
              "format": "event", "max_in_flight": $MIF, "commit_interval": "100ms",
              "unreachable_timeout": "2s",
              "properties": {"topic.metadata.refresh.interval.ms": 1000,
                             "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}}],
  "sinks": [{"type": "file", "path": "$T/$1.ndjson", "compress": "none"}],
  "batch": {"linger": "100ms"},
  "spool": {"enabled": $KIN_SPOOL},
  "metrics": {"listen": "127.0.0.1:$PORT"}
}
EOF
}

# A labelled series of the current daemon (0 when absent).
kin_metric() { # NAME
    local v
    v=$(metric_series "$1" | awk '{ print $2; exit }')
    echo "${v:-0}"
}
parts_of() { # DAEMON
    use "$1"
    kin_metric wtexport_kafka_input_partitions
}
parts_total() { echo $(($(parts_of a) + $(parts_of b))); }
parts_are() { [ "$(parts_total)" = "$1" ] && [ "$(parts_of a)" -gt 0 ] && [ "$(parts_of b)" -gt 0 ]; }

# Every event the shippers wrote (a's file grows over both of its runs).
all_out() { cat "$T/a.ndjson" "$T/b.ndjson" 2>/dev/null >"$T/all.ndjson"; }
out_count() {
    all_out
    count_lines "$T/all.ndjson"
}
have_all() {
    all_out
    local m1 m2
    read -r m1 _ < <(seq_stats "$T/all.ndjson" 0 $((N - 1)) h1)
    read -r m2 _ < <(seq_stats "$T/all.ndjson" 0 $((M - 1)) h2)
    [ "$m1" = 0 ] && [ "$m2" = 0 ]
}

: >"$T/logs/a.log"
use edge
edge_config
start_daemon "$T/edge.json"
use a
shipper_config a
start_daemon "$T/a.json"
use b
shipper_config b
start_daemon "$T/b.json"
wait_for "both shippers to get partitions of wt" parts_are 4

t0=$SECONDS
start_writer "$T/logs/a.log" 0 "$N" h1

# 1. SIGKILL a shipper mid-stream, restart it on the same state_dir.
wait_progress "writer past $((N / 3)) and shipper output" \
    "eval writer_past $((N / 3)) && [ \$(out_count) -ge $((N / 6)) ]" writer_pos
use a
kill_daemon
log "shipper a killed at writer position $(writer_pos), $(out_count) events out"
use b
wait_for "b to take over every partition (after session.timeout.ms)" \
    eval '[ "$(kin_metric wtexport_kafka_input_partitions)" = 4 ]'
use a
start_daemon "$T/a.json"
wait_for "the group to share wt again" parts_are 4

# 2. More partitions: topic wt2 (matching the subscription) appears.
mock_cmd topic wt2 2
gen_lines 0 "$M" h2 | "$WT" parse >"$T/h2.ndjson" 2>/dev/null
assert_eq "$M" "$(count_lines "$T/h2.ndjson")" "events of h2 to produce"
printf 'this is no event\n' >>"$T/h2.ndjson"
"$KLOAD" produce --bootstrap "$BOOT" --topic wt2 --file "$T/h2.ndjson" >"$T/load.out" ||
    fail "producing to wt2: $(cat "$T/load.out")"
# A subscription change rebalances the whole group (eager protocol); under
# load the mock may need several rounds, each bounded by session.timeout.ms
# (6 s): allow five rounds on top of the usual deadline.
WT_WAIT_DEADLINE=$((DEADLINE + 30)) wait_for "the group to share 6 partitions" parts_are 6

wait_writer
secs=$((SECONDS - t0))
[ "$secs" -gt 0 ] || secs=1
wait_progress "every event at a sink" have_all out_count

# 3. Lost: none. Duplicates: within the uncommitted part.
all_out
read -r miss1 dup1 extra1 total1 < <(seq_stats "$T/all.ndjson" 0 $((N - 1)) h1)
read -r miss2 dup2 extra2 total2 < <(seq_stats "$T/all.ndjson" 0 $((M - 1)) h2)
assert_eq 0 "$miss1" "events of the edge's log lost"
assert_eq 0 "$miss2" "events of wt2 lost"
assert_eq 0 "$((extra1 + extra2))" "events outside the produced ranges"
revokes=$(cat "$T/a.log" "$T/b.log" | grep -c "partition(s) revoked")
rate=$(((N + secs - 1) / secs))
bound=$((MIF * (revokes + 1) + rate))
dups=$((dup1 + dup2))
log "duplicates: $dups (bound $bound = max_in_flight $MIF x ($revokes revocations + 1 SIGKILL)" \
    "+ 1 s at $rate events/s); events out: $((total1 + total2))"
[ "$dups" -le "$bound" ] || fail "$dups duplicates, more than the uncommitted part ($bound)"

# 4. The bad message is counted (by whichever shipper read it), the
#    group's lag drains to 0, and both shippers are healthy. Like any
#    message it may be read again while uncommitted: a rebalance (eager:
#    every partition is revoked) before the batch after it was acked makes
#    its next owner, perhaps the same shipper, count it again. So: at
#    least once, at most once per revocation more.
bad_of() { # DAEMON
    use "$1"
    kin_metric wtexport_kafka_input_bad_messages_total
}
bad_sum() { echo $(($(bad_of a) + $(bad_of b))); }
wait_for "the bad message to be counted" eval '[ "$(bad_sum)" -ge 1 ]'
bad=$(bad_sum)
log "bad message counted $bad time(s) (a: $(bad_of a), b: $(bad_of b); $revokes revocations)"
[ "$bad" -le $((revokes + 1)) ] || fail "bad message counted $bad times, more than once per revocation"
lag_of() { # DAEMON
    use "$1"
    metric_series wtexport_kafka_input_lag | awk '{ s += $2 } END { print s + 0 }'
}
wait_for "consumer lag to drain" eval '[ "$(lag_of a)" = 0 ] && [ "$(lag_of b)" = 0 ]'
use a
assert_eq 200 "$(healthz_code)" "shipper a /healthz"
use b
assert_eq 200 "$(healthz_code)" "shipper b /healthz"

# 5. The cluster gone: /healthz fails after unreachable_timeout. Back up,
#    the shipper is healthy again though it has nothing to consume, commit
#    or rebalance: librdkafka reconnects within reconnect.backoff.max.ms
#    (default 10 s) and its next statistics (statistics.interval.ms: 1 s
#    here, unreachable_timeout / 4 at least 1 s) show a connection UP. So
#    the wait is that bound (11 s) on top of the usual deadline.
mock_cmd down -1
wait_for "shipper b to report failing" eval '[ "$(healthz_code)" = 503 ]'
log "shipper b /healthz while down: $(curl -s -m 5 "http://127.0.0.1:$PORT/healthz" | tr '\n' ' ')"
mock_cmd up -1
WT_WAIT_DEADLINE=$((DEADLINE + 11)) wait_for "shipper b healthy again" healthz_ok
# The line is written when the outage ends; give it the same bound, so the
# order of the two observations does not matter.
WT_WAIT_DEADLINE=$((DEADLINE + 11)) wait_for "shipper b to log the end of the outage" \
    dlog_has "cluster reachable again after"

# 6. Stateless shippers: no spool, and the key only with Kafka inputs.
if [ "$KIN_SPOOL" = false ]; then
    for d in a b; do
        [ ! -e "$T/$d/spool" ] || fail "shipper $d made a spool ($T/$d/spool) with spool.enabled false"
        grep -q "no spool (spool.enabled false)" "$T/$d.log" ||
            fail "shipper $d did not log that it runs without a spool"
    done
    sed 's|"inputs": \[|"inputs": [{"path": "/var/log/x/*.log"}, |' "$T/a.json" >"$T/mixed.json"
    "$WT" check-config -c "$T/mixed.json" >"$T/mixed.out" 2>&1 &&
        fail "check-config accepted spool.enabled false with a file input"
    grep -q 'spool.enabled.*inputs\[0\] is "file"' "$T/mixed.out" ||
        fail "check-config did not say why: $(cat "$T/mixed.out")"
fi

# 7. Clean stops (exit 0), committing what is acked.
use a
stop_daemon
use b
stop_daemon
use edge
stop_daemon
pass
