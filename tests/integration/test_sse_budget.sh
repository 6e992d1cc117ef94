#!/usr/bin/env bash
# test_sse_budget.sh - the transaction budget of the SSE sink.
#   1. A hanging server: the request runs into transaction_timeout (2 s) and
#      is sent again as two halves, which succeed; nothing is lost.
#   2. A slow server (wt-sse-server --rate: time proportional to the NDJSON
#      bytes): the first requests, sized before anything was measured, run
#      into the timeout or far past the budget (budget_fraction 0.25 of 2 s =
#      0.5 s); the sink halves them, measures the throughput and sizes later
#      requests to the budget: none of the second half times out, and the
#      last ones finish within it (with slack for the server's overhead).
# Both run replay with --no-state: with its state (the default), replay
# retries a timed-out part as it is, as `run` does (exactly once), and the
# halving on a timeout is replay --no-state's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"

sink='"transaction_timeout": "2s", "budget_fraction": 0.25, "retry": {"base": "50ms", "cap": "500ms"}'

# --- 1. hang -> timeout -> halves ----------------------------------------------
N=400
gen_lines 1 "$N" host >"$T/in.log"
SSE_BATCH_EVENTS=400
start_sse --script "hang"
sse_config "$T/c.json" "$sink, \"concurrency\": 1"
sse_register "$T/c.json"
replay_sse "$T/c.json" --no-state "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit (hang)"
check_exactly_once "$SSE_EVENTS" 1 "$N" host "after a hanging request"
sse_log_has "timed out after .* sending it again as two halves" || fail "no split after the timeout"
# The halves: 200 + 200 events, accepted.
halves=$(awk '$3 == "/v1/events" && $4 == "202" && $7 == "events=200"' "$SSE_LOG" | wc -l)
assert_eq 2 "$halves" "halves of 200 events accepted"
assert_eq 1 "$(sse_stat by_status.hang)" "hung requests"

# --- 2. slow server -> requests sized to the budget -----------------------------
stop_sse
rm -rf "$T/state" "$SSE_EVENTS"
: >"$SSE_LOG"
SSE_PORT=
N=2000
gen_lines 1 "$N" host >"$T/in2.log"
SSE_BATCH_EVENTS=2000
# 0.1 MB/s: the first request (256 KiB, sized blind) would need ~2.6 s.
start_sse --rate 0.1
sse_config "$T/c.json" "$sink, \"concurrency\": 2" '"batch": {"max_events": 2000, "max_bytes": "2MiB", "linger": "200ms"}, "queue": {"max_bytes": "64MiB"}'
sed -i 's/"batch": {"linger": "200ms", "max_events": 2000},//' "$T/c.json"
sse_register "$T/c.json"
replay_sse "$T/c.json" --no-state "$T/in2.log"
assert_eq 0 "$REPLAY_RC" "replay exit (slow server)"
# A request that timed out may still have been stored by the server (it is
# only slow): its halves then store the events again. At least once.
read -r missing dups extra total < <(seq_stats "$SSE_EVENTS" 1 "$N" host)
assert_eq 0 "$missing" "events missing (slow server)"
assert_eq 0 "$extra" "unexpected events (slow server)"
log "duplicates from requests stored after their timeout: $dups"
awk '$3 == "/v1/events" { print $4, $7, $8 }' "$SSE_LOG" >"$T/reqs"
log "requests (status events ms): $(tr '\n' ' ' <"$T/reqs")"
first_ms=$(head -1 "$T/reqs" | sed 's/.*ms=//')
assert_ge "$first_ms" 1000 "ms of the first request (far over the budget)"
nreq=$(wc -l <"$T/reqs")
late_bad=$(tail -n "$((nreq / 2))" "$T/reqs" | grep -vc '^202 ')
assert_eq 0 "$late_bad" "timeouts or errors in the second half of the requests"
# The last four requests: within the 0.5 s budget plus 50 % slack.
slow=$(tail -n 4 "$T/reqs" | awk '{ sub(/^ms=/, "", $3); if ($3 + 0 > 750) n++ } END { print n + 0 }')
assert_eq 0 "$slow" "late requests slower than 1.5 x the budget"
sse_log_has "over budget" || fail "no 'over budget' log line"
check_no_secrets "$DLOG" "$T/replay.out" "$T/register.out" "$T/register.err"
pass
