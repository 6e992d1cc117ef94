#!/usr/bin/env bash
# Restarts while a large stream is being written (200k lines, ~24 MB, in
# bursts of 2000) and read (batch.max_events 500):
#   kill -9   every line comes out at least once. Lines reach the sink
#             through the disk spool: a line's checkpoint advances once its
#             batch is in the spool (so the checkpoint may be ahead of the
#             output), and the sink re-reads the spool from its own durable
#             cursor. Duplicates come only from batches spooled after the
#             last checkpoint write or written after the last cursor write
#             (each persisted every checkpoint_interval, 250 ms here), so
#             they stay well below the input and every duplicated line is
#             one of the last ones handled before the kill.
#   SIGTERM   (drain, final checkpoint) restart: every line exactly once
# Also: line numbers continue across restarts, checkpoints.json is mode
# 0600 and the state_dir the daemon created is 0700.
. "$(dirname "$0")/lib.sh"

N=200000
CFG=$T/cfg.json
LOGF=$T/logs/access.log
CKPT=$T/state/checkpoints.json
export WRITER_CHUNK=2000 WRITER_SLEEP=0.02

ckpt_lineno() { # lineno of the first entry of checkpoints.json, or empty
    grep -o '"lineno":"[0-9]*"' "$CKPT" 2>/dev/null | head -n 1 | grep -o '[0-9]*'
}
ckpt_past() { local l; l=$(ckpt_lineno); [ -n "$l" ] && [ "$l" -ge "$1" ]; }

# line == seq for every event (one file, written from its start).
check_linenos() {
    local bad
    bad=$(awk '{
        if (!match($0, /"line":[0-9]+/)) { print "no line: " substr($0, 1, 120); exit }
        l = substr($0, RSTART + 7, RLENGTH - 7)
        if (!match($0, /\/seq\/[0-9]+/)) { print "no seq: " substr($0, 1, 120); exit }
        s = substr($0, RSTART + 5, RLENGTH - 5)
        if (l != s) { print "output line " NR ": line " l " for seq " s; exit }
    }' "$DOUT")
    [ -z "$bad" ] || check_fail "$1: line numbers: $bad"
    [ -n "$bad" ] || log "ok: $1: every event's line number is its line in the file"
}

# Output lines that are not one whole JSON object (a torn batch).
count_torn() { grep -c -v '^{.*}$' "$DOUT"; }

reset_dirs() {
    rm -rf "$T/logs" "$T/state" "$DOUT"
    mkdir -p "$T/logs"
    : >"$LOGF"
}

CHECK_SOFT=1

# ---------------------------------------------------------------- kill -9
log "case kill: SIGKILL mid-stream, then restart"
reset_dirs
CFG_BATCH='"linger": "200ms", "max_events": 500' CFG_EXTRA='"checkpoint_interval": "250ms"' make_config "$CFG"
start_daemon "$CFG"
start_writer "$LOGF" 1 "$N"
wait_for "writer past line 80000" writer_past 80000
wait_for "a checkpoint past line 20000" ckpt_past 20000
kill_daemon
pos=$(writer_pos)
L=$(ckpt_lineno)
cp "$DOUT" "$T/prekill.ndjson"
pre=$(count_lines "$T/prekill.ndjson")
pre_after_ckpt=$(out_seqs "$T/prekill.ndjson" | awk -v l="$L" '$1 > l { n++ } END { print n + 0 }')
log "killed with the writer at line $((pos - 1)), $pre events out, checkpoint at line $L," \
    "$pre_after_ckpt events out past the checkpoint"
[ "$((pos - 1))" -lt "$N" ] || log "warning: the writer had finished before the kill"

start_daemon "$CFG"
wait_writer
wait_for "the last line (seq $N)" grep -q "/seq/$N?" "$DOUT"
stop_daemon

read -r missing dups extra total < <(seq_stats "$DOUT" 1 "$N")
log "after kill -9 and restart: $total events, $dups duplicates, $missing missing"
assert_eq 0 "$missing" "kill: seqs missing"
assert_eq 0 "$extra" "kill: seqs outside 1..$N"
# Duplicates are recent: no line far behind both the checkpoint and the
# output at the time of the kill (a few seconds of batches) comes out twice.
recent=$(( (L < pre ? L : pre) - 30000 ))
assert_eq 0 "$(out_seqs "$DOUT" | awk -v l="$recent" '$1 <= l { c[$1]++ } END { for (s in c) if (c[s] > 1) n += c[s] - 1; print n + 0 }')" \
    "kill: duplicates among lines 1..$recent (long before the kill)"
assert_lt "$dups" 50000 "kill: duplicates"
assert_eq 0 "$(count_torn)" "kill: output lines that are not a whole JSON object"
check_linenos "kill"

# ---------------------------------------------------------------- SIGTERM
log "case term: SIGTERM mid-stream, then restart"
reset_dirs
CFG_BATCH='"linger": "200ms", "max_events": 500' make_config "$CFG"
start_daemon "$CFG"
start_writer "$LOGF" 1 "$N"
wait_for "writer past line 80000" writer_past 80000
stop_daemon
pos=$(writer_pos)
L=$(ckpt_lineno)
pre=$(count_lines "$DOUT")
log "stopped with the writer at line $((pos - 1)), $pre events out, checkpoint at line $L"
assert_eq "$pre" "$L" "term: checkpoint line after a clean stop (= events out)"
assert_eq 600 "$(stat -c %a "$CKPT")" "checkpoints.json mode"
assert_eq 700 "$(stat -c %a "$T/state")" "state_dir mode (created by the daemon)"

start_daemon "$CFG"
wait_writer
wait_for "the last line (seq $N)" grep -q "/seq/$N?" "$DOUT"
stop_daemon
check_exactly_once "$DOUT" 1 "$N" host "term: SIGTERM and restart"
assert_eq "$N" "$(ckpt_lineno)" "term: final checkpoint line"
assert_eq "$(stat -c %s "$LOGF")" \
    "$(grep -o '"offset":"[0-9]*"' "$CKPT" | head -n 1 | grep -o '[0-9]*')" \
    "term: final checkpoint offset (= file size)"
assert_eq 600 "$(stat -c %a "$CKPT")" "checkpoints.json mode after the second run"
check_linenos "term"

pass
