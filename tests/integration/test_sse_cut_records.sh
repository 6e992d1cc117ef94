#!/usr/bin/env bash
# test_sse_cut_records.sh - `wtexport run` into SSE with spool records
# larger than a part (issue 12, point 9). The spool hands the SSE sink zstd
# frames only; a record sent whole is never decompressed, a record larger
# than the part size is decompressed to be cut. Records of 4000 events
# (~1.3 MiB of NDJSON) against the first part size (256 KiB) are cut; the
# daemon is killed with SIGKILL at the crash point sse-planned (a plan
# entry written, the part not sent) and at random moments while the server
# answers slowly, and restarted: every event reaches the server exactly
# once, and the re-sent parts get 409.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"

RANDOM=${WT_CRASH_SEED:-7}
N=40000
PORT=$(free_port) || fail "no free port"
start_sse --latency 40
SSE_BATCH_EVENTS=4000 SSE_LOG_LEVEL=info sse_config "$T/c.json" \
    '"name": "sse0", "concurrency": 2, "retry": {"base": "50ms", "cap": "300ms"}'
sse_register "$T/c.json"
gen_lines 1 "$N" host >"$T/logs/a.log"

start_crashing() { # WT_CRASH_AT value or empty
    NSTART=$((NSTART + 1))
    echo "======== test: start #$NSTART ${1:+(WT_CRASH_AT=$1)} ========" >>"$DLOG"
    DLOG_FROM=$(($(wc -l <"$DLOG") + 1))
    WT_CRASH_AT=$1 "$WT" run -c "$T/c.json" >/dev/null 2>>"$DLOG" &
    DPID=$!
    bg_track "$DPID"
}
for cp in sse-planned:2 sse-planned:5 ""; do
    start_crashing "$cp"
    if [ -n "$cp" ]; then
        WT_WAIT_DEADLINE=60 wait_for "the daemon to reach $cp" eval '! alive $DPID'
    else
        sleep "0.$((3 + RANDOM % 5))"
    fi
    kill_daemon
    log "after kill ($cp): server $(sse_stat accepted_events) events, $(sse_stat duplicate_batches) answered 409"
done
start_daemon "$T/c.json"
WT_WAIT_DEADLINE=120 wait_for "the server to hold $N events" eval '[ "$(sse_stat accepted_events)" -ge $N ]'
stop_daemon
check_exactly_once "$SSE_EVENTS" 1 "$N" host "sse sink, cut records, kills"
# Records of 4000 events: 10 of them; more requests than records means some were cut.
parts=$(awk '$3 == "/v1/events" && ($4 == "202" || $4 == "409")' "$SSE_LOG" | wc -l)
assert_ge "$parts" 11 "requests for 10 records (some cut into parts)"
whole=$(awk '$3 == "/v1/events" && $4 == "202" && $7 == "events=4000"' "$SSE_LOG" | wc -l)
log "requests: $parts; whole records: $whole; 409: $(sse_stat duplicate_batches)"
pass
