#!/usr/bin/env bash
# test_observe_api.sh - the index and the relay-module API end to end: the
# daemon indexes generated WSA lines, and XDR-style requests with HS256 and
# RS256 JWTs (made here with openssl) get the contract's answers; every
# auth failure is a 401 in the error shape with no data; 100 observables
# in one request stay within the entity limit; `wtexport lookup` answers
# the same; lookups run concurrently with ingest; after kill -9 during
# ingest a lookup still answers and counts what was committed, and after
# the restart the index counts every line exactly once.
. "$(dirname "$0")/lib.sh"

OPORT=$(free_port) || exit 1
AUD="http://127.0.0.1:$OPORT"
head -c 48 /dev/urandom | base64 -w0 >"$T/secret"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rs.key" 2>/dev/null ||
    fail "openssl genpkey"
openssl pkey -in "$T/rs.key" -pubout -out "$T/rs.pub" 2>/dev/null || fail "openssl pkey"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.key" 2>/dev/null

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# jwt ALG KEYFILE AUD EXP_OFFSET_SECONDS: a signed token (HS256: KEYFILE holds the secret).
jwt() {
    local alg=$1 key=$2 aud=$3 exp=$(($(date +%s) + $4)) h p sig
    h=$(printf '{"alg":"%s","typ":"JWT"}' "$alg" | b64url)
    p=$(printf '{"aud":"%s","exp":%d,"key":"k"}' "$aud" "$exp" | b64url)
    if [ "$alg" = HS256 ]; then
        sig=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -mac HMAC -macopt "key:$(cat "$key")" -binary | b64url)
    else
        sig=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -sign "$key" -binary | b64url)
    fi
    printf '%s.%s.%s' "$h" "$p" "$sig"
}
HS=$(jwt HS256 "$T/secret" "$AUD" 600)
RS=$(jwt RS256 "$T/rs.key" "$AUD" 600)

# post PATH TOKEN BODY: prints the body, then the status on its own last line.
post() {
    local auth=()
    [ -n "$2" ] && auth=(-H "Authorization: Bearer $2")
    curl -s -m 20 -w '\n%{http_code}' -X POST "${auth[@]}" -H 'Content-Type: application/json' \
        --data-binary "$3" "http://127.0.0.1:$OPORT$1"
}
body_of() { sed '$d'; }
code_of() { tail -n 1; }

gen_lines 1 3000 host 60 >"$T/logs/a.log"
CFG_EXTRA='"retention": "30d",
  "index": {"enabled": true, "commit_interval": "200ms", "top_clients": 5},
  "observe": {"listen": "127.0.0.1:'$OPORT'", "jwt_secret_file": "'$T'/secret",
              "jwt_public_key_file": "'$T'/rs.pub", "audience": "'$AUD'",
              "source_uri": "https://siem.example.com/search?q={value}",
              "refer_url": "https://siem.example.com/search?type={type}&q={value}"}' \
    make_config "$T/cfg.json"
start_daemon "$T/cfg.json"
idx_has() { [ "$(metric wtexport_index_records_total)" -ge "$1" ] 2>/dev/null; }
wait_for "the index to hold 3000 records" idx_has 3000

# --- health, auth ---------------------------------------------------------------
r=$(post /health "$HS" '')
assert_eq 200 "$(code_of <<<"$r")" "POST /health with an HS256 token"
assert_eq '{"data":{"status":"ok"}}' "$(body_of <<<"$r")" "health answer"
r=$(post /health "$RS" '')
assert_eq 200 "$(code_of <<<"$r")" "POST /health with an RS256 token"
Q='[{"type":"domain","value":"HOST.example.com"}]'
check_401() { # TOKEN WHAT MESSAGE
    local r
    r=$(post /observe/observables "$1" "$Q")
    assert_eq 401 "$(code_of <<<"$r")" "$2: status"
    assert_eq "fatal|authorization error|true|false" \
        "$(body_of <<<"$r" | jq -r '[.errors[0].type, .errors[0].code, (.errors[0].message | contains("'"$3"'")), has("data")] | join("|")')" \
        "$2: error shape, no data"
}
check_401 "" "no token" "Authorization header is missing"
check_401 "$(jwt HS256 "$T/secret" "$AUD" 600 | sed 's/\.[^.]*$/.AAAA/')" "wrong signature" "Failed to decode JWT"
check_401 "$(jwt RS256 "$T/other.key" "$AUD" 600)" "RS256 by another key" "Failed to decode JWT"
check_401 "$(jwt HS256 "$T/secret" "https://elsewhere.example.com" 600)" "wrong audience" "audience"
check_401 "$(jwt HS256 "$T/secret" "$AUD" -60)" "expired" "expired"

# --- observe: sightings ----------------------------------------------------------
r=$(post /observe/observables "$RS" "$Q")
assert_eq 200 "$(code_of <<<"$r")" "observe status"
body_of <<<"$r" >"$T/observe.json"
assert_eq 3000 "$(jq '[.data.sightings.docs[].count] | add' "$T/observe.json")" "requests counted for the domain"
assert_eq "$(jq '.data.sightings.docs | length' "$T/observe.json")" "$(jq '.data.sightings.count' "$T/observe.json")" "sightings count = docs"
assert_eq "true" "$(jq '[.data.sightings.docs[] | .type == "sighting" and .sensor == "network.proxy"
    and .internal == true and (.observed_time.start_time | test("Z$")) and (.targets | length) >= 1
    and (.targets | length) <= 5 and .targets[0].type == "endpoint"
    and .observables == [{"type":"domain","value":"host.example.com"}]
    and .source_uri == "https://siem.example.com/search?q=host.example.com"
    and (has("relations") | not)] | all' "$T/observe.json")" "sightings have the CTIM shape"

# --- 100 observables, within the limit ----------------------------------------------
B=$(seq 1 100 | awk 'BEGIN { printf "[" } { printf "%s{\"type\":\"url\",\"value\":\"http://host.example.com/seq/%d?q=x\"}", (NR > 1 ? "," : ""), $1 } END { printf ",{\"type\":\"email\",\"value\":\"a@b.c\"}]" }')
r=$(post /observe/observables "$HS" "$B")
assert_eq 200 "$(code_of <<<"$r")" "100 observables: status"
assert_eq "100 100" "$(body_of <<<"$r" | jq -r '"\(.data.sightings.count) \([.data.sightings.docs[].observables[0].value] | unique | length)"')" \
    "100 observables: one sighting each (unknown type ignored)"

# --- refer, deliberate, watchdog, errors -------------------------------------------
r=$(post /refer/observables "$HS" "$Q")
assert_eq "https://siem.example.com/search?type=domain&q=host.example.com" "$(body_of <<<"$r" | jq -r '.data[0].url')" "refer link"
assert_eq '{"data":{}}' "$(post /deliberate/observables "$HS" "$Q" | body_of)" "deliberate answer"
assert_eq '{"data":"t1"}' "$(curl -s -H 'Health-Check: t1' "http://127.0.0.1:$OPORT/watchdog")" "watchdog"
assert_eq "invalid argument" "$(post /observe/observables "$HS" '{"type":"ip"}' | body_of | jq -r '.errors[0].code')" "bad body"
# Examples for docs/observe-api.md (WT_OBSERVE_EXAMPLES=DIR keeps them).
if [ -n "${WT_OBSERVE_EXAMPLES:-}" ]; then
    mkdir -p "$WT_OBSERVE_EXAMPLES"
    post /observe/observables "$HS" '[{"type":"url","value":"http://host.example.com/seq/7?q=x"},{"type":"email","value":"a@b.c"}]' | body_of | jq . >"$WT_OBSERVE_EXAMPLES/observe.json"
    post /refer/observables "$HS" '[{"type":"domain","value":"host.example.com"}]' | body_of | jq . >"$WT_OBSERVE_EXAMPLES/refer.json"
    post /health "" '' | body_of | jq . >"$WT_OBSERVE_EXAMPLES/error_401.json"
    post /observe/observables "$HS" '{"type":"ip"}' | body_of | jq . >"$WT_OBSERVE_EXAMPLES/error_400.json"
    "$WT" lookup -c "$T/cfg.json" domain host.example.com >"$WT_OBSERVE_EXAMPLES/lookup.txt"
fi

# --- wtexport lookup ----------------------------------------------------------------
out=$("$WT" lookup -c "$T/cfg.json" domain HOST.example.com)
assert_eq 0 "$?" "lookup exit status (seen)"
grep -q "^total: 3000 requests" <<<"$out" || check_fail "lookup total: $out"
"$WT" lookup -c "$T/cfg.json" domain never.example.com >/dev/null
assert_eq 1 "$?" "lookup exit status (not seen)"
assert_eq 3000 "$("$WT" lookup -c "$T/cfg.json" --json domain host.example.com | jq '[.data.sightings.docs[].count] | add')" "lookup --json counts"

# --- concurrent lookups during ingest --------------------------------------------------
start_writer "$T/logs/a.log" 3001 20000 host
count_now() { post /observe/observables "$HS" "$Q" | body_of | jq '[.data.sightings.docs[].count] | add'; }
looker() { # N: lookups in a row; each count must not go down
    local prev=0 c i
    for i in $(seq 1 "$1"); do
        c=$(count_now)
        if ! [ "$c" -ge "$prev" ] 2>/dev/null; then
            echo "bad count '$c' after $prev" >"$T/looker.$BASHPID.fail"
            return
        fi
        prev=$c
        "$WT" lookup -c "$T/cfg.json" domain host.example.com >/dev/null || echo "cli lookup failed" >"$T/looker.$BASHPID.fail"
    done
}
looker 15 & L1=$!
looker 15 & L2=$!
looker 15 & L3=$!
wait "$L1" "$L2" "$L3"
if ls "$T"/looker.*.fail >/dev/null 2>&1; then
    check_fail "concurrent lookups: $(cat "$T"/looker.*.fail | head -3)"
else
    log "ok: 45 HTTP and 45 CLI lookups during ingest, counts never went down"
fi

# --- kill -9 during ingest, then a lookup -----------------------------------------------
before=$(count_now)
kill_daemon
written=$(wc -l <"$T/logs/a.log")
after=$("$WT" lookup -c "$T/cfg.json" --json domain host.example.com | jq '[.data.sightings.docs[].count] | add')
assert_ge "$after" "$before" "after kill -9: lookup still answers, with what was committed"
assert_ge "$written" "$after" "after kill -9: no more than was written"
# The index survived: the daemon opens it again, re-indexes from the log what
# the kill lost and skips what it held already: in the end it counts every
# line exactly once.
start_daemon "$T/cfg.json"
writer_pause
total=$(wc -l <"$T/logs/a.log")
count_is() { [ "$(count_now)" = "$1" ] 2>/dev/null; }
wait_for "the restarted daemon to count all $total lines" count_is "$total"
wait_for "the sink to have all $total lines" out_has_at_least "$DOUT" "$total"
stop_daemon
assert_eq "$total" "$("$WT" lookup -c "$T/cfg.json" --json domain host.example.com | jq '[.data.sightings.docs[].count] | add')" \
    "after kill -9 and restart: the index counts every line exactly once"
check_exactly_once "$DOUT" 1 "$total" host "after kill -9 and restart"
pass
