#!/usr/bin/env bash
# deploy/monitoring: the alert rules pass `promtool check rules`, their unit
# tests (alerts.test.yml: cases that fire and cases that must not) pass
# `promtool test rules`, and the Grafana dashboard is Grafana 10 JSON whose
# panels cover throughput, lag, spool, sinks, drops and latency. Skipped
# (exit 77) without promtool (Debian package prometheus, deploy/deps.sh).
set -uo pipefail
MON=${WT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/deploy/monitoring
fail() { echo "FAIL: test_monitoring_rules: $*" >&2; exit 1; }

if ! command -v promtool >/dev/null 2>&1; then
    echo "SKIP: test_monitoring_rules: promtool not installed (apt-get install prometheus, or deploy/deps.sh)"
    exit 77
fi
command -v jq >/dev/null || fail "jq is needed (deploy/deps.sh installs it)"
T=$(mktemp -d /tmp/wt-it-monrules.XXXXXX)
trap 'rm -rf "$T"' EXIT

promtool check rules "$MON/alerts.yml" >"$T/check.out" 2>&1 || {
    cat "$T/check.out" >&2
    fail "promtool check rules alerts.yml"
}
grep -q 'SUCCESS' "$T/check.out" || fail "promtool check rules: $(cat "$T/check.out")"
# promtool resolves rule_files relative to the test file.
(cd "$MON" && promtool test rules alerts.test.yml) >"$T/test.out" 2>&1 || {
    cat "$T/test.out" >&2
    fail "promtool test rules alerts.test.yml"
}
echo "test_monitoring_rules: $(grep -c '^      - alert:' "$MON/alerts.yml") rules, promtool check and test pass"

# Every alert has a unit test case that fires it, and every test file case
# names an alert that exists.
alerts=$(awk '/^      - alert:/ { print $3 }' "$MON/alerts.yml" | sort -u)
tested=$(awk '/alertname:/ { print $2 }' "$MON/alerts.test.yml" | sort -u)
for a in $tested; do
    grep -qx "$a" <<<"$alerts" || fail "alerts.test.yml tests $a, which alerts.yml does not define"
done
untested=$(comm -23 <(echo "$alerts") <(echo "$tested") | tr '\n' ' ')
[ -z "$untested" ] || fail "alerts without a case in alerts.test.yml: $untested"
ntested=$(echo "$tested" | wc -w)
grep -q 'exp_alerts: \[\]' "$MON/alerts.test.yml" || fail "no case where an alert must not fire"
echo "test_monitoring_rules: all $ntested alerts unit-tested"

# The dashboard: Grafana 10 (schemaVersion 38), importable (__inputs names
# the Prometheus data source), every panel queries through the datasource
# variable, and the rows cover what the issue asks for.
D=$MON/grafana-dashboard.json
jq -e . "$D" >/dev/null || fail "grafana-dashboard.json is not JSON"
[ "$(jq '.schemaVersion' "$D")" -ge 38 ] || fail "schemaVersion $(jq .schemaVersion "$D") is older than Grafana 10's (38)"
jq -e '.__inputs[] | select(.pluginId == "prometheus")' "$D" >/dev/null || fail "no Prometheus __inputs entry"
jq -e '.__requires[] | select(.id == "grafana" and (.version | startswith("10")))' "$D" >/dev/null ||
    fail "__requires does not name Grafana 10"
bad=$(jq -r '.panels[] | select(.type != "row") | select(.datasource.uid != "${datasource}" or (.targets | length) == 0) | .title' "$D")
[ -z "$bad" ] || fail "panels without the datasource variable or without queries: $bad"
[ "$(jq '[.panels[].id] | length' "$D")" = "$(jq '[.panels[].id] | unique | length' "$D")" ] || fail "duplicate panel ids"
for row in Overview Throughput Lag "Spool and memory" Sinks Drops Latency; do
    jq -e --arg r "$row" '.panels[] | select(.type == "row" and .title == $r)' "$D" >/dev/null ||
        fail "no dashboard row \"$row\""
done
echo "test_monitoring_rules: dashboard: $(jq '[.panels[] | select(.type != "row")] | length' "$D") panels in $(jq '[.panels[] | select(.type == "row")] | length' "$D") rows"
echo "test_monitoring_rules: ok"
