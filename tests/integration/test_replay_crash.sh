#!/usr/bin/env bash
# test_replay_crash.sh - `wtexport replay` killed and run again ships every
# line once (issue 12, points 1 and 6).
#
# Three files (plain, gzip, plain; lines with unique markers seq N) are
# replayed to a file sink and an SSE sink (the test server, slowed down
# with --latency so a replay lasts several seconds). The replay is killed
# with SIGKILL at seeded random moments (WT_CRASH_SEED, default 12), at
# named crash points (WT_CRASH_AT: replay-state, file-written,
# sse-planned, at their n-th pass), and stopped once with SIGTERM (the 4th
# stop); each
# time the same command is run again, until one run finishes (exit 0).
# Then every seq is in the file sink and at the server exactly once:
# 0 lost, 0 duplicated. A further run ships nothing (the job is complete),
# and --restart ships the files again, on purpose.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sse_lib.sh"

# REPLAY_ARGS=--no-state measures replay without its state (expect failures).
SEED=${WT_CRASH_SEED:-12}
KILLS=${WT_CRASH_KILLS:-24}
RANDOM=$SEED
CFG=$T/cfg.json
OUT=$T/out.ndjson
N1=40000 N2=30000 N3=20000
LAST=$((N1 + N2 + N3))
log "seed $SEED, up to $KILLS kills, $LAST lines"

gen_lines 1 "$N1" host >"$T/logs/a.log"
gen_lines $((N1 + 1)) "$N2" host | gzip -c >"$T/logs/b.log.gz"
gen_lines $((N1 + N2 + 1)) "$N3" host >"$T/logs/c.log"
FILES=("$T/logs/a.log" "$T/logs/b.log.gz" "$T/logs/c.log")

start_sse --latency 100
cat >"$CFG" <<EOF
{
  "state_dir": "$T/state",
  "retention": "1d",
  "inputs": [{"path": "$T/logs/*.log"}],
  "sinks": [{"type": "file", "name": "file0", "path": "$OUT", "compress": "none"},
            {"type": "sse", "name": "sse0", "url": "$SSE_URL", "concurrency": 2,
             "retry": {"base": "50ms", "cap": "300ms"}}],
  "batch": {"max_events": 1500},
  "metrics": {"listen": ""},
  "log": {"level": "info"},
  "shutdown": {"drain_timeout": "10s"}
}
EOF
sse_register "$CFG"

rand_ms() { echo "$((RANDOM % $1))"; } # 0..$1-1
sleep_ms() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }

NSTART=0
RPID=
start_replay() { # [ARGS...]
    NSTART=$((NSTART + 1))
    echo "======== test: replay #$NSTART ${WT_CRASH_AT:+(WT_CRASH_AT=$WT_CRASH_AT)} $* ========" >>"$DLOG"
    DLOG_FROM=$(($(wc -l <"$DLOG") + 1))
    # shellcheck disable=SC2086 # REPLAY_ARGS: words
    "$WT" replay -c "$CFG" ${REPLAY_ARGS:-} "$@" "${FILES[@]}" >/dev/null 2>>"$DLOG" &
    RPID=$!
    bg_track "$RPID"
}
# RC: the exit status of the replay, once it has ended.
reap_replay() {
    RC=0
    wait "$RPID" 2>/dev/null || RC=$?
    RPID=
}
done_before() { dlog_has 'nothing to ship'; }

CRASH_POINTS=(replay-state file-written sse-planned)
declare -A KINDS=()
finished=0
for k in $(seq 1 "$KILLS"); do
    kind=$((RANDOM % 6))
    [ "$k" = 4 ] && kind=sigterm
    case $kind in
    sigterm) # SIGTERM: the replay stops at once, a re-run goes on from its state
        start_replay
        sleep_ms $((200 + $(rand_ms 400)))
        alive "$RPID" && kill -TERM "$RPID" 2>/dev/null
        WT_WAIT_DEADLINE=60 wait_for "replay to stop on SIGTERM" eval '! alive $RPID'
        [ -n "${REPLAY_ARGS:-}" ] || dlog_has 'run the same command again' ||
            dlog_has 'finished' || fail "SIGTERM: no 'run the same command again' line"
        what=SIGTERM
        ;;
    0 | 1 | 2) # a random moment
        start_replay
        sleep_ms $((100 + $(rand_ms 1200)))
        what="random moment"
        ;;
    3) # right after the start
        start_replay
        sleep_ms "$(rand_ms 120)"
        what="after start"
        ;;
    4 | 5) # a named crash point, at its n-th pass
        cp=${CRASH_POINTS[$((RANDOM % ${#CRASH_POINTS[@]}))]}
        WT_CRASH_AT="$cp:$((1 + RANDOM % 8))"
        export WT_CRASH_AT
        start_replay
        unset WT_CRASH_AT
        WT_WAIT_DEADLINE=60 wait_for "replay to reach $cp or end" eval '! alive $RPID'
        what="crash point $cp"
        ;;
    esac
    if alive "$RPID"; then
        kill -KILL "$RPID" 2>/dev/null
    fi
    reap_replay
    KINDS[$what]=$((${KINDS[$what]:-0} + 1))
    log "kill $k: $what (exit $RC; file sink $(count_lines "$OUT") lines, server $(sse_stat accepted_events) events)"
    if [ "$RC" = 0 ]; then
        finished=1
        log "the replay finished before kill $k"
        break
    fi
done

# The last run: to the end.
if [ "$finished" = 0 ]; then
    start_replay
    WT_WAIT_DEADLINE=180 wait_for "the last replay to end" eval '! alive $RPID'
    reap_replay
    assert_eq 0 "$RC" "exit status of the last replay"
fi
for kind in "${!KINDS[@]}"; do log "kills $kind: ${KINDS[$kind]}"; done
log "replay starts: $NSTART"
log "file sink (missing dups extra total): $(seq_stats "$OUT" 1 "$LAST" host)"
log "server    (missing dups extra total): $(seq_stats "$SSE_EVENTS" 1 "$LAST" host)"
log "server: $(sse_stat accepted_batches) batches accepted, $(sse_stat duplicate_batches) answered 409"
check_exactly_once "$OUT" 1 "$LAST" host "file sink"
check_exactly_once "$SSE_EVENTS" 1 "$LAST" host "sse sink"
state=$(ls "$T"/state/replay-*.json)
assert_eq true "$(jq -r .complete "$state")" "the state file says complete"
[ -z "$(ls "$T"/state/replay-*.plan 2>/dev/null)" ] || fail "the job's SSE plan is left behind"

# Once more: nothing to ship.
lines_before=$(count_lines "$OUT")
accepted_before=$(sse_stat accepted_events)
start_replay
WT_WAIT_DEADLINE=60 wait_for "the repeated replay to end" eval '! alive $RPID'
reap_replay
assert_eq 0 "$RC" "exit status of a replay of a complete job"
done_before || fail "no 'nothing to ship' line for a complete job"
assert_eq "$lines_before" "$(count_lines "$OUT")" "file sink lines after a repeated replay"
assert_eq "$accepted_before" "$(sse_stat accepted_events)" "server events after a repeated replay"

# --restart: shipped again, on purpose (new Idempotency-Keys: stored again).
start_replay --restart
WT_WAIT_DEADLINE=180 wait_for "the restarted replay to end" eval '! alive $RPID'
reap_replay
assert_eq 0 "$RC" "exit status of replay --restart"
read -r missing dups extra total < <(seq_stats "$OUT" 1 "$LAST" host)
assert_eq "$LAST" "$dups" "file sink: every line once more after --restart"
read -r missing dups extra total < <(seq_stats "$SSE_EVENTS" 1 "$LAST" host)
assert_eq "$LAST" "$dups" "server: every line once more after --restart"
pass
