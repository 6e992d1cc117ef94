#!/usr/bin/env bash
# index_rss.sh - memory of the index in the running daemon (issue 15 point 1,
# "RSS is bounded and measured"): `wtexport run` follows a generated WSA log
# of LINES lines (timestamps within the last hour) to a file sink, once
# without and once with index.enabled; when every line is read and indexed,
# prints VmHWM (peak), RssAnon (heap: ingest buffers, writer scratch) and
# RssFile (LMDB pages mapped; page cache, shared, reclaimable) of each.
#
#   bench/index_rss.sh [LINES [OUT]]   (default 1000000, bench/results/index_rss.txt)
set -eu
LINES=${1:-1000000}
OUT=${2:-bench/results/index_rss.txt}
BIN=${WT_BIN:-build/bin}
DIR=$(mktemp -d /tmp/wt-index-rss.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$DIR"' EXIT
pid=
mkdir -p "$DIR/logs" "$(dirname "$OUT")"
"$BIN/wt-loggen" --lines "$LINES" --start $(($(date +%s) - 3600)) --rate $((LINES / 3000 + 1)) \
    --output "$DIR/logs/access.log"
port() { echo $((20000 + RANDOM % 10000)); }
metric() { curl -s "http://127.0.0.1:$2/metrics" | awk -v n="$1" '$1 == n { print $2; exit }'; }
status() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
: >"$OUT.tmp"
for index in false true; do
    rm -rf "$DIR/state" "$DIR/out.ndjson"
    p=$(port)
    cat >"$DIR/cfg.json" <<CFG
{ "state_dir": "$DIR/state", "retention": "30d",
  "inputs": [{"path": "$DIR/logs/*.log"}],
  "sinks": [{"type": "file", "path": "$DIR/out.ndjson", "compress": "none"}],
  "index": {"enabled": $index},
  "metrics": {"listen": "127.0.0.1:$p"} }
CFG
    "$BIN/wtexport" run -c "$DIR/cfg.json" 2>"$DIR/daemon.log" &
    pid=$!
    t0=$(date +%s)
    until [ "$(metric wtexport_lines_read_total "$p" 2>/dev/null || echo 0)" = "$LINES" ] &&
        { [ $index = false ] || [ "$(metric wtexport_index_records_total "$p" 2>/dev/null || echo 0)" -ge "$((LINES * 99 / 100))" ]; }; do
        sleep 0.5
        [ $(($(date +%s) - t0)) -lt 900 ] || { echo "timed out" >&2; exit 1; }
    done
    sleep 2 # a last index commit
    printf 'index.enabled=%s lines %s vmhwm_kib %s rss_kib %s rss_anon_kib %s rss_file_kib %s index_bytes %s\n' \
        "$index" "$LINES" "$(status VmHWM)" "$(status VmRSS)" "$(status RssAnon)" "$(status RssFile)" \
        "$(metric wtexport_index_bytes "$p" || echo 0)" | tee -a "$OUT.tmp"
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
done
mv "$OUT.tmp" "$OUT"
