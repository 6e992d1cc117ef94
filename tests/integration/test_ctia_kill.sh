#!/usr/bin/env bash
# test_ctia_kill.sh - nothing counted twice, nothing lost, through SIGKILLs:
# `wtexport run` ships logs of ten past minutes (1m buckets) into the CTIA
# test server, which answers slowly (imports in flight, bundles of 100),
# and is killed with SIGKILL four times: while importing, right after more
# lines arrive, while the journal is replayed, and during an outage (every
# import answered 503). After each restart the
# spool replays the unacked records and the journal re-derives the same
# sightings under the same external ids. In the end the counts of all
# sightings created add up to the events' observables exactly (3 a line):
# a sighting imported twice under another id, or one lost, would show.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ctia_lib.sh"

start_ctia --latency 120
ctia_config "$T/c.json" '"max_entities": 100, "concurrency": 3, "retry": {"base": "50ms", "cap": "300ms"}'
# Kills come after the input's checkpoint covers the file: lines read again
# by the tailer (up to checkpoint_interval of them) are new events to the
# spool, and this test is about what the sink adds, not the tailer.
checkpointed() {
    [ "$(jq -r '.files[0].offset' "$T/state/checkpoints.json" 2>/dev/null)" = "$(stat -c %s "$T/logs/a.log")" ]
}
: >"$T/logs/a.log"
N=0
chunk() { # AGE: 300 more lines in the bucket AGE seconds back
    write_aged "$T/logs/a.log" $((N + 1)) 300 "$1"
    N=$((N + 300))
}
for age in 660 600 540; do chunk $age; done
start_daemon "$T/c.json"

# 1. Killed while importing (some sightings stored, requests in flight).
wait_for "some sightings stored" eval '[ "$(ctia_stat created)" -ge 100 ]'
wait_for "input checkpointed" checkpointed
kill_daemon
log "killed #1 with $(ctia_stat count_created) of $((3 * N)) counted"
for age in 480 420; do chunk $age; done
start_daemon "$T/c.json"

# 2. Killed right after new lines came in (records counted, maybe not journaled).
wait_for "journal written" test -s "$T/state/ctia-ctia0.json"
for age in 360 300; do chunk $age; done
wait_for "input checkpointed" checkpointed
kill_daemon
log "killed #2 with $(ctia_stat count_created) of $((3 * N)) counted"
start_daemon "$T/c.json"

# 3. Killed again at once, while the journal is replayed.
for age in 240 180 120; do chunk $age; done
wait_for "input checkpointed" checkpointed
kill_daemon
log "killed #3 with $(ctia_stat count_created) of $((3 * N)) counted"
start_daemon "$T/c.json"

# 4. Killed during an outage (every import answered 503 for 8 s), with
#    new lines and flushes journaled but not imported.
wait_for "input checkpointed" checkpointed
curl -s -X POST "http://127.0.0.1:$CTIA_PORT/ctia/outage?ms=8000" >/dev/null
chunk 60
wait_for "imports refused in the outage" eval '[ "$(ctia_stat outage_answers)" -ge 2 ]'
wait_for "input checkpointed" checkpointed
kill_daemon
log "killed #4 in the outage with $(ctia_stat count_created) of $((3 * N)) counted"
start_daemon "$T/c.json"

WT_WAIT_DEADLINE=90 wait_for "sum of sighting counts = 3 * $N" ctia_count_is $((3 * N))
wait_for "every record acked" eval '[ "$(ctia_metric wtexport_ctia_held_batches)" = 0 ]'
# Give a late duplicate a chance to show before the final check.
wait_for "nothing in flight" eval '[ "$(ctia_metric wtexport_ctia_open_sightings)" = 0 ]'
assert_eq $((3 * N)) "$(ctia_stat count_created)" "sum of counts of created sightings (events x 3)"
assert_eq 0 "$(ctia_stat errors)" "entity errors"
log "exists answers (re-imports after kills): $(ctia_stat exists); journal: $(jq -c '.flushes | length' "$T/state/ctia-ctia0.json") flushes kept"
# Every sighting's external id is unique among those created.
assert_eq 0 "$(jq -r '.external_ids[0]' "$CTIA_OUT" | sort | uniq -d | wc -l)" "external ids created twice"
stop_daemon
check_no_ctia_secrets "$DLOG"
pass
