# shellcheck shell=bash
#
# kafka_lib.sh - helpers of the Kafka integration tests (test_kafka_*.sh),
# sourced after lib.sh. No broker needed: wt-kafka-mock runs librdkafka's
# mock cluster (3 brokers) and wt-kafka-check reads the topic back.
#
#   start_mock [PARTITIONS]   start the cluster (topic "wt"); sets BOOT
#   mock_cmd "CMD ..."        send one command (err/down/up/rtt/leader/topic)
#                             and wait for its "ok" answer
#   kafka_config FILE [SINK_MEMBERS] [TOP_MEMBERS]
#                             a config: inputs $T/logs/*.log, one kafka sink
#                             "kafka0" to $BOOT topic wt, metrics on $PORT
#   kafka_acked               events acked by the kafka sink (metric)
#   kafka_pending_none        the kafka sink acked all the spool holds
#   kcheck ARGS...            wt-kafka-check --bootstrap $BOOT ARGS; its
#                             summary line in KCHECK_OUT, status in KCHECK_RC
#   kcheck_field NAME         a field of that summary (missing=, ...)

KMOCK=$WT_BIN/wt-kafka-mock
KCHECK=$WT_BIN/wt-kafka-check
for tool in "$KMOCK" "$KCHECK"; do
    [ -x "$tool" ] || {
        echo "$TEST_NAME: no $tool (build tests/kafka)" >&2
        exit 1
    }
done

BOOT=
MOCK_PID=

start_mock() {
    local parts=${1:-6}
    mkfifo "$T/mock.cmd" || fail "mkfifo"
    # Read-write: opening never blocks, and the mock never sees end of input.
    exec 7<>"$T/mock.cmd"
    "$KMOCK" --brokers 3 --topic wt --partitions "$parts" --bootstrap-file "$T/mock.boot" \
        <"$T/mock.cmd" >"$T/mock.out" 2>"$T/mock.err" &
    MOCK_PID=$!
    bg_track "$MOCK_PID"
    wait_for "mock cluster to start" test -s "$T/mock.boot"
    BOOT=$(cat "$T/mock.boot")
    log "mock cluster: $BOOT ($parts partitions)"
}

mock_answers() { wc -l <"$T/mock.out"; }

mock_cmd() {
    local before
    before=$(mock_answers)
    echo "$*" >&7
    wait_for "mock to answer '$*'" eval "[ \$(mock_answers) -gt $before ]"
    local ans
    ans=$(tail -n 1 "$T/mock.out")
    case $ans in
    ok*) log "mock: $* -> $ans" ;;
    *) fail "mock command '$*': $ans" ;;
    esac
}

kafka_config() { # FILE [SINK_MEMBERS] [TOP_MEMBERS]
    local file=$1 sink=${2:-} top=${3:-}
    cat >"$file.tmp" <<EOF
{
  "state_dir": "$T/state",
  "inputs": [{"path": "$T/logs/*.log"}],
  "sinks": [{"type": "kafka", "brokers": "$BOOT", "topic": "wt"${sink:+, $sink}}],
  "batch": {"linger": "200ms", "max_events": 500},
  "scan_interval": "1s",
  "metrics": {"listen": "127.0.0.1:$PORT"}${top:+,
  $top}
}
EOF
    mv -f "$file.tmp" "$file"
}

kafka_acked() {
    metric_series wtexport_sink_events_total | awk '/sink="kafka0"/ { print $2; exit }'
}
kafka_acked_at_least() { [ "$(kafka_acked)" -ge "$1" ] 2>/dev/null; }
# Nothing in the spool that the kafka sink has not acked (with exactly_once:
# its last transaction committed).
kafka_pending_none() {
    [ "$(metric_series wtexport_spool_pending_bytes | awk '/sink="kafka0"/ { print $2; exit }')" = 0 ]
}
# What moves while a Kafka test makes progress: the writer and the acks.
kafka_progress() { echo "$(writer_pos) $(kafka_acked)"; }
# kwait DESC CMD...: wait for CMD with a deadline that restarts on progress.
kwait() {
    local desc=$1
    shift
    wait_progress "$desc" "$*" kafka_progress
}

KCHECK_OUT=
KCHECK_RC=
kcheck() {
    KCHECK_OUT=$("$KCHECK" --bootstrap "$BOOT" "$@" 2>"$T/kcheck.err")
    KCHECK_RC=$?
    log "wt-kafka-check $*: $KCHECK_OUT (exit $KCHECK_RC)"
    if [ -s "$T/kcheck.err" ]; then
        sed 's/^/    | /' "$T/kcheck.err" | head -n 12 >&2
    fi
}
kcheck_field() { echo "$KCHECK_OUT" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
