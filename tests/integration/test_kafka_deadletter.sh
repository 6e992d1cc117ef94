#!/usr/bin/env bash
# test_kafka_deadletter.sh - permanent delivery errors: the mock cluster
# refuses some Produce requests for good (TOPIC_AUTHORIZATION_FAILED, then
# MSG_SIZE_TOO_LARGE). The batches they hit go to the dead-letter directory
# (0700; the batch's NDJSON 0600 and a .reason JSON naming the librdkafka error),
# each is logged and counted (failed_batches), replay exits 1,
# and the topic plus the dead letters hold every event: nothing vanishes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

N=2000
start_mock 3
seq 1 "$N" >"$T/seqs"
gen_lines 1 "$N" >"$T/logs/a.log"

# replay_refused TOPIC ERROR: replay a.log to TOPIC while the next Produce
# request fails with ERROR; check the dead letters and that the topic plus
# the dead letters hold every event. Sets DL (the dead-letter dir).
replay_refused() {
    local topic=$1 error=$2
    DL=$T/dl-$topic
    [ "$topic" = wt ] || mock_cmd topic "$topic" 3
    kafka_config "$T/c-$topic.json" '"dead_letter": "'"$DL"'"'
    sed -i "s/\"topic\": \"wt\"/\"topic\": \"$topic\"/" "$T/c-$topic.json"
    # One request goes through first, so the producer has its id and metadata.
    mock_cmd err PRODUCE 1 "$error"
    "$WT" replay -c "$T/c-$topic.json" "$T/logs/a.log" 2>"$T/replay-$topic.err"
    local rc=$?
    DLOG=$T/replay-$topic.err
    assert_eq 1 "$rc" "$error: replay exit with dead-lettered batches"
    grep -q "sink.kafka.*refused for good: $error" "$DLOG" ||
        fail "$error: no log line for the refused batch"
    assert_eq 700 "$(stat -c %a "$DL")" "$error: dead-letter directory mode"
    local nd nr
    nd=$(find "$DL" -name 'kafka0-*-b*.ndjson' | wc -l)
    nr=$(find "$DL" -name 'kafka0-*-b*.reason' | wc -l)
    assert_ge "$nd" 1 "$error: dead-lettered batches"
    assert_eq "$nd" "$nr" "$error: one .reason per batch"
    grep -q "failed_batches=$nd" "$DLOG" || fail "$error: summary: $(grep failed_batches "$DLOG")"
    local f
    for f in "$DL"/*; do
        [ "$(stat -c %a "$f")" = 600 ] || fail "mode of $f: $(stat -c %a "$f")"
    done
    local r
    for r in "$DL"/*.reason; do
        jq -r .reason "$r" | grep -q "^$error: Broker: " || fail "$error: .reason: $(cat "$r")"
        assert_eq "$topic" "$(jq -r .topic "$r")" "$error: .reason names the topic"
        assert_eq "$error" "$(jq -r .error "$r")" "$error: .reason names the error"
    done

    kcheck --topic "$topic" --key observable --dump "$T/topic-$topic.ndjson" --timeout 30
    assert_eq 0 "$KCHECK_RC" "$error: wt-kafka-check exit (what was delivered is well-formed)"
    cat "$T/topic-$topic.ndjson" "$DL"/*.ndjson >"$T/all-$topic.ndjson"
    local missing dups extra total
    read -r missing dups extra total < <(seq_stats "$T/all-$topic.ndjson" 1 "$N" host)
    assert_eq 0 "$missing" "$error: events neither in the topic nor dead-lettered"
    assert_eq 0 "$extra" "$error: unexpected events"
    assert_eq 0 "$dups" "$error: events both delivered and dead-lettered"
    log "$error: delivered $(count_lines "$T/topic-$topic.ndjson"), dead-lettered" \
        "$(cat "$DL"/*.ndjson | wc -l) event(s) of $nd batch(es)"
}

# A message set too large for the broker: the batches it holds messages of.
replay_refused wt MSG_SIZE_TOO_LARGE
delivered=$(count_lines "$T/topic-wt.ndjson")
assert_ge "$delivered" 1 "MSG_SIZE_TOO_LARGE: events delivered around the refused request"
# No authorization on the topic: librdkafka fails every message queued for it.
replay_refused wt2 TOPIC_AUTHORIZATION_FAILED
pass
