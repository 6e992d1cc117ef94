#!/usr/bin/env bash
# test_ctia_faults.sh - the CTIA sink under the server's faults: 503 with
# Retry-After (the sink pauses), 500, a reset connection, a hung request
# (transaction_timeout: sent again as two halves), a 413 (split in two
# halves); the access token cached across imports, then revoked by the
# server (401: a new token, the bundle again, once); a 400 for a bundle
# (dead-lettered with the answer, never the secret). In the end the counts
# of the sightings created plus those dead-lettered add up to the events'
# observables exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctia_lib.sh"

start_ctia --script "503:1,500,reset,hang,200,413,200,200,400"
ctia_config "$T/c.json" '"max_entities": 200, "concurrency": 1, "transaction_timeout": "2s", "retry": {"base": "50ms", "cap": "200ms"}'
: >"$T/logs/a.log"
write_aged "$T/logs/a.log" 1 600 400
write_aged "$T/logs/a.log" 601 600 340
N=1200
start_daemon "$T/c.json"

dead_count() {
    cat "$T"/state/dead-letter/ctia-ctia0/*.ndjson 2>/dev/null | jq -s 'map(.count) | add // 0'
}
all_counted() { [ $(($(ctia_stat count_created) + $(dead_count))) = $((3 * N)) ]; }
WT_WAIT_DEADLINE=60 wait_for "created + dead-lettered = 3 * $N" all_counted
wait_for "every record acked" eval '[ "$(ctia_metric wtexport_ctia_held_batches)" = 0 ]'
assert_eq 9 "$(curl -s "http://127.0.0.1:$CTIA_PORT/stats" | jq .script_pos)" "script steps used"
assert_eq 1 "$(ctia_stat by_status.503)" "503 answers"
assert_eq 1 "$(ctia_stat by_status.413)" "413 answers"
assert_eq 1 "$(ctia_stat by_status.400)" "400 answers"
sse_log_has() { dlog | grep -e "$1" >/dev/null; }
sse_log_has "Retry-After 1: no request for" || check_fail "no Retry-After pause logged"
sse_log_has "timed out after .*: two halves" || check_fail "no split after the hung request"
sse_log_has "split in two" || check_fail "no split logged"
[ "$(dead_count)" -gt 0 ] || check_fail "nothing dead-lettered after the 400"
jq -e '.status == 400 and (.response | length > 0)' "$T"/state/dead-letter/ctia-ctia0/*.reason >/dev/null ||
    check_fail "the .reason file lacks the status or the answer"
log "dead-lettered: $(dead_count) counted events; created: $(ctia_stat count_created)"
# max_entities 200: bundles are split to it (the server refuses more than 2000 with 400).
assert_ge "$(ctia_stat imports)" $(($(ctia_stat created) / 200)) "imports for $(ctia_stat created) sightings"

# Tokens: one for every import so far; revoked by the server, it costs one 401 and a retry.
assert_eq 1 "$(ctia_stat tokens_issued)" "tokens issued for $(ctia_stat imports) imports"
before=$(ctia_stat tokens_issued)
write_aged "$T/logs/a.log" 1201 300 280
N=1500
curl -s -X POST "http://127.0.0.1:$CTIA_PORT/ctia/expire-tokens" >/dev/null
WT_WAIT_DEADLINE=60 wait_for "created + dead-lettered = 3 * $N" all_counted
assert_eq 2 "$(ctia_stat tokens_issued)" "tokens issued after the revocation"
assert_eq 1 "$(ctia_stat unauthorized)" "401 answers (one retry with a new token)"
stop_daemon
check_no_ctia_secrets "$DLOG" "$T"/state/dead-letter/ctia-ctia0/* "$T/state/ctia-ctia0.json"
pass
