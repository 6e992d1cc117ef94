#!/usr/bin/env bash
# kafka_stop_stress.sh - a manual reproducer, not run by ctest (slow: about
# 15 s a round): two shippers of one consumer group, a cluster outage
# (mock down, shipper b's /healthz 503, mock up, 200), then SIGTERM to a
# and, once a has exited, to b: b stops while the group rebalances because
# a left. Every exit status must be 0 and each daemon must exit within
# 40 s (a hung one gets its thread stacks dumped with gdb into
# ./hang-ROUND-PID.txt, then SIGKILL). Run it with `ulimit -c unlimited`
# in a scratch directory to keep cores; the daemons' logs of a bad round
# are copied there. It found the stop-path crashes fixed in kafka_input.c
# (on_rebalance, leave_group).
#
#   cd /tmp/scratch && ulimit -c unlimited &&
#   WT_BIN=.../build/bin ROUNDS=20 SPOOL=false OUTAGE=1 \
#       bash .../tests/integration/kafka_stop_stress.sh
# shellcheck disable=SC2034 # DLOG and PORT are read by lib.sh
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"
ROUNDS=${ROUNDS:-10}
SPOOL=${SPOOL:-false}
start_mock 4
gen_lines 0 2000 h1 | "$WT" parse >"$T/ev.ndjson" 2>/dev/null
cfg() { # NAME PORT
    cat >"$T/$1.json" <<EOC
{"state_dir": "$T/$1",
 "inputs": [{"type": "kafka", "brokers": "$BOOT", "topic": "^wt.*", "group": "g", "format": "event",
             "max_in_flight": 200, "commit_interval": "100ms", "unreachable_timeout": "2s",
             "properties": {"topic.metadata.refresh.interval.ms": 1000,
                            "session.timeout.ms": 6000, "heartbeat.interval.ms": 500}}],
 "sinks": [{"type": "file", "path": "$T/$1.ndjson", "compress": "none"}],
 "batch": {"linger": "100ms"},
 "spool": {"enabled": $SPOOL},
 "metrics": {"listen": "127.0.0.1:$2"}}
EOC
}
parts() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^wtexport_kafka_input_partitions/ { print $2; exit }'; }
bad=0
hang=0
# wait_or_dump PID: wait up to 40 s; a hung daemon gets its stacks dumped, then SIGKILL.
wait_or_dump() {
    local pid=$1 end=$((SECONDS + 40))
    while alive "$pid" && [ "$SECONDS" -lt "$end" ]; do sleep 0.1; done
    if alive "$pid"; then
        hang=$((hang + 1))
        log "round $r: pid $pid still running 40 s after SIGTERM: stacks in $PWD/hang-$r-$pid.txt"
        gdb -p "$pid" -batch -ex "thread apply all bt" >"hang-$r-$pid.txt" 2>&1
        kill -KILL "$pid"
    fi
    wait "$pid" 2>/dev/null
    WAIT_RC=$?
}
for r in $(seq "$ROUNDS"); do
    PA=$(free_port); cfg a "$PA"; PORT=$PA; DLOG=$T/a.log; start_daemon "$T/a.json"; A=$DPID
    PB=$(free_port); cfg b "$PB"; PORT=$PB; DLOG=$T/b.log; start_daemon "$T/b.json"; B=$DPID
    "$WT_BIN/wt-kafka-load" produce --bootstrap "$BOOT" --topic wt --file "$T/ev.ndjson" >/dev/null 2>&1 &
    bg_track $!
    WT_WAIT_DEADLINE=60 wait_for "both assigned" eval "[ \"\$(parts $PA)\" -gt 0 ] 2>/dev/null && [ \"\$(parts $PB)\" -gt 0 ] 2>/dev/null"
    if [ "${OUTAGE:-0}" = 1 ]; then
        mock_cmd down -1
        PORT=$PB; wait_for "b 503" eval '[ "$(healthz_code)" = 503 ]'
        mock_cmd up -1
        WT_WAIT_DEADLINE=45 wait_for "b 200" healthz_ok
    fi
    kill -TERM "$A"
    if [ "${OUTAGE:-0}" = 1 ]; then
        wait_or_dump "$A"; RC_A=$WAIT_RC
    else
        sleep "0.$((RANDOM % 10))"
    fi
    kill -TERM "$B"
    for p in "$A" "$B"; do
        if [ "$p" = "$A" ] && [ "${OUTAGE:-0}" = 1 ]; then WAIT_RC=$RC_A; else wait_or_dump "$p"; fi

        if [ "$WAIT_RC" != 0 ]; then
            bad=$((bad + 1))
            log "round $r: pid $p exit status $WAIT_RC"
            cp "$T/a.log" "$PWD/a-round$r.log"; cp "$T/b.log" "$PWD/b-round$r.log"
        fi
    done
    DPID=
done
log "rounds $ROUNDS, bad exits $bad, hangs $hang"
[ "$bad" = 0 ] && pass
fail "$bad bad exits"
