#!/usr/bin/env bash
# `wtexport run` refuses to start on a bad config: exit status 2, an error
# naming the key path, nothing started (no state_dir, no sink file, no
# listener), and `check-config` exits 2 with the same message. (The details
# of check-config are in test_check_config.sh.)
. "$(dirname "$0")/lib.sh"

S=$T/state
O=$T/out.ndjson
I="$T/logs/*.log"
SINK='{"type": "file", "path": "'"$O"'", "compress": "none"}'
METRICS='"metrics": {"listen": "127.0.0.1:'"$PORT"'"}'

# expect_refused NAME EXPECTED_MESSAGE CONFIG_JSON
# (CONFIG_JSON "-" means: no such file)
expect_refused() {
    local name=$1 want=$2 json=$3
    local cfg=$T/$name.json
    if [ "$json" = - ]; then
        cfg=$T/does-not-exist.json
    else
        printf '%s\n' "$json" >"$cfg"
    fi
    rm -rf "$S" "$O"
    local rc err
    timeout 30 "$WT" run -c "$cfg" >"$T/run.out" 2>"$T/run.err"
    rc=$?
    err=$(cat "$T/run.err")
    [ "$rc" = 2 ] || fail "$name: run exited $rc, expected 2; stderr: $err"
    printf '%s\n' "$err" | grep -qF -- "$want" ||
        fail "$name: run's error does not contain '$want'; stderr: $err"
    printf '%s\n' "$err" | grep -q 'running' &&
        fail "$name: run says it is running: $err"
    [ ! -e "$S" ] || fail "$name: run created state_dir $S"
    [ ! -e "$O" ] || fail "$name: run created the sink file $O"
    [ ! -s "$T/run.out" ] || fail "$name: run wrote to stdout: $(head -c 300 "$T/run.out")"

    timeout 30 "$WT" check-config -c "$cfg" >"$T/cc.out" 2>"$T/cc.err"
    rc=$?
    [ "$rc" = 2 ] || fail "$name: check-config exited $rc, expected 2; stderr: $(cat "$T/cc.err")"
    grep -qF -- "$want" "$T/cc.err" ||
        fail "$name: check-config's error does not contain '$want': $(cat "$T/cc.err")"
    # Every message check-config gives, run gives too.
    local line
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        printf '%s\n' "$err" | grep -qF -- "$line" ||
            fail "$name: check-config says '$line' but run does not; run: $err"
    done <"$T/cc.err"
    log "ok: $name: run and check-config exit 2 with '$want'"
}

# The base config is valid (so each case fails for its own reason).
printf '{"state_dir": "%s", "inputs": [{"path": "%s"}], "sinks": [%s], %s}\n' \
    "$S" "$I" "$SINK" "$METRICS" >"$T/base.json"
"$WT" check-config -c "$T/base.json" >/dev/null 2>"$T/cc.err" ||
    fail "the base config is not valid: $(cat "$T/cc.err")"

expect_refused unknown_key "bogus: unknown key" \
    '{"state_dir": "'"$S"'", "inputs": [{"path": "'"$I"'"}], "sinks": ['"$SINK"'], '"$METRICS"', "bogus": 1}'
expect_refused unknown_nested_key "inputs[0].bogus: unknown key" \
    '{"state_dir": "'"$S"'", "inputs": [{"path": "'"$I"'", "bogus": true}], "sinks": ['"$SINK"'], '"$METRICS"'}'
expect_refused wrong_type "privacy.strip_query:" \
    '{"state_dir": "'"$S"'", "inputs": [{"path": "'"$I"'"}], "sinks": ['"$SINK"'], '"$METRICS"', "privacy": {"strip_query": "yes"}}'
expect_refused wrong_type_integer "batch.max_events:" \
    '{"state_dir": "'"$S"'", "inputs": [{"path": "'"$I"'"}], "sinks": ['"$SINK"'], '"$METRICS"', "batch": {"max_events": "many"}}'
expect_refused retention_too_short "retention:" \
    '{"state_dir": "'"$S"'", "inputs": [{"path": "'"$I"'"}], "sinks": ['"$SINK"'], '"$METRICS"', "retention": "30m"}'
expect_refused retention_too_long "retention:" \
    '{"state_dir": "'"$S"'", "inputs": [{"path": "'"$I"'"}], "sinks": ['"$SINK"'], '"$METRICS"', "retention": "31d"}'
expect_refused compress_invalid "sinks[0].compress:" \
    '{"state_dir": "'"$S"'", "inputs": [{"path": "'"$I"'"}], "sinks": [{"type": "file", "path": "'"$O"'", "compress": "gzip"}], '"$METRICS"'}'
expect_refused missing_state_dir "state_dir:" \
    '{"inputs": [{"path": "'"$I"'"}], "sinks": ['"$SINK"'], '"$METRICS"'}'
expect_refused invalid_json "invalid JSON" \
    '{"state_dir": "'"$S"'", "inputs": [{"path": "'"$I"'"}'
expect_refused missing_file "does-not-exist.json" -

# No listener was left behind by any attempt.
[ -z "$(ss -Htln "sport = :$PORT" 2>/dev/null)" ] || fail "something listens on port $PORT"

pass
