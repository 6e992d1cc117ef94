#!/usr/bin/env bash
# test_sse_status.sh - the SSE sink against wt-sse-server, one answer at a
# time, with `wtexport replay` (bounded runs):
#   202      every event delivered exactly once, zstd bodies, Idempotency-Key
#            "<device>-<batch>-<first line>-<lines>-<crc32c>"
#   409      acked as already stored: not sent again
#   400      the part goes to the dead-letter directory with the response and
#            reason (0600 files in a 0700 dir), counted, logged, never retried
#   401      the credential file is re-read and the request retried once
#   413      the part is split in halves until the server takes it; a single
#            event that is still too large is dead-lettered as "too large"
#   5xx past retry.max_duration: dead-lettered with that reason
# and, in every log, neither the token nor the credential.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"

N=600
gen_lines 1 "$N" host >"$T/in.log"

# A fresh server (ARGS) and a fresh registration with it.
fresh() {
    stop_sse
    rm -rf "$T/state" "$SSE_EVENTS"
    : >"$SSE_LOG"
    SSE_PORT=
    start_sse "$@"
    local dflt='"retry": {"base": "50ms", "cap": "500ms"}'
    sse_config "$T/c.json" "${SINK_EXTRA:-$dflt}"
    sse_register "$T/c.json"
}

dl_dir=$T/state/dead-letter/sse-sse0

# --- 202: plain delivery ------------------------------------------------------
fresh
replay_sse "$T/c.json" "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit (202)"
check_exactly_once "$SSE_EVENTS" 1 "$N" host "202"
dev=$(jq -r .device_id "$T/state/sse-sse0.json")
bad_keys=$(awk '$3 == "/v1/events" { sub(/^key=/, "", $5); print $5 }' "$SSE_LOG" |
    grep -cvE "^${dev}-[0-9]+-[0-9]+-[0-9]+-[0-9a-f]{8}\$")
assert_eq 0 "$bad_keys" "Idempotency-Keys not of the documented form"
# zstd: the bytes on the wire are a fraction of the NDJSON.
wire=$(awk '$3 == "/v1/events" { sub(/^bytes=/, "", $6); s += $6 } END { print s + 0 }' "$SSE_LOG")
raw=$(wc -c <"$SSE_EVENTS")
assert_lt "$((wire * 4))" "$raw" "request bytes x4 vs NDJSON bytes (zstd bodies)"
assert_eq 0 "$(sse_stat rejected)" "requests the server rejected"

# --- 409: already stored ------------------------------------------------------
fresh --script "409"
replay_sse "$T/c.json" "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit (409)"
assert_eq 1 "$(sse_stat by_status.409)" "409 answers"
# The 409'd part is not sent again: one request per accepted part, plus the 409.
assert_eq "$(($(sse_stat accepted_batches) + 1))" "$(sse_stat events_requests)" \
    "events requests (409 not retried)"
assert_eq "$((N - 200))" "$(sse_stat accepted_events)" "events stored besides the 409'd batch"

# --- 400: dead letter ---------------------------------------------------------
fresh --script "202,400"
replay_sse "$T/c.json" "$T/in.log"
# A batch with dead-lettered events is reported DEAD: replay says so.
assert_eq 1 "$REPLAY_RC" "replay exit (400: a batch was dead-lettered)"
assert_eq 1 "$(sse_stat by_status.400)" "400 answers"
assert_eq "$(sse_stat events_requests)" "$(($(sse_stat accepted_batches) + 1))" \
    "events requests (400 never retried)"
ls "$dl_dir"/*.ndjson >/dev/null 2>&1 || fail "no dead-letter file in $dl_dir"
reason=$(ls "$dl_dir"/*.reason | head -1)
assert_eq 400 "$(jq -r .status "$reason")" "dead-letter reason status"
jq -r .reason "$reason" | grep -q "400" || fail "reason without the status: $(cat "$reason")"
jq -r .response "$reason" | grep -q "scripted" || fail "reason without the response: $(cat "$reason")"
dev=$(jq -r .device_id "$T/state/sse-sse0.json")
jq -r .idempotency_key "$reason" | grep -q "^$dev-" || fail "reason without the key"
assert_eq 600 "$(stat -c %a "$(ls "$dl_dir"/*.ndjson | head -1)")" "dead-letter file mode"
assert_eq 600 "$(stat -c %a "$reason")" "reason file mode"
assert_eq 700 "$(stat -c %a "$dl_dir")" "dead-letter dir mode"
sse_log_has "dead-lettered to $dl_dir" || fail "no log line for the dead-lettered events"
# Nothing lost: stored + dead-lettered = every event, once.
cat "$SSE_EVENTS" "$dl_dir"/*.ndjson >"$T/all.ndjson"
check_exactly_once "$T/all.ndjson" 1 "$N" host "400: stored + dead-lettered"
assert_eq 200 "$(cat "$dl_dir"/*.ndjson | wc -l)" "events dead-lettered"

# --- 401: re-read the credential, retry once ----------------------------------
fresh --fail-auth-once
replay_sse "$T/c.json" "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit (401)"
assert_eq 1 "$(sse_stat by_status.401)" "401 answers"
check_exactly_once "$SSE_EVENTS" 1 "$N" host "401"
sse_log_has "credential refused (HTTP 401): re-read" || fail "no log line for the re-read"

# --- 413: split until it fits -------------------------------------------------
fresh --max-events-bytes 20K
replay_sse "$T/c.json" "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit (413)"
assert_ge "$(sse_stat by_status.413)" 1 "413 answers"
check_exactly_once "$SSE_EVENTS" 1 "$N" host "413"
sse_log_has "split into" || fail "no split logged"
# Every part accepted was at most 20 KiB of NDJSON (the server's own count of
# the decompressed bytes; the events per part vary with where batches were cut).
big=$(awk '$3 == "/v1/events" && $4 == "202" { sub(/^raw=/, "", $11); if ($11 + 0 > 20480 || $11 == "") n++ } END { print n + 0 }' "$SSE_LOG")
assert_eq 0 "$big" "accepted parts over 20 KiB of NDJSON, or without raw="

# --- 413 for a single event: dead letter "too large" --------------------------
gen_lines 1 4 host >"$T/small.log"
fresh --max-events-bytes 100
replay_sse "$T/c.json" "$T/small.log"
assert_eq 1 "$REPLAY_RC" "replay exit (single events too large)"
assert_eq 0 "$(sse_stat accepted_events)" "events stored"
assert_eq 4 "$(cat "$dl_dir"/*.ndjson | wc -l)" "events dead-lettered as too large"
grep -l "too large" "$dl_dir"/*.reason >/dev/null || fail "no \"too large\" reason"

# --- retry.max_duration: a batch retried that long goes to the dead letters -----
SINK_EXTRA='"retry": {"base": "50ms", "cap": "200ms", "max_duration": "1s"}'
fresh --script "$(printf '503,%.0s' $(seq 1 199))503"
replay_sse "$T/c.json" "$T/in.log"
assert_eq 1 "$REPLAY_RC" "replay exit (retry.max_duration)"
cat "$SSE_EVENTS" "$dl_dir"/*.ndjson >"$T/all.ndjson" 2>/dev/null
check_exactly_once "$T/all.ndjson" 1 "$N" host "retry.max_duration: stored + dead-lettered"
grep -l "retry.max_duration (1000 ms) exceeded; last: HTTP 503" "$dl_dir"/*.reason >/dev/null ||
    fail "no retry.max_duration reason: $(cat "$dl_dir"/*.reason | head -20)"
unset SINK_EXTRA

check_no_secrets "$DLOG" "$T/replay.out" "$T/register.out" "$T/register.err" "$SSE_LOG"
pass
