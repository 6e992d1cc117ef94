#!/usr/bin/env bash
# test_crash_exactly_once.sh - exactly once through crashes and rotation.
#
# A writer appends lines with unique markers (seq N) to a.log while
# `wtexport run` is killed with SIGKILL again and again (WT_CRASH_SEED picks
# the moments; default 12): right after a start, at random moments of a run
# and of a backlog catch-up, around a rename rotation and a copytruncate,
# and at named crash points (WT_CRASH_AT) that random timing rarely hits:
# after a spool commit, after the file sink's write and fsync but before
# its cursor is saved, before a cursor write, before a checkpoint write,
# between a Kafka transaction's offsets record and its commit, and when a
# truncation is detected. Sinks: file (NDJSON), file (zstd) and, unless
# CRASH_SSE=0, sse (the test server), unless CRASH_KAFKA=0, kafka with
# "exactly_once": true (librdkafka's mock cluster). In the end every seq is
# in every sink exactly once: 0 lost, 0 duplicated. At Kafka: as read with
# isolation.level=read_committed, counting only committed transactions,
# which wt-kafka-check --txn-offsets tells from the sink's offsets topic
# (the mock cluster writes no transaction markers; see wt_kafka_check.c),
# and a negative control shows that check fails on a duplicate.
#
# Copytruncate loses for real what the old generation held past the
# daemon's position (the copy is named a.log.N, outside the input glob, as
# on a proxy); the test rotates only once the daemon has read the whole
# file, so every loss counted is the exporter's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

SEED=${WT_CRASH_SEED:-12}
KILLS=${WT_CRASH_KILLS:-24}
SSE=${CRASH_SSE:-1}
KAFKA=${CRASH_KAFKA:-1}
NAMED=${CRASH_NAMED:-1} # 0: no WT_CRASH_AT (to measure a binary without crash points)
RANDOM=$SEED
A=$T/logs/a.log
CFG=$T/cfg.json
OUT0=$T/out0.ndjson
OUT1=$T/out1.ndjson.zst
PORT=$(free_port) || fail "no free port"
log "seed $SEED, $KILLS kills, sse=$SSE, kafka=$KAFKA"

if [ "$SSE" = 1 ]; then
    start_sse
    SSE_SINK=", {\"type\": \"sse\", \"name\": \"sse0\", \"url\": \"$SSE_URL\", \"retry\": {\"base\": \"50ms\", \"cap\": \"300ms\"}}"
else
    SSE_SINK=
fi
if [ "$KAFKA" = 1 ]; then
    start_mock 6
    KAFKA_SINK=", {\"type\": \"kafka\", \"name\": \"kafka0\", \"brokers\": \"$BOOT\", \"topic\": \"wt\", \"exactly_once\": true}"
else
    KAFKA_SINK=
fi
cat >"$CFG" <<EOF
{
  "state_dir": "$T/state",
  "inputs": [{"path": "$T/logs/*.log"}],
  "sinks": [{"type": "file", "name": "file0", "path": "$OUT0", "compress": "none"},
            {"type": "file", "name": "file1", "path": "$OUT1", "compress": "zstd"}$SSE_SINK$KAFKA_SINK],
  "batch": {"linger": "100ms", "max_events": 300},
  "checkpoint_interval": "300ms",
  "scan_interval": "1s",
  "rotate_wait": "1s",
  "metrics": {"listen": "127.0.0.1:$PORT"}
}
EOF
[ "$SSE" = 1 ] && sse_register "$CFG"
: >"$A"

rand_ms() { echo "$((RANDOM % $1))"; } # 0..$1-1
sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }

# A start that may die by itself at a crash point: wait for it to run or die.
start_maybe_crashing() {
    NSTART=$((NSTART + 1))
    echo "======== test: start #$NSTART ${WT_CRASH_AT:+(WT_CRASH_AT=$WT_CRASH_AT)} ========" >>"$DLOG"
    DLOG_FROM=$(($(wc -l <"$DLOG") + 1))
    "$WT" run -c "$CFG" >/dev/null 2>>"$DLOG" &
    DPID=$!
    bg_track "$DPID"
}
ready_or_dead() { ! alive "$DPID" || daemon_ready; }
# What moves while the daemon works: its CPU time, its log, its state and
# what the sinks received. The waits below follow it (wait_progress: the
# deadline restarts on every change), so a machine slowed down by a
# parallel build never times them out, and a stuck daemon still does. The
# writer's position is not in it: it moves while the daemon is stuck.
daemon_progress() {
    local cpu=0
    if [ -n "$DPID" ] && [ -r "/proc/$DPID/stat" ]; then
        cpu=$(sed 's/^.*) //' "/proc/$DPID/stat" 2>/dev/null | cut -d' ' -f12,13)
    fi
    echo "$cpu $(wc -c <"$DLOG") $(du -sb "$T/state" 2>/dev/null | cut -f1)" \
        "$(stat -c %s "$OUT0" "$OUT1" 2>/dev/null | tr '\n' ' ')"
}
# dwait DESC CMD: wait for CMD (a shell command line, eval'd) while the
# daemon makes progress.
dwait() {
    wait_progress "$1" "eval $2" daemon_progress
}
kill_now() {
    if [ -n "$DPID" ] && alive "$DPID"; then
        kill -KILL "$DPID" 2>/dev/null
    fi
    wait_exit "$DPID"
    DPID=
}
# The daemon has read (and spooled) everything written so far.
caught_up() {
    local lag
    lag=$(curl -s -m 5 "http://127.0.0.1:$PORT/metrics" | awk '$1 ~ /^wtexport_file_lag_bytes/ { s += $2 } END { print s + 0 }')
    [ "$lag" = 0 ] && [ "$(metric wtexport_paused)" = 0 ]
}

CRASH_POINTS=(spool-committed file-written cursor-sync checkpoint-write)
[ "$SSE" = 1 ] && CRASH_POINTS+=(sse-planned)
[ "$KAFKA" = 1 ] && CRASH_POINTS+=(kafka-produced)
NROT=0
WRITER_CHUNK=40 start_writer "$A" 1 1000000 host
declare -A KINDS=()
for k in $(seq 1 "$KILLS"); do
    kind=$((RANDOM % 7))
    case $kind in
    0) # right after start
        start_maybe_crashing
        dwait "start" ready_or_dead
        sleep_ms "$(rand_ms 150)"
        what="after start"
        ;;
    1 | 2) # backlog catch-up: down for a while, killed soon after the start
        sleep_ms $((300 + $(rand_ms 1500)))
        start_maybe_crashing
        sleep_ms $((50 + $(rand_ms 600)))
        what="during catch-up"
        ;;
    3) # rename rotation
        start_maybe_crashing
        dwait "start" ready_or_dead
        sleep_ms "$(rand_ms 500)"
        NROT=$((NROT + 1))
        mv "$A" "$T/logs/a-$NROT.log" && writer_reopen
        sleep_ms "$(rand_ms 1500)"
        what="around a rename rotation"
        ;;
    4) # copytruncate: once the daemon read everything
        start_maybe_crashing
        dwait "start" ready_or_dead
        if alive "$DPID"; then
            writer_pause
            dwait "the daemon to read all of a.log" '! alive $DPID || caught_up'
            NROT=$((NROT + 1))
            cp "$A" "$A.$NROT" && truncate -s 0 "$A"
            writer_resume
            sleep_ms "$(rand_ms 1200)"
        fi
        what="around a copytruncate"
        ;;
    5 | 6) # a named crash point
        if [ "$NAMED" = 0 ]; then
            start_maybe_crashing
            sleep_ms $((100 + $(rand_ms 1500)))
            kill_now
            KINDS["random moment"]=$((${KINDS["random moment"]:-0} + 1))
            log "kill $k/$KILLS: random moment (writer at $(writer_pos))"
            continue
        fi
        cp=${CRASH_POINTS[$((RANDOM % ${#CRASH_POINTS[@]}))]}
        WT_CRASH_AT="$cp:$((1 + RANDOM % 6))"
        export WT_CRASH_AT
        start_maybe_crashing
        unset WT_CRASH_AT
        dwait "the daemon to reach $cp" '! alive $DPID'
        what="at crash point $cp"
        ;;
    esac
    kill_now
    KINDS[$what]=$((${KINDS[$what]:-0} + 1))
    log "kill $k/$KILLS: $what (writer at $(writer_pos))"
done

# A copytruncate while the daemon is down, once it had read everything: the
# file is read from its start, with a log line, and nothing is lost.
start_maybe_crashing
dwait "start" daemon_ready
writer_pause
dwait "the daemon to read all of a.log" caught_up
kill_now
NROT=$((NROT + 1))
cp "$A" "$A.$NROT" && truncate -s 0 "$A"
writer_resume
sleep_ms 300
# And a truncation detected at run time, killed right there.
WT_CRASH_AT=tail-truncated
export WT_CRASH_AT
start_maybe_crashing
unset WT_CRASH_AT
dwait "start" ready_or_dead
dlog_has 'was truncated or replaced while wtexport was not running' ||
    check_fail "no log line for the copytruncate while the daemon was down"
log "ok: $(dlog | grep 'while wtexport was not running' | head -n 1 | cut -c 1-240)"
if alive "$DPID"; then
    writer_pause
    dwait "the daemon to read all of a.log" '! alive $DPID || caught_up'
    NROT=$((NROT + 1))
    cp "$A" "$A.$NROT" && truncate -s 0 "$A"
    writer_resume
    [ "$NAMED" = 0 ] && sleep_ms 500
    [ "$NAMED" = 0 ] || dwait "the daemon to die at tail-truncated" '! alive $DPID'
fi
kill_now
KINDS["truncated while down + tail-truncated"]=1

# The end: stop writing, let a clean daemon deliver everything.
: >"$WCTL.pause"
wait_for "writer to pause" test -e "$WCTL.paused"
LAST=$(($(writer_pos) - 1))
kill "$WRITER_PID" 2>/dev/null
wait "$WRITER_PID" 2>/dev/null
WRITER_PID=
start_daemon "$CFG"
# Kafka: once the other sinks hold everything it is all spooled; then
# nothing pending for kafka0 means its last transaction committed.
have_all() {
    [ "$(out_seqs "$OUT0" host | sort -u | wc -l)" -ge "$LAST" ] &&
        [ "$(zstd -dcq "$OUT1" 2>/dev/null | grep -c 'example.com/seq/')" -ge "$LAST" ] &&
        { [ "$SSE" != 1 ] || [ "$(sse_stat accepted_events)" -ge "$LAST" ]; } &&
        { [ "$KAFKA" != 1 ] || kafka_pending_none; }
}
dwait "every sink to hold seq 1..$LAST" have_all
stop_daemon

for kind in "${!KINDS[@]}"; do log "kills $kind: ${KINDS[$kind]}"; done
log "lines written: $LAST; daemon starts: $NSTART"
log "file0 duplicates/missing: $(seq_stats "$OUT0" 1 "$LAST" host)"
check_exactly_once "$OUT0" 1 "$LAST" host "file sink (NDJSON)"
zstd -dcq "$OUT1" >"$T/out1.ndjson" || fail "file1 is not a valid zstd stream"
check_exactly_once "$T/out1.ndjson" 1 "$LAST" host "file sink (zstd)"
if [ "$SSE" = 1 ]; then
    check_exactly_once "$SSE_EVENTS" 1 "$LAST" host "sse sink (events stored by the server)"
    keys_acked_at_most_once
fi
if [ "$KAFKA" = 1 ]; then
    seq 1 "$LAST" >"$T/seqs"
    kcheck --topic wt --key observable --expect-seq "$T/seqs" --txn-offsets wt.wtexport-offsets --timeout 60
    log "kafka: $(kcheck_field events) events read, $(kcheck_field uncommitted_events) of them in $(($(kcheck_field txns) - $(kcheck_field committed_txns))) of $(kcheck_field txns) transactions that did not commit (the mock hands them out)"
    assert_eq 0 "$(kcheck_field missing)" "kafka events lost (committed transactions)"
    assert_eq 0 "$(kcheck_field duplicates)" "kafka events duplicated (committed transactions)"
    assert_eq 0 "$(kcheck_field bad_txn)" "kafka offsets records out of order"
    assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit"
    # Negative control: a second exporter with its own state and
    # transactional.id ships the same lines again, in committed
    # transactions: the check must count them twice and fail. It also
    # reads the copytruncate copies (a.log.N; there is always one), so it
    # never has nothing to ship.
    sed -e "s|\"state_dir\": \"$T/state\"|\"state_dir\": \"$T/state2\"|" \
        -e 's|"exactly_once": true}|"exactly_once": true, "properties": {"transactional.id": "control"}}|' \
        -e "s|$OUT0|$T/c0.ndjson|; s|$OUT1|$T/c1.ndjson.zst|" "$CFG" |
        jq --arg copies "$T/logs/a.log.*" \
            '.sinks |= map(select(.type == "kafka")) | .inputs += [{"path": $copies}]' >"$T/cfg2.json"
    start_daemon "$T/cfg2.json"
    dwait "the control exporter to ship the logs again" \
        'kafka_acked_at_least 1 && caught_up && kafka_pending_none'
    CONTROL=$(kafka_acked)
    stop_daemon
    kcheck --topic wt --key observable --expect-seq "$T/seqs" --txn-offsets wt.wtexport-offsets --timeout 60
    [ "$KCHECK_RC" = 1 ] && [ "$(kcheck_field duplicates)" = "$CONTROL" ] ||
        check_fail "negative control: the check did not fail with the $CONTROL events shipped twice"
    log "ok: negative control fails (the control exporter shipped $CONTROL events again; duplicates=$(kcheck_field duplicates))"
fi
pass
