#!/usr/bin/env bash
# test_ctia_ship.sh - the CTIA sink end to end: `wtexport run` tails logs of
# three past minutes into the CTIA test server as sightings (1m buckets).
# Every sighting passes the server's CTIM check; the counts add up to the
# observables of the events exactly (3 per line); a bucket is one sighting
# per observable with its clients as targets; the records are acked (the
# spool cursor reaches the end); `wtexport replay` of the same logs creates
# nothing new (every sighting "exists"); `status` fetches a token; the
# client secret is in no log, metric, dead letter or command line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctia_lib.sh"

# Tokens live 1 s: the sink renews them ahead of expires_in.
start_ctia --ctia-token-ttl 1
ctia_config "$T/c.json"
"$WT" check-config -c "$T/c.json" >/dev/null || fail "check-config refused the config"

# 3 buckets (ages 300, 240, 180 s: whole minutes apart), 400 lines each.
N=1200
: >"$T/logs/a.log"
write_aged "$T/logs/a.log" 1 400 300
write_aged "$T/logs/a.log" 401 400 240
write_aged "$T/logs/a.log" 801 400 180
start_daemon "$T/c.json"
WT_WAIT_DEADLINE=60 wait_for "sum of sighting counts = 3 * $N" ctia_count_is $((3 * N))
wait_for "every record acked" eval '[ "$(ctia_metric wtexport_ctia_held_batches)" = 0 ]'

assert_eq 0 "$(ctia_stat errors)" "entity errors"
log "tokens issued: $(ctia_stat tokens_issued), refused for expiry: $(ctia_stat unauthorized)"
assert_eq 0 "$(ctia_stat bad_bundles)" "bundles refused"
created=$(ctia_stat created)
# Per bucket: one sighting per client ip (400), one domain, one per url (400).
assert_eq $((3 * (400 + 1 + 400))) "$created" "sightings created"
assert_eq "$created" "$(wc -l <"$CTIA_OUT")" "sightings stored"
# The domain's sightings: one per bucket, 400 requests each, 100 targets + the rest counted.
jq -c 'select(.observables[0].type == "domain")' "$CTIA_OUT" >"$T/dom.ndjson"
assert_eq 3 "$(wc -l <"$T/dom.ndjson")" "domain sightings (one per bucket)"
assert_eq "400 400 400" "$(jq -r .count "$T/dom.ndjson" | tr '\n' ' ' | sed 's/ $//')" "domain counts"
assert_eq "100 100 100" "$(jq -r '.targets | length' "$T/dom.ndjson" | tr '\n' ' ' | sed 's/ $//')" "targets kept"
jq -r .description "$T/dom.ndjson" | grep -q "300 more requests from clients not listed" ||
    check_fail "description does not count the clients beyond the targets"
jq -e 'select(.sensor != "network.proxy" or .internal != true or .source != "wtexport"
              or (.external_ids | length) != 1 or (.id | startswith("transient:sighting-") | not)
              or has("schema_version"))' "$CTIA_OUT" >/dev/null &&
    check_fail "a sighting lacks the fixed fields"
# Each bucket's sightings lie inside their minute.
jq -r '.observed_time | "\(.start_time) \(.end_time)"' "$T/dom.ndjson" | while read -r a b; do
    [ "${a:0:16}" = "${b:0:16}" ] || check_fail "observed_time $a .. $b spans two minutes"
done
head -n 1 "$T/dom.ndjson" | jq . >"$T/one-sighting.json"
log "one sighting: $(head -c 400 "$T/one-sighting.json" | tr -d '\n')"
[ -n "${CTIA_SAMPLE_OUT:-}" ] && cp "$T/one-sighting.json" "$CTIA_SAMPLE_OUT"

# Metrics say the same.
assert_eq "$created" "$(ctia_metric wtexport_ctia_entities_total 'result="created"')" "created metric"
assert_eq $((3 * N)) "$(ctia_metric wtexport_ctia_imported_count_total)" "imported count metric"
check_no_ctia_secrets "$DLOG" "/proc/$DPID/cmdline" "$T/c.json"
curl -s -m 5 "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt"
check_no_ctia_secrets "$T/metrics.txt"

# status: a token, without importing anything.
imports=$(ctia_stat imports)
"$WT" status -c "$T/c.json" >"$T/status.out" 2>&1
grep -q "token: *ok, expires in" "$T/status.out" || check_fail "status: $(cat "$T/status.out")"
assert_eq "$imports" "$(ctia_stat imports)" "imports made by status"
check_no_ctia_secrets "$T/status.out"
stop_daemon

# The same logs replayed: every sighting exists already, none is created.
timeout -s KILL 60 "$WT" replay -c "$T/c.json" "$T/logs/a.log" >>"$T/replay.out" 2>>"$DLOG" ||
    check_fail "replay failed"
assert_eq "$created" "$(ctia_stat created)" "sightings created after a replay of the same logs"
assert_eq "$created" "$(ctia_stat exists)" "sightings answered exists on the replay"
check_no_ctia_secrets "$DLOG"
pass
