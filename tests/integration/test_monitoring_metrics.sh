#!/usr/bin/env bash
# Every metric name that deploy/monitoring/alerts.yml and
# deploy/monitoring/grafana-dashboard.json query is one that a running
# wtexport exposes on /metrics, so renaming a metric fails here instead of
# silently breaking an alert or a panel. The daemon runs with a file, an
# sse (wt-sse-server) and a kafka (mock cluster) sink so that every
# per-sink series exists, and is scraped after each sink acknowledged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"
. "$(dirname "$0")/kafka_lib.sh"

MON=$WT_SRC/deploy/monitoring
command -v jq >/dev/null || fail "jq is needed (deploy/deps.sh installs it)"

# PromQL expressions of the rules: the `expr:` values, one-line or block.
rule_exprs() {
    awk '
        /^[ \t]*expr:/ {
            line = $0
            sub(/^[ \t]*expr:[ \t]*/, "", line)
            if (line == "|" || line == ">") {
                match($0, /^[ \t]*/)
                ind = RLENGTH
                inblock = 1
                next
            }
            print line
            next
        }
        inblock {
            match($0, /^[ \t]*/)
            if ($0 !~ /^[ \t]*$/ && RLENGTH <= ind) { inblock = 0 }
            else { print; next }
        }' "$MON/alerts.yml"
}
dashboard_exprs() { jq -r '.. | objects | select(has("expr")) | .expr' "$MON/grafana-dashboard.json"; }
# Metric names in PromQL: identifiers followed by "{", "[", ")" , space or
# end that start with wtexport_ (label names and functions never do).
names_in() { grep -o 'wtexport_[a-zA-Z0-9_:]*' | sort -u; }

rule_exprs >"$T/rules.promql"
dashboard_exprs >"$T/dashboard.promql"
names_in <"$T/rules.promql" >"$T/rules.names"
names_in <"$T/dashboard.promql" >"$T/dashboard.names"
nr=$(wc -l <"$T/rules.names")
nd=$(wc -l <"$T/dashboard.names")
# Guard against an extraction that finds nothing (and so checks nothing).
[ "$nr" -ge 15 ] || fail "only $nr metric names found in the rules' expressions: $(tr '\n' ' ' <"$T/rules.names")"
[ "$nd" -ge 25 ] || fail "only $nd metric names found in the dashboard's expressions"
grep -q 'up{job="wtexport"' "$T/rules.promql" || fail "no exporter-down rule on up{job=\"wtexport\"}"
log "rules use $nr metric names, the dashboard $nd"

# A daemon with all three sink types, fed until each sink acknowledged.
start_sse
start_mock 2
cfg=$T/wt.json
cat >"$cfg" <<EOC
{
  "state_dir": "$T/state",
  "inputs": [{"path": "$T/logs/*.log"}],
  "sinks": [
    {"type": "file", "path": "$DOUT", "compress": "none"},
    {"type": "sse", "name": "sse0", "url": "$SSE_URL"},
    {"type": "kafka", "name": "kafka0", "brokers": "$BOOT", "topic": "wt"}
  ],
  "batch": {"linger": "200ms"},
  "scan_interval": "1s",
  "metrics": {"listen": "127.0.0.1:$PORT"}
}
EOC
sse_register "$cfg"
gen_lines 1 200 >"$T/logs/access.log"
start_daemon "$cfg"
sink_acked() { # SINK N
    [ "$(metric_series wtexport_sink_events_total | awk -v s="sink=\"$1\"" 'index($0, s) { print $2; exit }')" -ge "$2" ] 2>/dev/null
}
for s in file0 sse0 kafka0; do
    wait_for "sink $s to acknowledge 200 events" sink_acked "$s" 200
done
curl -s -m 5 "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt" || fail "scrape failed"
stop_daemon

# Names /metrics exposes: every sample's name (histograms as _bucket, _sum
# and _count, as PromQL uses them).
awk '!/^#/ && NF { n = $1; sub(/\{.*/, "", n); print n }' "$T/metrics.txt" | sort -u >"$T/exposed.names"
[ "$(wc -l <"$T/exposed.names")" -ge 30 ] || fail "the scrape has only $(wc -l <"$T/exposed.names") metric names"

missing=0
for what in rules dashboard; do
    while read -r n; do
        if ! grep -qx "$n" "$T/exposed.names"; then
            echo "FAIL: $TEST_NAME: the $what use $n, which /metrics does not expose" >&2
            missing=$((missing + 1))
        fi
    done <"$T/$what.names"
done
[ "$missing" = 0 ] || fail "$missing metric name(s) of deploy/monitoring are not exposed (renamed?); exposed: $(tr '\n' ' ' <"$T/exposed.names")"
log "ok: all $(sort -u "$T/rules.names" "$T/dashboard.names" | wc -l) metric names of the rules and dashboard are exposed"
pass
