#!/usr/bin/env bash
# read_from "end":
#   - first start: existing content is skipped, only lines appended after the
#     start come out; a file created after the start is read from its start
#   - restart with a checkpoint: the checkpoint wins (lines written while
#     the daemon was down come out)
#   - damaged checkpoints.json (garbage): a warning in the log; files whose
#     positions are in the spool's records resume from there (nothing lost
#     or repeated); a new valid checkpoints.json is written
. "$(dirname "$0")/lib.sh"

CFG=$T/cfg.json
A=$T/logs/a.log
B=$T/logs/b.log
CKPT=$T/state/checkpoints.json
CFG_INPUT_EXTRA='"read_from": "end"' make_config "$CFG"

gen_lines 1 100 old >"$A"
start_daemon "$CFG"
wait_log "a.log from the end (read_from: end)" "a.log to be followed from its end"
gen_lines 1 50 new >>"$A"
wait_for "the 50 lines appended after the start" grep -q 'new.example.com/seq/50?' "$DOUT"
gen_lines 1 20 b >"$B"
wait_for "b.log, created after the start" grep -q 'b.example.com/seq/20?' "$DOUT"
stop_daemon
assert_eq 0 "$(out_seqs "$DOUT" old | wc -l)" "events of the lines that existed before the first start"
check_exactly_once "$DOUT" 1 50 new "first run"
check_exactly_once "$DOUT" 1 20 b "a file created after the start (read from its start)"

# --- restart: the checkpoint wins over read_from
gen_lines 51 30 new >>"$A"
start_daemon "$CFG"
wait_log "a.log from its checkpoint" "a.log to resume from its checkpoint"
wait_for "the 30 lines written while stopped" grep -q 'new.example.com/seq/80?' "$DOUT"
stop_daemon
check_exactly_once "$DOUT" 1 80 new "after a restart with a checkpoint"
assert_eq 0 "$(out_seqs "$DOUT" old | wc -l)" "events of the old lines after the restart"
check_exactly_once "$DOUT" 1 20 b "b.log after the restart"

# --- damaged checkpoints.json: warning, the spool's positions still hold
printf 'garbage \001\002 not json {{{' >"$CKPT"
gen_lines 81 20 new >>"$A"
start_daemon "$CFG"
dlog | grep 'WARN' | grep 'checkpoints.json' >/dev/null ||
    fail "no warning about the damaged checkpoints.json: $(dlog | head -n 5)"
log "ok: warning: $(dlog | grep 'WARN' | grep 'checkpoints.json' | head -n 1 | cut -c 1-200)"
wait_log "a.log from its last spooled line" "a.log to resume from the spool's positions"
gen_lines 101 20 new >>"$A"
gen_lines 21 5 b >>"$B"
wait_for "the lines appended after the third start" grep -q 'new.example.com/seq/120?' "$DOUT"
wait_for "b.log line 25" grep -q 'b.example.com/seq/25?' "$DOUT"
stop_daemon
check_exactly_once "$DOUT" 1 120 new "a.log after the damaged checkpoint (positions from the spool)"
check_exactly_once "$DOUT" 1 25 b "b.log after the damaged checkpoint"
grep -q '"version":2' "$CKPT" || fail "checkpoints.json not rewritten valid: $(head -c 200 "$CKPT")"
log "ok: a valid checkpoints.json was written again"

pass
