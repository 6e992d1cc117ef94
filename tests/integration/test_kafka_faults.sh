#!/usr/bin/env bash
# test_kafka_faults.sh - no loss while the cluster misbehaves: `wtexport run`
# tails a growing log into the mock cluster while Produce requests fail
# (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS, a
# dropped connection), one broker goes down and comes back, then every
# broker does (the sink reports failing on /healthz meanwhile, and reading
# pauses on backpressure instead of erroring). Afterwards every event is in
# the topic at least once, and nothing was dead-lettered.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

N=20000
start_mock 6
seq 1 "$N" >"$T/seqs"
# Small queues: with every broker down, librdkafka's local queue fills
# (QUEUE_FULL), then the disk spool (64 KiB: the ~17000 lines written while
# the brokers are down do not fit), then the pipeline's queue (1 MiB of
# 64 KiB batches): reading pauses.
kafka_config "$T/c.json" '"properties": {"queue.buffering.max.messages": 300}' \
    '"queue": {"max_bytes": "1MiB"}, "spool": {"max_bytes": "64KiB", "segment_bytes": "16KiB"}'"${KTEST_TOP:+, $KTEST_TOP}"
sed -i 's/"max_events": 500/"max_events": 500, "max_bytes": "64KiB"/' "$T/c.json"
: >"$T/logs/a.log"
start_daemon "$T/c.json"
WRITER_CHUNK=20 start_writer "$T/logs/a.log" 1 "$N" host

kwait "writer past 500" writer_past 500
mock_cmd err PRODUCE 25 NOT_LEADER_FOR_PARTITION
mock_cmd err PRODUCE 10 REQUEST_TIMED_OUT
mock_cmd err PRODUCE 10 NOT_ENOUGH_REPLICAS
mock_cmd err PRODUCE 3 _TRANSPORT
kwait "writer past 1500" writer_past 1500
mock_cmd down 2
sleep 2
mock_cmd up 2
kwait "writer past 3000" writer_past 3000

# Every broker down: nothing is delivered, the sink says so, reading pauses.
mock_cmd down -1
WT_WAIT_DEADLINE=60 wait_for "/healthz to report the failing sink" eval '! healthz_ok'
log "healthz while all brokers are down: $(healthz_code)"
wait_for "reading to pause (backpressure)" metric_is wtexport_paused 1
sleep 2
assert_alive "all brokers down"
mock_cmd up -1
WT_WAIT_DEADLINE=60 wait_for "/healthz ok again" healthz_ok

wait_writer
kwait "reading to resume" metric_is wtexport_paused 0
kwait "kafka sink to ack every event" kafka_acked_at_least "$N"
assert_eq 0 "$(metric_series wtexport_sink_errors_total | awk '/sink="kafka0"/ { print $2 }')" \
    "batches dead-lettered"
[ ! -d "$T/state/dead-letter" ] || [ -z "$(ls -A "$T/state/dead-letter")" ] ||
    fail "dead-letter files: $(ls "$T/state/dead-letter")"
stop_daemon

kcheck --topic wt --key observable --expect-seq "$T/seqs" --timeout 60
assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit"
assert_eq 0 "$(kcheck_field missing)" "events missing after the faults"
log "duplicates after the faults: $(kcheck_field duplicates)"
pass
