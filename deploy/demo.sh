#!/usr/bin/env bash
# The README's main command: install what is missing, build, then run the
# exporter on the bundled sample access logs (tests/data): it follows them,
# spools the batches on disk and ships them to two sinks, the embedded
# default file sink (zstd-compressed NDJSON) and a local SSE test server
# started for the demo (it registers with it first). Then it shows what the
# server received. Last, the same logs go to the server's CTIA endpoints
# (OAuth2 token + bundle import, docs/ctia.md) as CTIM sightings, and it
# shows how many sightings came from how many events, and one of them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD:-build}
jobs=$(nproc 2>/dev/null || echo 2)

if [ "$(id -u)" -eq 0 ]; then ./deploy/deps.sh; else sudo ./deploy/deps.sh; fi
# shellcheck disable=SC2086
cmake -S . -B "$build" ${CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j"$jobs" --target wtexport wt-sse-server >/dev/null
bin="$root/$build/bin/wtexport"
srv="$root/$build/bin/wt-sse-server"

demo="$root/$build/demo"
rm -rf "$demo"
mkdir -p "$demo/logs" "$demo/state" "$demo/out" "$demo/server"
daemon= server=
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
    [ -n "$server" ] && kill "$server" 2>/dev/null
    true
}
trap cleanup EXIT

# The public samples date from 2010 to 2025; the default retention window
# (2 days) would rightly drop them all. Shift each line's epoch timestamp
# into the last hour, keeping everything else byte for byte.
now=$(date +%s)
for f in tests/data/wsa_squid_*.log tests/data/wsa_malformed_public.log; do
    awk -v now="$now" '{
        for (i = 1; i <= NF && i <= 12; i++)
            if ($i ~ /^[0-9]+\.[0-9][0-9][0-9]$/ && length($i) >= 13) {
                sub(/[0-9]+\.[0-9][0-9][0-9]/, sprintf("%d.%03d", now - 3600 + NR * 7, NR % 1000)); break
            }
        print
    }' "$f" > "$demo/logs/$(basename "$f")"
done
{ cat tests/data/wsa_w3c_header_cisco_doc.txt
  echo "$((now - 60)).250 97 172.16.5.20 TCP_MISS/200 8187 GET http://www.Example.COM:80/index.html?id=7#top \"CORP\\alice\" DIRECT/93.184.216.34 text/html DEFAULT_CASE_11-Pol-Id-OMS-DS-DLP-Routing <IW_comp,6.9> -"
  echo "$((now - 30)).500 12 2001:0DB8:0:0::42 TCP_DENIED/403 0 CONNECT tunnel://bad.example.net:443/ - NONE/- - BLOCK_WEBCAT_12-Pol-Id-NONE-NONE-NONE-NONE <IW_mal,-9.5> -"
} > "$demo/logs/wsa_w3c_doc_example.log"

# The local SSE test server (docs/sse-protocol.md): registration token,
# accepted events appended to a file.
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$demo/server/token"
# The CTIA API client: its id and secret in files only the owner can read.
(umask 077
 echo "demo-client" >"$demo/server/ctia-client-id"
 head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$demo/server/ctia-client-secret")
"$srv" --listen 127.0.0.1:0 --port-file "$demo/server/port" --token-file "$demo/server/token" \
    --events-out "$demo/server/events.ndjson" --log "$demo/server/requests.log" \
    --ctia-client-id demo-client --ctia-secret-file "$demo/server/ctia-client-secret" \
    --ctia-out "$demo/server/sightings.ndjson" 2>/dev/null &
server=$!
for _ in $(seq 100); do [ -s "$demo/server/port" ] && break; sleep 0.05; done
port=$(cat "$demo/server/port")

# The observe API (relay module) on a loopback port, HS256 tokens with this secret.
oport=$((20000 + RANDOM % 10000))
head -c 48 /dev/urandom | base64 -w0 >"$demo/observe.secret"

cat > "$demo/wtexport.json" <<JSON
{
  "state_dir": "$demo/state",
  "retention": "2d",
  "inputs": [ { "path": "$demo/logs/*.log", "format": "auto" } ],
  "batch": { "max_events": 5000, "max_bytes": "1MiB", "linger": "200ms" },
  "sinks": [
    { "type": "file", "path": "$demo/out/events.ndjson.zst", "compress": "zstd" },
    { "type": "sse", "name": "sse", "url": "http://127.0.0.1:$port" }
  ],
  "metrics": { "listen": "" },
  "index": { "enabled": true, "commit_interval": "200ms" },
  "observe": { "listen": "127.0.0.1:$oport", "jwt_secret_file": "$demo/observe.secret",
               "audience": "http://127.0.0.1:$oport" },
  "log": { "level": "warn" }
}
JSON

echo "== wtexport $("$bin" --version | cut -d' ' -f2): $(cat "$demo"/logs/*.log | wc -l) sample log lines in $demo/logs"
"$bin" check-config -c "$demo/wtexport.json" >/dev/null
"$bin" register -c "$demo/wtexport.json" --token-file - <"$demo/server/token" | sed 's/^/   /'
expected=$("$bin" parse "$demo"/logs/*.log 2>/dev/null | wc -l)

"$bin" run -c "$demo/wtexport.json" &
daemon=$!
got() { [ -s "$demo/server/events.ndjson" ] && wc -l <"$demo/server/events.ndjson" || echo 0; }
for _ in $(seq 300); do [ "$(got)" -ge "$expected" ] && break; sleep 0.1; done

out="$demo/out/events.ndjson.zst"
echo
echo "== shipped through the spool ($demo/state/spool)"
echo "   file sink: $out: $(zstd -dcq "$out" | wc -l) events, $(stat -c %s "$out") bytes (zstd)"
echo "   SSE test server (127.0.0.1:$port): $(got) of $expected events, in" \
     "$(grep -c ' POST /v1/events ' "$demo/server/requests.log" || true) upload(s)"
echo "   observables received by the server, by type:"
grep -o '"type":"[a-z0-9]*"' "$demo/server/events.ndjson" | cut -d'"' -f4 | sort | uniq -c |
    sort -rn | awk '{ printf "     %-7s %s\n", $2, $1 }'
echo "   first event received:"
head -1 "$demo/server/events.ndjson" | sed 's/^/     /'
# The index commits every 200 ms; wait until it holds the blocked CONNECT.
for _ in $(seq 100); do
    "$bin" lookup -c "$demo/wtexport.json" domain bad.example.net >/dev/null 2>&1 && break
    sleep 0.1
done

# An XDR-style call: a JWT signed HS256 with the shared secret (aud = module URL).
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
jh=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
jp=$(printf '{"aud":"http://127.0.0.1:%s","exp":%d}' "$oport" $(($(date +%s) + 300)) | b64url)
js=$(printf '%s.%s' "$jh" "$jp" | openssl dgst -sha256 -mac HMAC -macopt "key:$(cat "$demo/observe.secret")" -binary | b64url)
echo
echo "== who saw bad.example.net? (observe API, as Cisco XDR asks a relay module)"
echo "   POST http://127.0.0.1:$oport/observe/observables  [{\"type\":\"domain\",\"value\":\"bad.example.net\"}]"
curl -s -X POST -H "Authorization: Bearer $jh.$jp.$js" -H 'Content-Type: application/json' \
    -d '[{"type":"domain","value":"bad.example.net"}]' "http://127.0.0.1:$oport/observe/observables" |
    jq . | sed 's/^/     /'
echo "== the same with wtexport lookup"
"$bin" lookup -c "$demo/wtexport.json" domain bad.example.net | sed 's/^/     /'
kill -TERM "$daemon"; wait "$daemon"; daemon=

# CTIA: `wtexport run` imports a bucket once it ended (plus bucket_grace);
# `replay` imports everything when its input ends, so the demo uses it.
cat > "$demo/ctia.json" <<JSON
{
  "state_dir": "$demo/state-ctia",
  "inputs": [ { "path": "$demo/logs/*.log" } ],
  "sinks": [
    { "type": "ctia", "token_url": "http://127.0.0.1:$port/iroh/oauth2/token",
      "import_url": "http://127.0.0.1:$port/ctia/bundle/import",
      "client_id_file": "$demo/server/ctia-client-id",
      "client_secret_file": "$demo/server/ctia-client-secret", "bucket": "1h" }
  ],
  "metrics": { "listen": "" },
  "log": { "level": "warn" }
}
JSON
"$bin" replay -c "$demo/ctia.json" "$demo"/logs/*.log >/dev/null 2>&1
stats=$(curl -s "http://127.0.0.1:$port/stats")
echo
echo "== CTIA private intelligence (test server): CTIM sightings, 1-hour buckets"
echo "   $expected events -> $(jq .ctia.created <<<"$stats") sightings created in" \
     "$(jq .ctia.imports <<<"$stats") bundle import(s) (their counts add up to" \
     "$(jq .ctia.count_created <<<"$stats") observables), $(jq .ctia.errors <<<"$stats") refused"
# --restart: ship the same files again on purpose (a plain re-run of a
# finished replay ships nothing); the ids are the same, so CTIA has them.
"$bin" replay -c "$demo/ctia.json" --restart "$demo"/logs/*.log >/dev/null 2>&1
again=$(curl -s "http://127.0.0.1:$port/stats")
echo "   the same logs replayed (--restart): $(( $(jq .ctia.created <<<"$again") - $(jq .ctia.created <<<"$stats") ))" \
     "created, $(jq .ctia.exists <<<"$again") answered exists (stable external ids)"
echo "   one sighting (the busiest):"
jq -s 'max_by(.count)' "$demo/server/sightings.ndjson" | sed 's/^/     /'
echo
echo "Run it yourself: $bin run -c $demo/wtexport.json   (docs/config.md, docs/sse-protocol.md,"
echo "                 docs/ctia.md, docs/observe-api.md; $bin lookup -c $demo/wtexport.json domain bad.example.net)"
