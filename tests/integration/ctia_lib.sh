# shellcheck shell=bash
#
# ctia_lib.sh - helpers of the CTIA sink integration tests (test_ctia_*.sh),
# sourced after lib.sh. The peer is wt-sse-server with its CTIA endpoints
# (tests/sse_server/ctia_server.c) on 127.0.0.1 only.
#
#   start_ctia ARGS...       start the server (extra ARGS: --script, --latency,
#                            --ctia-token-ttl ...); sets CTIA_PORT, CTIA_PID;
#                            sightings it creates go to $CTIA_OUT, its request
#                            log to $CTIA_LOG
#   stop_ctia                stop it
#   ctia_stat NAME           a number of its /stats: ctia.NAME (created,
#                            exists, errors, count_created, tokens_issued,
#                            unauthorized ...) or by_status.NNN
#   ctia_config FILE [SINK_MEMBERS] [TOP_MEMBERS]
#                            a config: inputs $T/logs/*.log, one ctia sink
#                            "ctia0" to the server (1m buckets, no grace),
#                            credentials in 0600 files, metrics on $PORT
#   ctia_metric NAME [LABELS] a labelled series of the daemon
#   write_aged FILE START COUNT AGE  append COUNT lines (seq START..) stamped
#                            now - AGE seconds (3 observables each: client ip,
#                            domain, url)
#   check_no_ctia_secrets FILE...    neither the client secret nor a token in them

CTIA_SERVER=$WT_BIN/wt-sse-server
[ -x "$CTIA_SERVER" ] || {
    echo "$TEST_NAME: no $CTIA_SERVER (build tests/sse_server)" >&2
    exit 1
}

CTIA_ID=client-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
CTIA_SECRET=secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
CTIA_OUT=$T/ctia-sightings.ndjson
CTIA_LOG=$T/ctia-server.log
CTIA_PORT=
CTIA_PID=
printf '%s\n' "$CTIA_ID" >"$T/client-id"
printf '%s\n' "$CTIA_SECRET" >"$T/client-secret"
chmod 600 "$T/client-id" "$T/client-secret"

start_ctia() {
    rm -f "$T/ctia.port"
    "$CTIA_SERVER" --listen "127.0.0.1:${CTIA_PORT:-0}" --port-file "$T/ctia.port" \
        --ctia-client-id "$CTIA_ID" --ctia-secret-file "$T/client-secret" \
        --ctia-out "$CTIA_OUT" --log "$CTIA_LOG" "$@" 2>>"$T/ctia-server.err" &
    CTIA_PID=$!
    bg_track "$CTIA_PID"
    wait_for "the CTIA test server to listen" test -s "$T/ctia.port"
    CTIA_PORT=$(tr -d '\n' <"$T/ctia.port")
    log "CTIA test server on 127.0.0.1:$CTIA_PORT (pid $CTIA_PID) $*"
}

stop_ctia() {
    [ -n "$CTIA_PID" ] || return 0
    alive "$CTIA_PID" && kill -TERM "$CTIA_PID" 2>/dev/null
    wait_exit "$CTIA_PID"
    CTIA_PID=
}

ctia_stat() {
    curl -s -m 5 "http://127.0.0.1:$CTIA_PORT/stats" | jq -r --arg n "$1" \
        'if ($n | startswith("by_status.")) then (.by_status[$n[10:]] // 0) else (.ctia[$n] // 0) end'
}

ctia_config() {
    local file=$1 sink=${2:-} top=${3:-}
    cat >"$file.tmp" <<EOF
{
  "state_dir": "$T/state",
  "host": "proxy-test.example.com",
  "inputs": [{"path": "$T/logs/*.log"}],
  "sinks": [{"type": "ctia",
             "token_url": "http://127.0.0.1:$CTIA_PORT/iroh/oauth2/token",
             "import_url": "http://127.0.0.1:$CTIA_PORT/ctia/bundle/import",
             "client_id_file": "$T/client-id", "client_secret_file": "$T/client-secret",
             "bucket": "1m", "bucket_grace": "0s"${sink:+, $sink}}],
  "batch": {"linger": "200ms", "max_events": ${CTIA_BATCH_EVENTS:-200}},
  "scan_interval": "1s",
  "metrics": {"listen": "127.0.0.1:$PORT"},
  "log": {"level": "${CTIA_LOG_LEVEL:-debug}"},
  "shutdown": {"drain_timeout": "2s"}${top:+,
  $top}
}
EOF
    mv -f "$file.tmp" "$file"
}

ctia_metric() {
    local want="$1{sink=\"ctia0\"${2:+,$2}}"
    curl -s -m 5 "http://127.0.0.1:$PORT/metrics" 2>/dev/null | awk -v w="$want" '$1 == w { print $2; exit }'
}

write_aged() { # FILE START COUNT AGE
    gen_lines "$2" "$3" host "$4" >>"$1"
}

# The counts of all sightings created so far add up to N.
ctia_count_is() { [ "$(ctia_stat count_created)" = "$1" ]; }

check_no_ctia_secrets() {
    local f tok
    for f in "$@"; do
        [ -f "$f" ] || continue
        if grep -qF -- "$CTIA_SECRET" "$f"; then
            check_fail "the client secret appears in $f"
        fi
        for tok in $(cat "$T/tokens" 2>/dev/null); do
            grep -qF -- "$tok" "$f" && check_fail "an access token appears in $f"
        done
    done
    log "ok: no client secret or access token in: $*"
}
