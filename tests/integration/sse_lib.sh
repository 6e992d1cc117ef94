# shellcheck shell=bash
#
# sse_lib.sh - helpers of the SSE sink integration tests (test_sse_*.sh),
# sourced after lib.sh. The peer is wt-sse-server (tests/sse_server), the
# local implementation of docs/sse-protocol.md, on 127.0.0.1 only.
#
#   start_sse ARGS...        start wt-sse-server (extra ARGS: --script ...);
#                            sets SSE_PORT, SSE_URL, SSE_PID; events it
#                            accepts go to $SSE_EVENTS, its request log to
#                            $SSE_LOG; the registration token is $SSE_TOKEN
#   stop_sse                 stop it
#   sse_stat NAME            a number of its GET /stats (by_status.NNN too)
#   sse_config FILE [SINK_MEMBERS] [TOP_MEMBERS]
#                            a config: inputs $T/logs/*.log, one sse sink
#                            "sse0" to $SSE_URL, metrics on $PORT, debug log
#   sse_register CFG         register sse0 (token from a file); fails the test
#                            on error
#   sse_cred                 the stored credential (for the secrecy checks)
#   replay_sse CFG FILE...   wtexport replay; status in REPLAY_RC, stderr
#                            appended to $DLOG
#   sse_metric NAME [LABELS] value of a labelled series of the daemon
#   sse_log_has PATTERN      the log since the last start/replay matches
#   check_no_secrets FILE... neither the token nor the credential in them
#   keys_acked_at_most_once  no Idempotency-Key accepted (202) twice

SSE_SERVER=$WT_BIN/wt-sse-server
if [ ! -x "$SSE_SERVER" ]; then
    echo "$TEST_NAME: no $SSE_SERVER (build tests/sse_server)" >&2
    exit 1
fi

SSE_TOKEN=tok-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
SSE_EVENTS=$T/sse-events.ndjson
SSE_LOG=$T/sse-server.log
SSE_PORT=
SSE_URL=
SSE_PID=
SSE_NSTART=0
REPLAY_RC=

start_sse() {
    SSE_NSTART=$((SSE_NSTART + 1))
    rm -f "$T/sse.port"
    printf '%s\n' "$SSE_TOKEN" >"$T/sse.token"
    local listen=127.0.0.1:${SSE_PORT:-0}
    "$SSE_SERVER" --listen "$listen" --port-file "$T/sse.port" --token-file "$T/sse.token" \
        --events-out "$SSE_EVENTS" --log "$SSE_LOG" "$@" 2>>"$T/sse-server.err" &
    SSE_PID=$!
    bg_track "$SSE_PID"
    wait_for "wt-sse-server to listen" test -s "$T/sse.port"
    SSE_PORT=$(tr -d '\n' <"$T/sse.port")
    SSE_URL=${SSE_SCHEME:-http}://127.0.0.1:$SSE_PORT
    log "wt-sse-server #$SSE_NSTART on $SSE_URL (pid $SSE_PID) $*"
}

stop_sse() {
    [ -n "$SSE_PID" ] || return 0
    alive "$SSE_PID" && kill -TERM "$SSE_PID" 2>/dev/null
    wait_exit "$SSE_PID"
    SSE_PID=
}

sse_stat() {
    local url=${SSE_SCHEME:-http}://127.0.0.1:$SSE_PORT/stats
    local opts=()
    [ -n "${SSE_CA:-}" ] && opts=(--cacert "$SSE_CA")
    curl -s -m 5 "${opts[@]}" "$url" | jq -r --arg n "$1" \
        'if ($n | startswith("by_status.")) then (.by_status[$n[10:]] // 0) else .[$n] end'
}

sse_config() {
    local file=$1 sink=${2:-} top=${3:-}
    cat >"$file.tmp" <<EOF
{
  "state_dir": "$T/state",
  "inputs": [{"path": "$T/logs/*.log"}],
  "sinks": [{"type": "sse", "url": "$SSE_URL"${sink:+, $sink}}],
  "batch": {"linger": "200ms", "max_events": ${SSE_BATCH_EVENTS:-200}},
  "scan_interval": "1s",
  "metrics": {"listen": "127.0.0.1:$PORT"},
  "log": {"level": "${SSE_LOG_LEVEL:-debug}"},
  "shutdown": {"drain_timeout": "5s"}${top:+,
  $top}
}
EOF
    mv -f "$file.tmp" "$file"
}

sse_register() {
    printf '%s\n' "$SSE_TOKEN" >"$T/reg.token"
    "$WT" register -c "$1" --token-file "$T/reg.token" >>"$T/register.out" 2>>"$T/register.err" ||
        fail "register failed: $(tail -n 3 "$T/register.err")"
    log "registered: $(tail -n 1 "$T/register.out")"
}

sse_cred() {
    jq -r .credential "$T/state/sse-${1:-sse0}.json" 2>/dev/null
}

replay_sse() {
    local cfg=$1
    shift
    echo "======== test: wtexport replay -c $cfg $* ========" >>"$DLOG"
    DLOG_FROM=$(($(wc -l <"$DLOG") + 1))
    timeout -s KILL 80 "$WT" replay -c "$cfg" "$@" >>"$T/replay.out" 2>>"$DLOG"
    REPLAY_RC=$?
    log "replay exit status $REPLAY_RC"
}

# sse_metric NAME [LABELS]: value of NAME{sink="sse0"[,LABELS]} from the daemon.
sse_metric() {
    local want="$1{sink=\"sse0\"${2:+,$2}}"
    curl -s -m 5 "http://127.0.0.1:$PORT/metrics" 2>/dev/null | awk -v w="$want" '$1 == w { print $2; exit }'
}

# Like lib.sh dlog_has, but reads the whole log: grep -q stops at the first
# match, the writer of the pipe gets SIGPIPE and pipefail fails the test.
sse_log_has() { dlog | grep -e "$1" >/dev/null; }

check_no_secrets() {
    local cred f
    cred=$(sse_cred)
    for f in "$@"; do
        [ -f "$f" ] || continue
        if grep -qF -- "$SSE_TOKEN" "$f"; then
            check_fail "the registration token appears in $f"
        fi
        if [ -n "$cred" ] && grep -qF -- "$cred" "$f"; then
            check_fail "the credential appears in $f"
        fi
    done
    log "ok: neither token nor credential in: $*"
}

# Accepted events requests by key in the server log: none twice.
keys_acked_at_most_once() {
    local twice
    twice=$(awk '$2 == "POST" && $3 == "/v1/events" && $4 == "202" { sub(/^key=/, "", $5); c[$5]++ }
                 END { for (k in c) if (c[k] > 1) print k " x" c[k] }' "$SSE_LOG" | head -5)
    if [ -n "$twice" ]; then
        check_fail "Idempotency-Keys accepted more than once: $twice"
        return 1
    fi
    log "ok: every Idempotency-Key accepted at most once"
}
