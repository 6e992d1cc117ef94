#!/usr/bin/env bash
# test_sse_tls.sh - HTTPS to wt-sse-server with certificates from
# tests/sse_server/gen_certs.sh (a test CA; the server certificate names
# IP:127.0.0.1). With ca_file = that CA, registration and uploads work.
# With an unrelated CA, or the system CAs, the server is refused: register
# fails and the daemon logs a clear TLS verification error, stores nothing
# and reports the sink failing - verification is never turned off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"

certs=$T/certs
bash "$WT_SRC/tests/sse_server/gen_certs.sh" "$certs" >"$T/gen_certs.out" 2>&1 ||
    fail "gen_certs.sh failed: $(tail -n 5 "$T/gen_certs.out")"
SSE_SCHEME=https
SSE_CA=$certs/ca.pem
start_sse --tls-cert "$certs/server-chain.pem" --tls-key "$certs/server.key"

N=500
gen_lines 1 "$N" host >"$T/in.log"

# --- the right CA ----------------------------------------------------------------
sse_config "$T/c.json" "\"ca_file\": \"$certs/ca.pem\""
sse_register "$T/c.json"
replay_sse "$T/c.json" "$T/in.log"
assert_eq 0 "$REPLAY_RC" "replay exit over HTTPS"
check_exactly_once "$SSE_EVENTS" 1 "$N" host "over HTTPS"

# --- an unknown CA: register refused ---------------------------------------------
sse_config "$T/other.json" "\"ca_file\": \"$certs/other-ca.pem\""
sed -i "s|\"state_dir\": \"$T/state\"|\"state_dir\": \"$T/state2\"|" "$T/other.json"
printf '%s\n' "$SSE_TOKEN" >"$T/reg.token"
"$WT" register -c "$T/other.json" --token-file "$T/reg.token" >"$T/reg2.out" 2>"$T/reg2.err"
rc=$?
assert_eq 1 "$rc" "register exit with an unknown CA"
grep -q "TLS verification failed" "$T/reg2.err" || fail "register: no clear TLS error: $(cat "$T/reg2.err")"
grep -qi "certificate" "$T/reg2.err" || fail "register: the error does not name the certificate"
[ ! -e "$T/state2/sse-sse0.json" ] || fail "a credential file was written after a TLS failure"
log "register said: $(cat "$T/reg2.err")"

# --- an unknown CA: the daemon refuses the server --------------------------------
cp "$T/state/sse-sse0.json" "$T/keep.json"
sse_config "$T/bad.json" "\"ca_file\": \"$certs/other-ca.pem\""
before=$(sse_stat accepted_events)
gen_lines 10001 200 host >"$T/logs/a.log"
start_daemon "$T/bad.json"
wait_log "TLS verification failed" "a TLS verification error in the log"
unhealthy() { [ "$(healthz_code)" = 503 ]; }
wait_for "/healthz to report the failing sink" unhealthy
assert_eq "$before" "$(sse_stat accepted_events)" "events stored through an untrusted connection"
dlog | grep "TLS verification failed" | sed -n 1p | grep "set ca_file" >/dev/null ||
    fail "the TLS error does not say what to do"
log "daemon said: $(dlog | grep -m1 'TLS verification failed' | cut -c1-300)"
stop_daemon

# --- no ca_file: the system CAs do not know the test CA either --------------------
sse_config "$T/sys.json"
start_daemon "$T/sys.json"
wait_log "TLS verification failed" "a TLS verification error with the system CAs"
assert_eq "$before" "$(sse_stat accepted_events)" "events stored without a trusted CA"
stop_daemon

check_no_secrets "$DLOG" "$T/replay.out" "$T/register.out" "$T/register.err" "$T/reg2.err"
pass
