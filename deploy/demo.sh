#!/usr/bin/env bash
# The README's main command: install what is missing, build, then ship the
# bundled sample access logs (tests/data) through the exporter's pipeline
# into the embedded default sink (a zstd-compressed NDJSON file) and show
# what came out.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD:-build}
jobs=$(nproc 2>/dev/null || echo 2)

if [ "$(id -u)" -eq 0 ]; then ./deploy/deps.sh; else sudo ./deploy/deps.sh; fi
# shellcheck disable=SC2086
cmake -S . -B "$build" ${CMAKE_FLAGS:-} >/dev/null
cmake --build "$build" -j"$jobs" --target wtexport >/dev/null
bin="$root/$build/bin/wtexport"

demo="$root/$build/demo"
rm -rf "$demo"
mkdir -p "$demo/logs" "$demo/state" "$demo/out"

# The public samples date from 2010 to 2025; the default retention window
# (2 days) would rightly drop them all. Shift each line's epoch timestamp
# into the last hour, keeping everything else byte for byte.
now=$(date +%s)
for f in tests/data/wsa_squid_*.log tests/data/wsa_malformed_public.log; do
    awk -v now="$now" '{
        for (i = 1; i <= NF && i <= 12; i++)
            if ($i ~ /^[0-9]{9,10}\.[0-9]{3}$/) {
                sub(/[0-9]{9,10}\.[0-9]{3}/, sprintf("%d.%03d", now - 3600 + NR * 7, NR % 1000)); break
            }
        print
    }' "$f" > "$demo/logs/$(basename "$f")"
done
{ cat tests/data/wsa_w3c_header_cisco_doc.txt
  echo "$((now - 60)).250 97 172.16.5.20 TCP_MISS/200 8187 GET http://www.Example.COM:80/index.html?id=7#top \"CORP\\alice\" DIRECT/93.184.216.34 text/html DEFAULT_CASE_11-Pol-Id-OMS-DS-DLP-Routing <IW_comp,6.9> -"
  echo "$((now - 30)).500 12 2001:0DB8:0:0::42 TCP_DENIED/403 0 CONNECT tunnel://bad.example.net:443/ - NONE/- - BLOCK_WEBCAT_12-Pol-Id-NONE-NONE-NONE-NONE <IW_mal,-9.5> -"
} > "$demo/logs/wsa_w3c_doc_example.log"

cat > "$demo/wtexport.json" <<JSON
{
  "state_dir": "$demo/state",
  "retention": "2d",
  "inputs": [ { "path": "$demo/logs/*.log", "format": "auto" } ],
  "batch": { "max_events": 5000, "max_bytes": "1MiB", "linger": "200ms" },
  "sinks": [ { "type": "file", "path": "$demo/out/events.ndjson.zst", "compress": "zstd" } ],
  "metrics": { "listen": "" },
  "log": { "level": "warn" }
}
JSON

echo "== wtexport $("$bin" --version | cut -d' ' -f2): shipping $(cat "$demo"/logs/*.log | wc -l) sample log lines"
echo "   config: $demo/wtexport.json"
"$bin" check-config -c "$demo/wtexport.json" >/dev/null
"$bin" replay -c "$demo/wtexport.json" "$demo"/logs/*.log

out="$demo/out/events.ndjson.zst"
echo
echo "== shipped: $out ($(stat -c %s "$out") bytes, zstd)"
echo "   events: $(zstd -dcq "$out" | wc -l)"
echo "   observables by type:"
zstd -dcq "$out" | grep -o '"type":"[a-z0-9]*"' | cut -d'"' -f4 | sort | uniq -c | sort -rn |
    awk '{ printf "     %-7s %s\n", $2, $1 }'
echo "   first event:"
zstd -dcq "$out" | head -1 | sed 's/^/     /'
echo
echo "Follow live logs instead: $bin run -c $demo/wtexport.json  (see docs/config.md)"
