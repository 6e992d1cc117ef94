#!/usr/bin/env bash
# test_kafka_ship.sh - the Kafka sink end to end against librdkafka's mock
# cluster (3 brokers, wt-kafka-mock), read back with wt-kafka-check:
#   1. replay, message=event, key=observable: every event once, its key
#      the first observable, headers wtexport-host / -format-version;
#   2. run (tailing a growing file), key=client_ip, on a second topic;
#   3. replay, message=batch, key=none, on a third topic: every batch one
#      NDJSON message;
#   4. check-config reports a bad property with librdkafka's message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

N=3000
start_mock 6
seq 1 "$N" >"$T/seqs"
gen_lines 1 "$N" >"$T/logs/a.log"

# --- 1. replay, one message per event, key = first observable ---------------
kafka_config "$T/c1.json"
"$WT" replay -c "$T/c1.json" "$T/logs/a.log" 2>"$T/replay1.err"
rc=$?
[ "$rc" = 0 ] || {
    cat "$T/replay1.err" >&2
    fail "replay to kafka: exit $rc"
}
grep -q "events=$N batches=" "$T/replay1.err" || fail "replay summary: $(grep events= "$T/replay1.err")"
grep -q 'sink.kafka.*producing to topic wt' "$T/replay1.err" || fail "no 'producing to' line"
kcheck --topic wt --key observable --expect-seq "$T/seqs" --dump "$T/wt.ndjson" --timeout 30
assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit (event, observable)"
assert_eq "$N" "$(kcheck_field messages)" "messages (event mode)"
assert_eq 0 "$(kcheck_field duplicates)" "duplicates without faults"
check_exactly_once "$T/wt.ndjson" 1 "$N" host "consumed events"
# The observable key is the client IP here (first observable): spot-check one.
grep -q '"client_ip":"10.0.0.7".*"observables":\[{"type":"ip","value":"10.0.0.7"}' "$T/wt.ndjson" ||
    fail "event 7 not as expected in the topic"

# --- 2. run (tail), key = client_ip ----------------------------------------
mock_cmd topic wt2 4
kafka_config "$T/c2.json" '"key": "client_ip"'
sed -i 's/"topic": "wt"/"topic": "wt2"/' "$T/c2.json"
: >"$T/logs/b.log"
CFG_GLOB=
start_daemon "$T/c2.json"
start_writer "$T/logs/b.log" 1 1000 tail
wait_writer
# a.log is shipped again by run (no checkpoint yet): N + 1000 events in all.
wait_for "kafka sink to ack every event" kafka_acked_at_least $((N + 1000))
healthz_ok || fail "/healthz not ok while delivering"
stop_daemon
seq 1 1000 >"$T/seqs2"
kcheck --topic wt2 --key client_ip --dump "$T/wt2.ndjson" --timeout 30
assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit (client_ip)"
assert_eq $((N + 1000)) "$(kcheck_field events)" "events on wt2"
check_exactly_once "$T/wt2.ndjson" 1 1000 tail "tailed events"

# --- 3. replay, one message per batch, no key ------------------------------
mock_cmd topic wt3 3
kafka_config "$T/c3.json" '"key": "none", "message": "batch"'
sed -i -e 's/"topic": "wt"/"topic": "wt3"/' -e 's/"max_events": 500/"max_events": 500, "max_bytes": "256KiB"/' "$T/c3.json"
rm -rf "$T/state"
"$WT" replay -c "$T/c3.json" "$T/logs/a.log" 2>"$T/replay3.err" || {
    cat "$T/replay3.err" >&2
    fail "replay (message=batch) failed"
}
kcheck --topic wt3 --key none --message batch --expect-seq "$T/seqs" --timeout 30
assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit (batch, none)"
batches=$(grep -o 'acked_batches=[0-9]*' "$T/replay3.err" | cut -d= -f2)
assert_eq "$batches" "$(kcheck_field messages)" "one message per batch"
assert_eq "$N" "$(kcheck_field events)" "events in batch messages"
# The batch mode's size rule is checked at config time.
kafka_config "$T/c4.json" '"message": "batch"'
out=$("$WT" check-config -c "$T/c4.json" 2>&1)
echo "$out" | grep -q 'sinks\[0\].message: "batch" needs batch.max_bytes' ||
    fail "message=batch with 1MiB batches not refused: $out"

# --- 4. bad property: librdkafka's own message ------------------------------
kafka_config "$T/c5.json" '"properties": {"linger.ms": 5, "acks": "some", "no.such.thing": 1}'
out=$("$WT" check-config -c "$T/c5.json" 2>&1)
rc=$?
assert_eq 2 "$rc" "check-config exit on bad properties"
echo "$out" | grep -q 'sinks\[0\].properties.acks: Invalid value for configuration property "request.required.acks"' ||
    fail "bad acks not reported: $out"
echo "$out" | grep -q 'sinks\[0\].properties.no.such.thing: No such configuration property: "no.such.thing"' ||
    fail "unknown property not reported: $out"
pass
