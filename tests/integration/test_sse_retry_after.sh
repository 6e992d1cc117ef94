#!/usr/bin/env bash
# test_sse_retry_after.sh - a Retry-After on a 429 or a 503 pauses the whole
# SSE sink: no request of any batch reaches the server before it. Checked on
# the server's own request log (arrival times in epoch ms) for:
#   1. delay-seconds, one request in flight (concurrency 1): the very next
#      request arrives no earlier than the answer + Retry-After;
#   2. delay-seconds, four in flight: after the answer, only requests already
#      on their way may arrive; then nothing until Retry-After;
#   3. an HTTP-date (wt-sse-server --retry-after-date).
# Every event is delivered in the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"

N=1000
gen_lines 1 "$N" host >"$T/in.log"

fresh() {
    stop_sse
    rm -rf "$T/state" "$SSE_EVENTS"
    : >"$SSE_LOG"
    SSE_PORT=
    start_sse "$@"
    sse_config "$T/c.json" "\"concurrency\": $CONC, \"retry\": {\"base\": \"20ms\", \"cap\": \"100ms\"}"
    sse_register "$T/c.json"
}

# Epoch ms of an ISO 8601 UTC stamp of the server log.
iso_ms() { date -u -d "$1" +%s%3N; }

# check_pauses GRACE_MS: for every answer that carried a Retry-After (a FAULT
# line "status 429|503 retry-after S"), no events request arrived between
# GRACE_MS after that answer and the end of its pause.
check_pauses() {
    local grace=$1 n=0 line t s key answered end early
    while read -r line t s key; do
        answered=$(iso_ms "$t")
        end=$((answered + s * 1000))
        # Requests logged after the answer (in flight or new), other than its own.
        early=$(awk -v after="$line" -v from="$((answered + grace))" -v to="$end" -v k="$key" '
            NR > after && $3 == "/v1/events" && $2 != "FAULT" {
                at = $10; sub(/^at=/, "", at)
                kk = $5; sub(/^key=/, "", kk)
                if (at + 0 >= from && at + 0 < to && kk != k) print kk " at " at
            }' "$SSE_LOG" | head -3)
        if [ -n "$early" ]; then
            check_fail "a request arrived during the ${s}s Retry-After pause after $t: $early"
            return 1
        fi
        # The part that got the 429/503 itself: its next attempt not before the end.
        early=$(awk -v ans="$answered" -v to="$end" -v k="key=$key" '
            $3 == "/v1/events" && $5 == k { at = $10; sub(/^at=/, "", at); if (at + 0 > ans && at + 0 < to) print at }' "$SSE_LOG" | head -1)
        [ -z "$early" ] || {
            check_fail "the paused part itself came back at $early, before $end"
            return 1
        }
        n=$((n + 1))
    done < <(awk '$2 == "FAULT" && $3 == "status" && $5 == "retry-after" { k = $9; sub(/^key=/, "", k); print NR, $1, $6, k }' "$SSE_LOG")
    assert_ge "$n" 1 "pauses checked"
}

# 1. Seconds, concurrency 1: strict (nothing else can be in flight).
CONC=1
SSE_BATCH_EVENTS=100
fresh --script "202,429:2,202,503:1"
replay_sse "$T/c.json" "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit (seconds, concurrency 1)"
check_exactly_once "$SSE_EVENTS" 1 "$N" host "seconds, concurrency 1"
check_pauses 0
sse_log_has "Retry-After 2: no request for" || fail "no pause logged"

# 2. Seconds, concurrency 4: requests sent before the answer may still land
#    within 150 ms; none after that until the pause ends.
CONC=4
fresh --script "202,202,503:2,202,202,202,429:1"
replay_sse "$T/c.json" "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit (seconds, concurrency 4)"
check_exactly_once "$SSE_EVENTS" 1 "$N" host "seconds, concurrency 4"
check_pauses 150

# 3. An HTTP-date.
CONC=1
fresh --retry-after-date --script "202,503:2,202,429:1"
replay_sse "$T/c.json" "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit (HTTP-date)"
check_exactly_once "$SSE_EVENTS" 1 "$N" host "HTTP-date"
check_pauses 0
grep -q "Retry-After [A-Z][a-z][a-z], " "$DLOG" || fail "no HTTP-date Retry-After in the log"

check_no_secrets "$DLOG" "$T/replay.out" "$T/register.out" "$T/register.err"
pass
