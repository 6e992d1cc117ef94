#!/usr/bin/env bash
# test_kafka_exactly_once.sh - `wtexport run` with a kafka sink and
# "exactly_once": true, end to end against librdkafka's mock cluster:
#   1. lines tailed from a growing file reach the topic in transactions:
#      read with isolation.level=read_committed (wt-kafka-check
#      --txn-offsets: committed transactions only), every event exactly
#      once, no message outside a committed transaction;
#   2. a restart resumes from the offsets topic: with the sink's spool
#      cursor gone (a lost cursor write: the spool hands the sink every
#      record it still holds), the sink reads its committed position back,
#      acks those records without producing them, and ships only the new
#      lines: the topic holds each event once, not one message more.
#   3. a SIGKILL between a transaction's offsets record and its commit
#      (crash point kafka-produced), then a restart: still exactly once
#      (the mock cluster keeps the killed transaction, the restart reads
#      its offsets record back as committed and does not send it again; a
#      real broker would abort it at the restart's init_transactions, and
#      the sink, not reading it back, sends its records again);
#   4. a commit refused with an abortable error (EndTxn answers
#      UNKNOWN_PRODUCER_ID): the sink aborts and sends the batches again in
#      a new transaction; the aborted attempt, offsets record included,
#      stays visible in the mock and the check leaves it out (its
#      successor's "prev" does not name it): exactly once.
#   5. two replay jobs of one file with exactly_once: both ship every
#      event (a job's committed position covers no other job's batches);
#   6. a replay killed at kafka-produced and run again: the re-run skips
#      what the killed run's transaction holds; exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

N1=3000 N2=2000 N3=1500
OFFSETS=wt.wtexport-offsets
start_mock 6
kafka_config "$T/c.json" '"name": "kafka0", "exactly_once": true'
# Every line of the log read (and spooled), and acked by the kafka sink.
shipped() {
    local lag
    lag=$(metric_series wtexport_file_lag_bytes | awk '{ s += $2; n++ } END { print n ? s : -1 }')
    [ "$lag" = 0 ] && kafka_acked_at_least 1 && kafka_pending_none
}
# kcheck_exact LAST WHAT: the topic holds seq 1..LAST once each, in
# committed transactions, and nothing else.
kcheck_exact() {
    seq 1 "$1" >"$T/seqs"
    kcheck --topic wt --key observable --expect-seq "$T/seqs" --txn-offsets "$OFFSETS" --timeout 60
    assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit ($2)"
    assert_eq 0 "$(kcheck_field missing)" "events missing ($2)"
    assert_eq 0 "$(kcheck_field duplicates)" "events duplicated ($2)"
    assert_eq "$1" "$(kcheck_field events)" "events in the topic, committed or not ($2)"
    assert_eq 0 "$(kcheck_field uncommitted_events)" "events of uncommitted transactions ($2)"
}

# --- 1. run, tailing a growing file ------------------------------------------
: >"$T/logs/a.log"
start_daemon "$T/c.json"
start_writer "$T/logs/a.log" 1 "$N1" host
wait_writer
kwait "the kafka sink to ship $N1 lines" shipped
stop_daemon
dlog_has "no position committed in $OFFSETS yet" || fail "no 'no position committed' line at the first start"
kcheck_exact "$N1" "first run"
log "ok: $(kcheck_field committed_txns) transactions committed"

# --- 2. a restart resumes from the offsets topic -----------------------------
CURSOR=$(find "$T/state" -name cursor-kafka0)
[ -n "$CURSOR" ] || fail "no spool cursor file for kafka0 in $T/state"
rm -f "$CURSOR"
gen_lines $((N1 + 1)) "$N2" >>"$T/logs/a.log"
start_daemon "$T/c.json"
kwait "the kafka sink to ship the new lines" shipped
stop_daemon
dlog_has "spool records up to [0-9]* are committed in $OFFSETS; resuming after them" ||
    fail "the restart did not read the committed position back"
dlog_has "already committed to Kafka: acked without producing it again" ||
    fail "the spool's old records were not acked as committed"
log "ok: $(dlog | grep -o 'spool records up to [0-9]* are committed' | head -n 1)"
kcheck_exact $((N1 + N2)) "restart without the spool cursor"

# --- 3. killed between the offsets record and the commit ---------------------
gen_lines $((N1 + N2 + 1)) "$N3" >>"$T/logs/a.log"
echo "======== test: start with WT_CRASH_AT=kafka-produced:1 ========" >>"$DLOG"
WT_CRASH_AT=kafka-produced:1 "$WT" run -c "$T/c.json" >/dev/null 2>>"$DLOG" &
DPID=$!
bg_track "$DPID"
wait_for "the daemon to die at kafka-produced" eval '! alive $DPID'
wait_exit "$DPID"
DPID=
grep -q "WT_CRASH_AT: crashing at a crash point" "$DLOG" || fail "the daemon did not die at the crash point"
start_daemon "$T/c.json"
kwait "the kafka sink to ship the rest" shipped
stop_daemon
seq 1 $((N1 + N2 + N3)) >"$T/seqs"
kcheck --topic wt --key observable --expect-seq "$T/seqs" --txn-offsets "$OFFSETS" --timeout 60
assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit (after the crash)"
assert_eq 0 "$(kcheck_field missing)" "events missing (after the crash)"
assert_eq 0 "$(kcheck_field duplicates)" "events duplicated (after the crash)"
log "ok: after the crash, $(kcheck_field uncommitted_events) events of uncommitted transactions left out"

# --- 4. a commit refused: abort, send again ----------------------------------
N4=1000
gen_lines $((N1 + N2 + N3 + 1)) "$N4" >>"$T/logs/a.log"
mock_cmd err 26 1 UNKNOWN_PRODUCER_ID
start_daemon "$T/c.json"
kwait "the kafka sink to ship the rest" shipped
stop_daemon
dlog_has "aborting the transaction and sending its batches again" || fail "no abort after the refused commit"
seq 1 $((N1 + N2 + N3 + N4)) >"$T/seqs"
kcheck --topic wt --key observable --expect-seq "$T/seqs" --txn-offsets "$OFFSETS" --timeout 60
assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit (after an abort)"
assert_eq 0 "$(kcheck_field missing)" "events missing (after an abort)"
assert_eq 0 "$(kcheck_field duplicates)" "events duplicated (after an abort)"
[ "$(kcheck_field uncommitted_events)" -ge "$N4" ] ||
    fail "the aborted attempt (at least $N4 events) is not left out: $KCHECK_OUT"
log "ok: the aborted transaction's $(kcheck_field uncommitted_events) events left out"

# --- 5. replay: each job ships everything ------------------------------------
# Two replay jobs of the same file (a fresh state each): the second is not
# skipped as "already committed" by the first job's position (batch ids of
# another job), and both run under <id>:replay, never the daemon's id.
N5=2000
mock_cmd topic wt5 4
gen_lines 1 "$N5" >"$T/r.log"
sed -e 's/"topic": "wt"/"topic": "wt5"/' -e "s|$T/state|$T/state5|" "$T/c.json" >"$T/c5.json"
for job in 1 2; do
    rm -rf "$T/state5"
    "$WT" replay -c "$T/c5.json" "$T/r.log" 2>"$T/replay$job.err" || fail "replay job $job: exit $?"
    grep -q "events=$N5 batches=\([0-9]*\) acked_batches=\1 failed_batches=0" "$T/replay$job.err" ||
        fail "replay job $job: $(grep 'events=' "$T/replay$job.err")"
done
seq 1 "$N5" >"$T/seqs"
kcheck --topic wt5 --key observable --expect-seq "$T/seqs" --timeout 60
assert_eq 0 "$(kcheck_field missing)" "events missing (two replay jobs)"
assert_eq $((2 * N5)) "$(kcheck_field events)" "events of two replay jobs"

# --- 6. replay killed between an offsets record and its commit, re-run -------
mock_cmd topic wt6 4
sed -e 's/"topic": "wt"/"topic": "wt6"/' -e "s|$T/state|$T/state6|" "$T/c.json" >"$T/c6.json"
WT_CRASH_AT=kafka-produced:1 "$WT" replay -c "$T/c6.json" "$T/r.log" 2>"$T/replay6a.err"
rc=$?
assert_eq 137 "$rc" "replay killed at kafka-produced: exit"
"$WT" replay -c "$T/c6.json" "$T/r.log" 2>"$T/replay6b.err" || fail "replay re-run: exit $?"
grep -q "already committed to Kafka: acked without producing it again" "$T/replay6b.err" ||
    fail "the re-run sent again what the killed run committed"
kcheck --topic wt6 --key observable --expect-seq "$T/seqs" --txn-offsets wt6.wtexport-offsets --timeout 60
assert_eq 0 "$KCHECK_RC" "wt-kafka-check exit (replay re-run)"
assert_eq 0 "$(kcheck_field missing)" "events missing (replay re-run)"
assert_eq 0 "$(kcheck_field duplicates)" "events duplicated (replay re-run)"
pass
