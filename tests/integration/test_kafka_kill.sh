#!/usr/bin/env bash
# test_kafka_kill.sh - at-least-once across a crash: `wtexport run` tails a
# growing log into the mock cluster and is killed with SIGKILL mid-stream
# (twice: once while delivering normally, once while a broker is down and
# messages wait in librdkafka's queue); after each restart it resumes from
# its checkpoints. At the end every event is in the topic at least once
# (duplicates are allowed and reported).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

N=8000
start_mock 6
seq 1 "$N" >"$T/seqs"
kafka_config "$T/c.json"
: >"$T/logs/a.log"
start_daemon "$T/c.json"
start_writer "$T/logs/a.log" 1 "$N" host

# 1. Killed while delivering.
kwait "some events acked" kafka_acked_at_least 1000
kill_daemon
log "killed at writer position $(writer_pos)"
start_daemon "$T/c.json"

# 2. Killed while one broker is down (its partitions' messages are queued).
kwait "writer past 5000" writer_past 5000
mock_cmd down 1
sleep 1
kill_daemon
log "killed at writer position $(writer_pos), broker 1 down"
mock_cmd up 1
start_daemon "$T/c.json"

wait_writer
# The checker reads the topic again as it grows until every seq is there.
kcheck --topic wt --key observable --expect-seq "$T/seqs" --timeout 90
stop_daemon
assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit"
assert_eq 0 "$(kcheck_field missing)" "events missing after two SIGKILLs"
log "duplicates after two SIGKILLs: $(kcheck_field duplicates) (at-least-once)"
pass
