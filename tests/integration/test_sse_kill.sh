#!/usr/bin/env bash
# test_sse_kill.sh - at-least-once across crashes: `wtexport run` tails a
# growing log into wt-sse-server (which answers slowly, so uploads are in
# flight) and is killed with SIGKILL mid-stream, twice (once during an
# outage, with parts waiting out their backoff). After each restart it
# resumes from its checkpoints. In the end every event is stored at least
# once, and the server accepted no Idempotency-Key twice (a part sent again
# with the same bytes is answered 409; with other bytes it has another key).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"

N=6000
start_sse --latency 30
sse_config "$T/c.json" '"retry": {"base": "50ms", "cap": "300ms"}'
sse_register "$T/c.json"
: >"$T/logs/a.log"
start_daemon "$T/c.json"
start_writer "$T/logs/a.log" 1 "$N" host

# 1. Killed while uploading.
stored_at_least() { [ "$(sse_stat accepted_events)" -ge "$1" ]; }
wait_for "some events stored" stored_at_least 1000
wait_for "requests in flight" eval '[ "$(sse_stat in_flight)" -ge 1 ]'
kill_daemon
log "killed at writer position $(writer_pos), $(sse_stat accepted_events) events stored"
start_daemon "$T/c.json"

# 2. Killed during an outage (the server restarts with 40 scripted 503s).
wait_for "writer past 3500" writer_past 3500
stop_sse
start_sse --latency 30 --script "$(printf '503,%.0s' $(seq 1 39))503"
# The new server does not know the device: register it again.
rm -f "$T/state/sse-sse0.json"
sse_register "$T/c.json"
sleep 1
kill_daemon
log "killed at writer position $(writer_pos) during the outage (script at $(sse_stat script_pos)/40)"
start_daemon "$T/c.json"

wait_writer
# Events stored by the first server and by the second one, together.
cp "$SSE_EVENTS" "$T/events-all.ndjson"
all_there() {
    cat "$SSE_EVENTS" >"$T/events-all.ndjson"
    read -r missing _ < <(seq_stats "$T/events-all.ndjson" 1 "$N" host)
    [ "$missing" = 0 ]
}
WT_WAIT_DEADLINE=60 wait_for "every event stored at least once" all_there
stop_daemon
read -r missing dups extra total < <(seq_stats "$T/events-all.ndjson" 1 "$N" host)
assert_eq 0 "$missing" "events missing after two SIGKILLs"
assert_eq 0 "$extra" "events that were never written"
log "duplicates after two SIGKILLs: $dups of $total (at-least-once)"
keys_acked_at_most_once
check_no_secrets "$DLOG" "$T/register.out" "$T/register.err"
pass
