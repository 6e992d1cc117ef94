#!/usr/bin/env bash
# test_sse_register.sh - `wtexport register`, `deregister` and `status`
# against wt-sse-server:
#   - run refuses an sse sink that is not registered (exit 1, and says how);
#   - the token comes from a file or stdin, never argv (--token is refused);
#     a wrong token is refused with the server's reason;
#   - register stores device id + credential in <state_dir>/sse-<name>.json
#     (0600); a second register, and one for another region, are refused
#     with "deregister first"; run refuses a region that does not match;
#   - status shows region/url, device id, registration state and, with the
#     daemon running, its health and the sink's counters; "daemon not
#     reachable" without it;
#   - a credential file that is a symbolic link (even to a valid
#     credential) is refused by run and register, never followed, its
#     target untouched; a symlink planted as the part plan is not read and
#     is replaced by a new plan, its target untouched (issue 17);
#   - deregister deletes the device at the server and the file;
#   - the token and the credential appear in no output, log or /metrics.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"

start_sse
sse_config "$T/c.json"
cred_file=$T/state/sse-sse0.json
out=$T/cmd.out

# --- not registered --------------------------------------------------------------
"$WT" run -c "$T/c.json" >"$out" 2>&1
rc=$?
assert_eq 1 "$rc" "run exit when not registered"
grep -q "sink sse0: not registered: run 'wtexport register -c FILE --token-file PATH'" "$out" ||
    fail "run did not say how to register: $(cat "$out")"
"$WT" status -c "$T/c.json" >"$out" 2>&1
assert_eq 1 "$?" "status exit when not registered"
grep -q "registration:  not registered" "$out" || fail "status: $(cat "$out")"
grep -q "daemon: not reachable" "$out" || fail "status without a daemon: $(cat "$out")"

# --- the token never on the command line; a wrong one refused --------------------
"$WT" register -c "$T/c.json" --token "$SSE_TOKEN" >"$out" 2>&1
assert_eq 2 "$?" "register --token (usage error)"
echo "not-the-token" | "$WT" register -c "$T/c.json" --token-file - >"$out" 2>&1
assert_eq 1 "$?" "register exit with a wrong token"
grep -q "registration refused (HTTP 401): invalid registration token" "$out" ||
    fail "wrong token: $(cat "$out")"
[ ! -e "$cred_file" ] || fail "a credential file after a refused registration"
: | "$WT" register -c "$T/c.json" --token-file - >"$out" 2>&1
assert_eq 1 "$?" "register exit with an empty token"

# --- register, token on stdin ---------------------------------------------------
printf '  %s  \r\n' "$SSE_TOKEN" | "$WT" register -c "$T/c.json" --token-file - >"$T/reg.out" 2>&1
assert_eq 0 "$?" "register exit (token on stdin)"
cat "$T/reg.out" >>"$T/register.out"
assert_eq 600 "$(stat -c %a "$cred_file")" "credential file mode"
dev=$(jq -r .device_id "$cred_file")
grep -q "registered with url $SSE_URL .* as device $dev" "$T/reg.out" ||
    fail "register output: $(cat "$T/reg.out")"
assert_eq "$SSE_URL" "$(jq -r .url "$cred_file")" "url in the credential file"
assert_eq 1 "$(sse_stat devices)" "devices at the server"
[ -n "$(sse_cred)" ] || fail "no credential in $cred_file"

# --- registered already: refused, for the same or another endpoint -----------------
printf '%s\n' "$SSE_TOKEN" >"$T/tok"
"$WT" register -c "$T/c.json" --token-file "$T/tok" >"$out" 2>&1
assert_eq 1 "$?" "second register exit"
grep -q "already registered with url $SSE_URL (device $dev): deregister first" "$out" ||
    fail "second register: $(cat "$out")"
sed "s|\"url\": \"$SSE_URL\"|\"region\": \"eu\"|" "$T/c.json" >"$T/eu.json"
"$WT" register -c "$T/eu.json" --token-file "$T/tok" >"$out" 2>&1
assert_eq 1 "$?" "register exit for another region"
grep -q "already registered to another endpoint with url $SSE_URL (device $dev): deregister first: wtexport deregister -c $T/eu.json" "$out" ||
    fail "another region: $(cat "$out")"
cat "$out" >>"$T/register.err"
"$WT" run -c "$T/eu.json" >"$out" 2>&1
assert_eq 1 "$?" "run exit for a registration of another endpoint"
grep -q "registered with url $SSE_URL, but configured for region eu: run 'wtexport deregister -c FILE'" "$out" ||
    fail "run with another region: $(cat "$out")"
"$WT" status -c "$T/eu.json" >"$out" 2>&1
grep -q "not the configured endpoint: deregister first" "$out" || fail "status (eu): $(cat "$out")"
assert_eq 1 "$(sse_stat devices)" "devices at the server after the refusals"

# --- a symlinked credential file: refused, never followed -------------------------
mv "$cred_file" "$T/elsewhere.json"
ln -s "$T/elsewhere.json" "$cred_file"
sum=$(sha256sum <"$T/elsewhere.json")
"$WT" run -c "$T/c.json" >"$out" 2>&1
assert_eq 1 "$?" "run exit with a symlinked credential file"
grep -q "sink sse0: $cred_file: a symbolic link: refused" "$out" ||
    fail "run with a symlinked credential file: $(cat "$out")"
"$WT" register -c "$T/c.json" --token-file "$T/tok" >"$out" 2>&1
assert_eq 1 "$?" "register exit with a symlinked credential file"
grep -q "$cred_file: a symbolic link: refused" "$out" ||
    fail "register with a symlinked credential file: $(cat "$out")"
assert_eq "$sum" "$(sha256sum <"$T/elsewhere.json")" "the link's target"
[ -L "$cred_file" ] || fail "the link was replaced"
assert_eq 1 "$(sse_stat devices)" "devices at the server after the symlink refusals"
rm -f "$cred_file"
mv "$T/elsewhere.json" "$cred_file"

# --- status with the daemon running ----------------------------------------------
# (with a symlink planted as the part plan: not read, replaced by a new plan)
echo "keep me" >"$T/plan-target"
ln -s "$T/plan-target" "$T/state/sse-sse0.plan"
gen_lines 1 300 host >"$T/logs/a.log"
start_daemon "$T/c.json"
delivered() { [ "$(sse_stat accepted_events)" -ge 300 ]; }
wait_for "events delivered" delivered
"$WT" status -c "$T/c.json" >"$T/status.out" 2>&1
assert_eq 0 "$?" "status exit when registered"
cat "$T/status.out" >&2
grep -q "url:           $SSE_URL" "$T/status.out" || fail "status: no url"
grep -q "registration:  registered since 20" "$T/status.out" || fail "status: no registration"
grep -q "device id:     $dev" "$T/status.out" || fail "status: no device id"
grep -q "daemon: http://127.0.0.1:$PORT: healthy" "$T/status.out" || fail "status: no health"
grep -q 'wtexport_sink_events_total{sink="sse0",type="sse"} 300' "$T/status.out" ||
    fail "status: no sink counters"
curl -s -m 5 "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt"
stop_daemon
dlog_has "sse-sse0.plan: a symbolic link: refused .*: starting a new part plan" ||
    fail "no warning about the planted part plan link"
[ -f "$T/state/sse-sse0.plan" ] && [ ! -L "$T/state/sse-sse0.plan" ] ||
    fail "the planted part plan link was not replaced by a file"
assert_eq "keep me" "$(cat "$T/plan-target")" "the planted part plan link's target"

# --- deregister ---------------------------------------------------------------
"$WT" deregister -c "$T/c.json" >"$out" 2>&1
assert_eq 0 "$?" "deregister exit"
cat "$out" >>"$T/register.out"
grep -q "device $dev deregistered" "$out" || fail "deregister: $(cat "$out")"
[ ! -e "$cred_file" ] || fail "credential file still there after deregister"
assert_eq 0 "$(sse_stat devices)" "devices at the server after deregister"
assert_eq 1 "$(sse_stat deregistered)" "deregistrations at the server"
"$WT" deregister -c "$T/c.json" >"$out" 2>&1
assert_eq 0 "$?" "deregister exit when not registered"
grep -q "not registered" "$out" || fail "second deregister: $(cat "$out")"
# Now another region may be registered (not reachable here: the refusal is gone).
"$WT" register -c "$T/eu.json" --token-file "$T/tok" >"$out" 2>&1
grep -q "deregister first" "$out" && fail "still refused after deregister: $(cat "$out")"

# --- deregister when the server no longer knows the device ------------------------
sse_register "$T/c.json"
stop_sse
start_sse
"$WT" deregister -c "$T/c.json" >"$out" 2>&1
assert_eq 0 "$?" "deregister exit for a device unknown to the server"
grep -q "does not know device" "$out" || fail "deregister (unknown): $(cat "$out")"
[ ! -e "$cred_file" ] || fail "credential file kept for an unknown device"
cat "$out" >>"$T/register.out"

check_no_secrets "$DLOG" "$T/metrics.txt" "$T/status.out" "$T/register.out" "$T/register.err" \
    "$T/reg.out" "$SSE_LOG"
grep -rqF -- "$SSE_TOKEN" "$T/state" && fail "the token was stored in state_dir"
pass
