#!/usr/bin/env bash
# wt-sse-server against curl: the SSE contract (register, upload, dedup,
# validation, credentials, deregister), the scripted faults, TLS with a
# generated CA, /stats and the request log, and a clean SIGTERM.
# Env: WT_BIN (dir of wt-sse-server), WT_SRC (source tree); WT_KEEP_TMP=1
# keeps the temp dir. Listens on 127.0.0.1 only.
set -u -o pipefail

bin="${WT_BIN:?}/wt-sse-server"
src="${WT_SRC:?}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wt-it-sse.XXXXXX") || exit 1
SPID=
BG=()
FAILS=0

cleanup() {
    local p
    for p in "${BG[@]}" $SPID; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    if [ "${WT_KEEP_TMP:-0}" = 1 ]; then
        echo "kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log() { printf '[%s test_sse_server] %s\n' "$(date +%T.%3N)" "$*" >&2; }

show_context() {
    local f
    for f in "$tmp"/server-*.err "$tmp"/*.log "$tmp/curl.err" "$tmp/body"; do
        [ -s "$f" ] && { echo "---- ${f#"$tmp"/} (tail)" >&2; tail -n 15 "$f" >&2; }
    done
}

# check WHAT EXPECTED ACTUAL: a failure is reported and the test goes on.
check() {
    if [ "$2" == "$3" ]; then
        log "ok: $1 = $3"
    else
        echo "FAIL: $1: expected '$2', got '$3'" >&2
        FAILS=$((FAILS + 1))
    fi
}

# A failure the rest cannot go on from.
die() {
    echo "FAIL: $*" >&2
    show_context
    exit 1
}

[ -x "$bin" ] || die "no wt-sse-server at $bin (set WT_BIN)"
for tool in curl zstd openssl jq; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

# start_server NAME ARGS...: run the server on 127.0.0.1:0, wait for its port
# file; sets SPID, PORT.
start_server() {
    local name=$1
    shift
    rm -f "$tmp/$name.port"
    "$bin" --listen 127.0.0.1:0 --port-file "$tmp/$name.port" "$@" 2>"$tmp/server-$name.err" &
    SPID=$!
    for _ in $(seq 1 100); do
        [ -s "$tmp/$name.port" ] && break
        kill -0 "$SPID" 2>/dev/null || die "server $name exited at start"
        sleep 0.05
    done
    PORT=$(cat "$tmp/$name.port" 2>/dev/null) || die "server $name wrote no port file"
    grep -q "listening on .*127.0.0.1:$PORT" "$tmp/server-$name.err" ||
        die "server $name logged no 'listening on' line for port $PORT"
    log "server $name listening on port $PORT (pid $SPID)"
}

# stop_server: SIGTERM; the exit status must be 0.
stop_server() {
    local rc=0
    kill -TERM "$SPID"
    wait "$SPID" || rc=$?
    check "exit status after SIGTERM" 0 "$rc"
    SPID=
}

# req ARGS...: run curl; CODE = HTTP status (000: none), CURL_RC = exit
# status; body in $tmp/body, headers in $tmp/hdr, stderr in $tmp/curl.err.
CODE=
CURL_RC=0
req() {
    CODE=$(curl -sS -o "$tmp/body" -D "$tmp/hdr" -w '%{http_code}' "$@" 2>"$tmp/curl.err")
    CURL_RC=$?
}

# upload KEY FILE [CURL ARGS...]: POST FILE as a zstd batch with $CRED.
upload() {
    local key=$1 file=$2
    shift 2
    req -X POST -H "Authorization: Bearer $CRED" -H 'Content-Type: application/x-ndjson' \
        -H 'Content-Encoding: zstd' -H "Idempotency-Key: $key" --data-binary "@$file" "$@" \
        "$URL/v1/events"
}

# json FILE PATH: a member (dot path) of a JSON file; empty if absent.
json() {
    jq -r --arg p "$2" 'getpath($p | split(".")) // empty | tostring' "$1" 2>/dev/null || true
}

# stat NAME [CURL ARGS]: a /stats member (e.g. accepted_batches, by_status.202); 0 if absent.
stat() {
    local name=$1 v
    shift
    curl -s -m 5 -o "$tmp/stats.json" "$@" "$URL/stats"
    v=$(json "$tmp/stats.json" "$name")
    echo "${v:-0}"
}

hdr() { tr -d '\r' <"$tmp/hdr" | awk -v h="$1" 'BEGIN { h = tolower(h) } tolower($1) == h ":" { print $2 }'; }
lines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# ---------------------------------------------------------------------------
# Data: valid batches (zstd CLI) and an invalid one.
# ---------------------------------------------------------------------------
cat >"$tmp/b1.ndjson" <<'EOF'
{"ts":"2024-03-01T10:00:00.000Z","host":"px1","observables":[{"type":"ip","value":"10.0.0.1"}]}
{"ts":"2024-03-01T10:00:00.250Z","host":"px1","observables":[{"type":"domain","value":"example.com"}]}
{"ts":"2024-03-01T10:00:01.000Z","host":"px1","observables":[{"type":"url","value":"http://example.com/a"}]}
EOF
printf '{"ts":"2024-03-01T10:00:02.000Z","observables":[]}\n' >"$tmp/b2.ndjson"
zstd -q -c "$tmp/b1.ndjson" >"$tmp/b1.zst"
zstd -q -c "$tmp/b2.ndjson" >"$tmp/b2.zst"
printf '{"ts":"2024-03-01T10:00:00.000Z"}\n{"no_ts":1}\n' | zstd -q -c >"$tmp/bad.zst"

# ---------------------------------------------------------------------------
# Usage errors exit 2.
# ---------------------------------------------------------------------------
rc=0
"$bin" --bogus 2>/dev/null || rc=$?
check "exit status for an unknown option" 2 "$rc"
rc=0
"$bin" --script "202,nope" 2>/dev/null || rc=$?
check "exit status for a bad --script item" 2 "$rc"
rc=0
"$bin" --help >/dev/null || rc=$?
check "exit status of --help" 0 "$rc"

# ---------------------------------------------------------------------------
# Plain HTTP: contract and faults.
# ---------------------------------------------------------------------------
EV=$tmp/events.ndjson
RLOG=$tmp/req.log
start_server http --token tok-123 --events-out "$EV" --log "$RLOG" \
    --script "202,202,503:1,reset,hang,202"
URL=http://127.0.0.1:$PORT

# Register: 201 with a device id and a credential; wrong token 401; bad body 400.
req -X POST -H 'Content-Type: application/json' \
    -d '{"token":"tok-123","name":"proxy1","version":"0.1.0"}' "$URL/v1/devices"
check "register" 201 "$CODE"
DEV=$(json "$tmp/body" device_id)
CRED=$(json "$tmp/body" credential)
if [ -z "$DEV" ] || [ -z "$CRED" ]; then
    die "register: no device_id/credential in: $(cat "$tmp/body")"
fi
req -X POST -d '{"token":"wrong","name":"proxy1","version":"0.1.0"}' "$URL/v1/devices"
check "register with a wrong token" 401 "$CODE"
req -X POST -d '{"token":"tok-123"}' "$URL/v1/devices"
check "register without name/version" 400 "$CODE"

# Upload (script step 1: 202 = normal): 202 {"accepted":3}, lines stored as sent.
upload b-0001 "$tmp/b1.zst"
check "upload a zstd batch" 202 "$CODE"
check "accepted count in the body" 3 "$(json "$tmp/body" accepted)"
if cmp -s "$tmp/b1.ndjson" "$EV"; then
    log "ok: events file holds the batch's lines byte for byte"
else
    check "events file = the batch" "$(cat "$tmp/b1.ndjson")" "$(cat "$EV" 2>/dev/null)"
fi

# The same key again (step 2: 202 = normal): 409 and nothing appended.
upload b-0001 "$tmp/b1.zst"
check "same Idempotency-Key again" 409 "$CODE"
check "events file lines after the duplicate" 3 "$(lines "$EV")"

# Step 3: scripted 503 with Retry-After: 1.
upload b-0002 "$tmp/b2.zst"
check "scripted 503" 503 "$CODE"
check "Retry-After of the scripted 503" 1 "$(hdr Retry-After)"

# Step 4: reset: the request is read, the connection reset without a response.
upload b-0002 "$tmp/b2.zst"
case $CURL_RC in
52 | 56) log "ok: reset -> curl exit $CURL_RC ($(head -c 80 "$tmp/curl.err"))" ;;
*) check "curl exit status on a reset (52 or 56)" "52|56" "$CURL_RC" ;;
esac

# Step 5: hang: curl --max-time 2 times out, while a parallel request is served.
t0=$(date +%s%N)
(
    upload b-0003 "$tmp/b2.zst" --max-time 2
    echo "$CURL_RC" >"$tmp/hang.rc"
) &
BG+=($!)
for _ in $(seq 1 50); do
    grep -q 'FAULT hang' "$RLOG" 2>/dev/null && break
    sleep 0.05
done
req -m 5 "$URL/healthz"
check "a request served while another one hangs" 200 "$CODE"
check "in-flight uploads during the hang" 1 "$(stat in_flight)"
wait "${BG[-1]}"
unset 'BG[-1]'
check "curl exit status on a hang (timeout)" 28 "$(cat "$tmp/hang.rc" 2>/dev/null)"
elapsed=$((($(date +%s%N) - t0) / 1000000))
[ "$elapsed" -lt 5000 ] || check "hang ended by the client's 2 s timeout (ms)" "< 5000" "$elapsed"
for _ in $(seq 1 40); do
    grep -q ' POST /v1/events hang key=b-0003' "$RLOG" && break
    sleep 0.05
done
check "request log line of the hung request" 1 "$(grep -c ' POST /v1/events hang key=b-0003' "$RLOG")"

# Step 6 (202 = normal), then the script is exhausted: normal behaviour.
upload b-0003 "$tmp/b2.zst"
check "retry of the hung batch" 202 "$CODE"
check "events file lines" 4 "$(lines "$EV")"

# Invalid bodies: 400 with a JSON reason, nothing appended.
upload b-0004 "$tmp/bad.zst"
check "a line without \"ts\"" 400 "$CODE"
check "the reason names the line" 'line 2: missing "ts"' "$(json "$tmp/body" reason)"
upload b-0005 "$tmp/b1.ndjson"
check "Content-Encoding zstd on a body that is not zstd" 400 "$CODE"
req -X POST -H "Authorization: Bearer $CRED" -H 'Content-Type: application/x-ndjson' \
    -H 'Idempotency-Key: b-0006' --data-binary $'{"ts":"2024-03-01T10:00:00Z"}\n\n' "$URL/v1/events"
check "an empty line" 400 "$CODE"
req -X POST -H "Authorization: Bearer $CRED" -H 'Content-Type: application/x-ndjson' \
    -H 'Idempotency-Key: b-0007' --data-binary $'[1,2]\n' "$URL/v1/events"
check "a line that is not an object" 400 "$CODE"
req -X POST -H "Authorization: Bearer $CRED" -H 'Content-Type: application/x-ndjson' \
    --data-binary @"$tmp/b2.ndjson" "$URL/v1/events"
check "no Idempotency-Key" 400 "$CODE"
check "events file lines after the invalid batches" 4 "$(lines "$EV")"

# Raw NDJSON (no Content-Encoding) is accepted too.
req -X POST -H "Authorization: Bearer $CRED" -H 'Content-Type: application/x-ndjson' \
    -H 'Idempotency-Key: b-0008' --data-binary @"$tmp/b2.ndjson" "$URL/v1/events"
check "raw NDJSON without Content-Encoding" 202 "$CODE"

# Credentials: none, wrong.
req -X POST -H 'Content-Type: application/x-ndjson' -H 'Content-Encoding: zstd' \
    -H 'Idempotency-Key: b-0009' --data-binary @"$tmp/b2.zst" "$URL/v1/events"
check "no credential" 401 "$CODE"
req -X POST -H 'Authorization: Bearer not-a-credential' -H 'Content-Type: application/x-ndjson' \
    -H 'Content-Encoding: zstd' -H 'Idempotency-Key: b-0009' --data-binary @"$tmp/b2.zst" \
    "$URL/v1/events"
check "a wrong credential" 401 "$CODE"

# /stats agrees with what happened.
check "stats accepted_batches" 3 "$(stat accepted_batches)"
check "stats accepted_events" 5 "$(stat accepted_events)"
check "stats duplicate_batches" 1 "$(stat duplicate_batches)"
check "stats by_status.202" 3 "$(stat by_status.202)"
check "stats by_status.409" 1 "$(stat by_status.409)"
check "stats by_status.503" 1 "$(stat by_status.503)"
check "stats by_status.400" 5 "$(stat by_status.400)"
check "stats by_status.401" 2 "$(stat by_status.401)"
check "stats by_status.reset" 1 "$(stat by_status.reset)"
check "stats by_status.hang" 1 "$(stat by_status.hang)"
check "stats rejected" 5 "$(stat rejected)"
check "stats max_concurrent >= 1" 1 "$(($(stat max_concurrent) >= 1))"
check "stats keys_accepted" 3 "$(stat keys_accepted)"
check "stats script_pos" 6 "$(stat script_pos)"
check "request log: POST /v1/events lines" 17 "$(grep -c ' POST /v1/events ' "$RLOG")"
check "request log: FAULT lines" 3 "$(grep -c ' FAULT ' "$RLOG")"
check "request log: the 202 of b-0001 with its events" 1 \
    "$(grep -c 'POST /v1/events 202 key=b-0001 bytes=[0-9]* events=3 ms=' "$RLOG")"

# Deregister: wrong credential 401, unknown device 404, then 204; the credential is dead.
req -X DELETE -H 'Authorization: Bearer nope' "$URL/v1/devices/$DEV"
check "deregister with a wrong credential" 401 "$CODE"
req -X DELETE -H "Authorization: Bearer $CRED" "$URL/v1/devices/dev-unknown"
check "deregister an unknown device" 404 "$CODE"
req -X DELETE -H "Authorization: Bearer $CRED" "$URL/v1/devices/$DEV"
check "deregister" 204 "$CODE"
upload b-0010 "$tmp/b2.zst"
check "upload after deregistering" 401 "$CODE"
stop_server
grep -q 'stopping on SIGTERM' "$tmp/server-http.err" || check "log of the stop" "stopping on SIGTERM" ""

# ---------------------------------------------------------------------------
# TLS with a generated CA; --max-body; --state across a restart.
# ---------------------------------------------------------------------------
bash "$src/tests/sse_server/gen_certs.sh" "$tmp/certs" || die "gen_certs.sh failed"
start_server tls --tls-cert "$tmp/certs/server.pem" --tls-key "$tmp/certs/server.key" \
    --token tok-123 --state "$tmp/state.json" --max-body 4K --log "$tmp/req-tls.log"
URL=https://127.0.0.1:$PORT
req --cacert "$tmp/certs/ca.pem" "$URL/healthz"
check "HTTPS with the test CA" 200 "$CODE"
req --cacert "$tmp/certs/ca.pem" --resolve "localhost:$PORT:127.0.0.1" "https://localhost:$PORT/healthz"
check "HTTPS to localhost with the test CA" 200 "$CODE"
req --cacert "$tmp/certs/other-ca.pem" "$URL/healthz"
check "curl exit status with an unrelated CA" 60 "$CURL_RC"
req --cacert "$tmp/certs/ca.pem" -X POST -d '{"token":"tok-123","name":"proxy2","version":"0.1.0"}' \
    "$URL/v1/devices"
check "register over HTTPS" 201 "$CODE"
CRED=$(json "$tmp/body" credential)
upload t-0001 "$tmp/b1.zst" --cacert "$tmp/certs/ca.pem"
check "upload over HTTPS" 202 "$CODE"
head -c 6000 /dev/urandom >"$tmp/big.bin"
upload t-0002 "$tmp/big.bin" --cacert "$tmp/certs/ca.pem"
check "a body above --max-body" 413 "$CODE"
stop_server

# Restarted with the same --state: the device and the accepted key are known.
start_server tls2 --tls-cert "$tmp/certs/server.pem" --tls-key "$tmp/certs/server.key" \
    --token tok-123 --state "$tmp/state.json"
URL=https://127.0.0.1:$PORT
upload t-0001 "$tmp/b1.zst" --cacert "$tmp/certs/ca.pem"
check "after a restart: the credential works and the key is remembered" 409 "$CODE"
stop_server

# ---------------------------------------------------------------------------
# More faults: --fail-auth-once, cut (stored, response lost), close,
# Retry-After as a date, --latency with concurrent uploads.
# ---------------------------------------------------------------------------
start_server faults --credential static-cred --fail-auth-once --retry-after-date --latency 300 \
    --script "202,cut,close,429:2" --events-out "$tmp/events-f.ndjson" --log "$tmp/req-f.log"
URL=http://127.0.0.1:$PORT
CRED=static-cred
upload f-0001 "$tmp/b2.zst"
check "--fail-auth-once: the first valid credential" 401 "$CODE"
upload f-0001 "$tmp/b2.zst"
check "curl exit status on a cut response" 18 "$CURL_RC"
upload f-0001 "$tmp/b2.zst"
check "curl exit status on a close without response" 52 "$CURL_RC"
upload f-0001 "$tmp/b2.zst"
check "scripted 429" 429 "$CODE"
ra=$(tr -d '\r' <"$tmp/hdr" | sed -n 's/^[Rr]etry-[Aa]fter: //p')
ra_s=$(date -d "$ra" +%s 2>/dev/null || echo 0)
delta=$((ra_s - $(date +%s)))
check "Retry-After is an HTTP-date 2-3 s ahead ($ra)" 1 "$((delta >= 1 && delta <= 3))"
upload f-0001 "$tmp/b2.zst"
check "the batch of the cut response was stored" 409 "$CODE"
check "events stored once" 1 "$(lines "$tmp/events-f.ndjson")"
for k in 1 2 3 4; do
    (upload "f-p$k" "$tmp/b1.zst" && echo "$CODE" >"$tmp/par.$k") &
    BG+=($!)
done
for k in 1 2 3 4; do
    wait "${BG[-1]}"
    unset 'BG[-1]'
done
check "4 parallel uploads" "202 202 202 202" "$(cat "$tmp"/par.[1-4] | tr '\n' ' ' | sed 's/ $//')"
check "max_concurrent with --latency 300" 1 "$(($(stat max_concurrent) >= 2))"
check "events after the parallel uploads" 13 "$(lines "$tmp/events-f.ndjson")"
stop_server

# --bench: stored without checking each line; events are counted as lines.
start_server bench --credential bench-cred --bench --events-out "$tmp/events-b.ndjson" --quiet
URL=http://127.0.0.1:$PORT
CRED=bench-cred
printf '{"no_ts":1}\n{"no_ts":2}\nnot json\n' | zstd -q -c >"$tmp/bench.zst"
upload b-0001 "$tmp/bench.zst"
check "--bench: lines not checked" 202 "$CODE"
check "--bench: events counted as lines" 3 "$(json "$tmp/body" accepted)"
upload b-0001 "$tmp/bench.zst"
check "--bench: a key accepted before" 409 "$CODE"
check "--bench: events stored once" 3 "$(lines "$tmp/events-b.ndjson")"
stop_server

if [ "$FAILS" -ne 0 ]; then
    echo "FAIL: test_sse_server: $FAILS check(s) failed" >&2
    show_context
    exit 1
fi
log "PASS"
