#!/usr/bin/env bash
# test_observe_tls.sh - the observe API behind TLS (observe.tls_cert_file /
# tls_key_file, GnuTLS through libmicrohttpd) with a certificate from
# tests/sse_server/gen_certs.sh: HTTPS with the test CA answers, plain HTTP
# on the same port gets no answer, a client that does not trust the CA is
# refused. With privacy.strip_query on, a URL asked for with its query is
# found (over HTTPS and with `wtexport lookup`), as the pipeline indexed it
# without the query.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
certs=$T/certs
bash "$WT_SRC/tests/sse_server/gen_certs.sh" "$certs" >"$T/gen_certs.out" 2>&1 ||
    fail "gen_certs.sh failed: $(tail -n 5 "$T/gen_certs.out")"
OPORT=$(free_port) || exit 1
AUD="https://127.0.0.1:$OPORT"
head -c 48 /dev/urandom | base64 -w0 >"$T/secret"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
h=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
p=$(printf '{"aud":"%s","exp":%d}' "$AUD" "$(($(date +%s) + 600))" | b64url)
sig=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -mac HMAC -macopt "key:$(cat "$T/secret")" -binary | b64url)
TOKEN="$h.$p.$sig"

gen_lines 1 200 host >"$T/logs/a.log"
CFG_EXTRA='"retention": "1d", "privacy": {"strip_query": true},
  "index": {"enabled": true, "commit_interval": "200ms"},
  "observe": {"listen": "127.0.0.1:'$OPORT'", "jwt_secret_file": "'$T'/secret", "audience": "'$AUD'",
              "tls_cert_file": "'$certs'/server-chain.pem", "tls_key_file": "'$certs'/server.key"}' \
    make_config "$T/cfg.json"
start_daemon "$T/cfg.json"
wait_log "observe API on https://"
idx_has() { [ "$(metric wtexport_index_records_total)" -ge "$1" ] 2>/dev/null; }
wait_for "the index to hold 200 records" idx_has 200

# https POST PATH BODY [CURL OPTIONS...]: prints the body, then the status on its own last line.
https_post() {
    local path=$1 body=$2
    shift 2
    curl -s -m 10 -w '\n%{http_code}' "$@" -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' --data-binary "$body" "https://127.0.0.1:$OPORT$path"
}
r=$(https_post /health '' --cacert "$certs/ca.pem")
assert_eq 200 "$(tail -n 1 <<<"$r")" "HTTPS /health with the test CA"
assert_eq '{"data":{"status":"ok"}}' "$(sed '$d' <<<"$r")" "health answer over HTTPS"

# A client that does not trust the server's CA is refused (curl: 60, certificate problem).
https_post /health '' --cacert "$certs/other-ca.pem" >/dev/null 2>&1
assert_eq 60 "$?" "a client with an unrelated CA refuses the server"
# Plain HTTP on the TLS port gets no HTTP answer.
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$OPORT/health")
assert_eq 000 "$code" "plain HTTP on the TLS port gets no HTTP answer"

# privacy.strip_query: indexed as http://host.example.com/seq/7, asked for with its query.
Q='[{"type":"url","value":"http://host.example.com/seq/7?q=x"}]'
r=$(https_post /observe/observables "$Q" --cacert "$certs/ca.pem")
assert_eq 200 "$(tail -n 1 <<<"$r")" "observe over HTTPS: status"
assert_eq "1 http://host.example.com/seq/7" \
    "$(sed '$d' <<<"$r" | jq -r '"\([.data.sightings.docs[].count] | add) \(.data.sightings.docs[0].observables[0].value)"')" \
    "observe: a URL asked for with its query is found (strip_query)"
out=$("$WT" lookup -c "$T/cfg.json" url 'http://HOST.example.com/seq/7?q=x')
assert_eq 0 "$?" "lookup of a URL with its query: exit status (seen)"
grep -q "^url http://host.example.com/seq/7$" <<<"$out" || check_fail "lookup key: $out"
grep -q "^total: 1 requests" <<<"$out" || check_fail "lookup total: $out"
stop_daemon
pass
