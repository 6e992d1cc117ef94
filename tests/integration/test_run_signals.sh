#!/usr/bin/env bash
# Signals of `wtexport run`:
#   SIGHUP, good config   privacy.strip_query true applies to later events
#   SIGHUP, bad config    (unknown key; then invalid JSON) error logged with
#                         the key path, the daemon keeps running with the
#                         old config (queries still stripped)
#   SIGUSR1               counters logged ("lines=...")
#   SIGTERM               exit 0, checkpoint at the end of the file
# and /healthz answers 200 throughout.
. "$(dirname "$0")/lib.sh"

CFG=$T/cfg.json
A=$T/logs/access.log
make_config "$CFG"
gen_lines 1 100 pre >"$A"
start_daemon "$CFG"
assert_eq 200 "$(healthz_code)" "/healthz while running"
wait_for "100 events before the reload" out_has_at_least "$DOUT" 100
assert_eq 100 "$(grep -c '"url":"http://pre\.example\.com/seq/[0-9]*?q=x"' "$DOUT")" \
    "events with their ?query before the reload (strip_query false)"

# urls of HOST's events that still have a query
with_query() { grep -c "\"url\":\"http://$1\.example\.com/seq/[0-9]*?" "$DOUT"; }
# urls of HOST's events without one
without_query() { grep -c "\"url\":\"http://$1\.example\.com/seq/[0-9]*\"" "$DOUT"; }

# --- SIGHUP with a good config: strip_query true
CFG_EXTRA='"privacy": {"strip_query": true}' make_config "$CFG"
kill -HUP "$DPID"
wait_log "reloaded $CFG" "the reload to be logged"
assert_alive "after SIGHUP (good config)"
gen_lines 1 100 post >>"$A"
wait_for "100 events after the reload" grep -q 'post.example.com/seq/100"' "$DOUT"
assert_eq 100 "$(without_query post)" "events without ?query after the reload"
assert_eq 0 "$(with_query post)" "events with ?query after the reload"
assert_eq 200 "$(healthz_code)" "/healthz after the reload"

# --- SIGHUP with a bad config (unknown key; it would also turn strip_query off)
cp "$CFG" "$T/good.json"
CFG_EXTRA='"privacy": {"strip_query": false}, "bogus_key": 1' make_config "$CFG"
kill -HUP "$DPID"
wait_log "keeping the running config" "the rejected reload to be logged"
dlog | grep 'bogus_key: unknown key' >/dev/null || fail "the reload error does not name the key: $(dlog | grep -i error)"
log "ok: rejected reload logged with the key path (bogus_key: unknown key)"
assert_alive "after SIGHUP (unknown key)"

# --- SIGHUP with invalid JSON
printf '{"state_dir": "%s", "inputs": [' "$T/state" >"$CFG.tmp" && mv -f "$CFG.tmp" "$CFG"
kill -HUP "$DPID"
wait_for "the second rejected reload to be logged" \
    eval '[ "$(dlog | grep -c "keeping the running config")" -ge 2 ]'
dlog | grep 'invalid JSON' >/dev/null || fail "the reload error does not say invalid JSON: $(dlog | grep -i error)"
log "ok: rejected reload of invalid JSON logged"
assert_alive "after SIGHUP (invalid JSON)"

gen_lines 1 100 bad >>"$A"
wait_for "100 events after the rejected reloads" grep -q 'bad.example.com/seq/100"' "$DOUT"
assert_eq 100 "$(without_query bad)" "events without ?query after the rejected reloads (old config kept)"
assert_eq 0 "$(with_query bad)" "events with ?query after the rejected reloads"
assert_eq 200 "$(healthz_code)" "/healthz after the rejected reloads"

# --- SIGUSR1: counters in the log
kill -USR1 "$DPID"
wait_log "lines=" "SIGUSR1 counters in the log"
dlog | grep 'counters: lines=300 parsed=300 .* events=300 ' >/dev/null ||
    fail "SIGUSR1 counters not as expected: $(dlog | grep 'lines=')"
log "ok: SIGUSR1 logged lines=300 ... events=300"
assert_alive "after SIGUSR1"

# --- SIGTERM: exit 0 (checked by stop_daemon), checkpoint at the end of the file
cp "$T/good.json" "$CFG"
stop_daemon
assert_eq "$(stat -c %s "$A")" \
    "$(grep -o '"offset":"[0-9]*"' "$T/state/checkpoints.json" | grep -o '[0-9]*')" \
    "checkpoint offset after SIGTERM (= file size)"
assert_eq 600 "$(stat -c %a "$T/state/checkpoints.json")" "checkpoints.json mode"
check_exactly_once "$DOUT" 1 100 pre
check_exactly_once "$DOUT" 1 100 post
check_exactly_once "$DOUT" 1 100 bad

pass
