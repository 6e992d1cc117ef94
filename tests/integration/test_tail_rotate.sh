#!/usr/bin/env bash
# Rename rotation while a writer appends at a steady pace: every line comes
# out exactly once, whether the rotated name still matches the glob or not
# (the daemon holds the renamed file open and finishes it to its end, also
# lines the writer puts there after the rename, before it reopens).
. "$(dirname "$0")/lib.sh"

N=2000
export WRITER_CHUNK=20 # lines per write (pace ~1-2k lines/s)
CFG=$T/cfg.json

reset_dirs() {
    rm -rf "$T/logs" "$T/state" "$DOUT"
    mkdir -p "$T/logs"
}

# --- A: the glob matches the rotated names too (access.log*); logrotate-style
#        numbered rotation, twice: access.log -> .1, later .1 -> .2 and log -> .1
log "case A: glob access.log* (rotated names match), two rotations"
reset_dirs
CFG_GLOB="$T/logs/access.log*" make_config "$CFG"
: >"$T/logs/access.log"
start_daemon "$CFG"
start_writer "$T/logs/access.log" 1 "$N"

wait_for "writer past line 600" writer_past 600
mv "$T/logs/access.log" "$T/logs/access.log.1"
writer_reopen
log "rotated once at writer position $(writer_pos)"

wait_for "writer past line 1300" writer_past 1300
mv "$T/logs/access.log.1" "$T/logs/access.log.2"
mv "$T/logs/access.log" "$T/logs/access.log.1"
writer_reopen
log "rotated twice at writer position $(writer_pos)"

wait_writer
wait_for "$N events (case A)" out_has_at_least "$DOUT" "$N"
assert_alive "case A"
healthz_ok || fail "/healthz not 200 after rotations (case A): $(healthz_code)"
# Three files are followed (access.log, .1, .2), each with its own lag series
# labelled with its current name (and its inode).
wait_for "3 files followed" metric_is wtexport_files_followed 3
lag=$(metric_series wtexport_file_lag_bytes)
lag_ok=1
for f in access.log access.log.1 access.log.2; do
    if ! printf "%s\n" "$lag" | grep -qF "{file=\"$T/logs/$f\","; then
        soft_fail "case A: no wtexport_file_lag_bytes series for $f; series: $(echo "$lag" | tr "\n" " ")"
        lag_ok=0
    fi
done
[ "$lag_ok" = 0 ] || log "ok: case A: one lag series per followed file"
stop_daemon
check_exactly_once "$DOUT" 1 "$N" host "case A (rotated names match the glob)"

# --- B: the rotated name does NOT match the glob (*.log vs access.log.1).
#        The writer keeps writing to the renamed file until the daemon has
#        noticed the rotation, and only then reopens.
log "case B: glob *.log (rotated name does not match)"
reset_dirs
CFG_GLOB="$T/logs/*.log" make_config "$CFG"
: >"$T/logs/access.log"
start_daemon "$CFG"
start_writer "$T/logs/access.log" 1 "$N"

wait_for "writer past line 700" writer_past 700
mv "$T/logs/access.log" "$T/logs/access.log.1"
wait_log "access.log was rotated away" "the daemon to notice the rotation"
writer_reopen
log "writer reopened at position $(writer_pos) (lines before it went to the renamed file)"

wait_writer
wait_for "$N events (case B)" out_has_at_least "$DOUT" "$N"
# The renamed file is closed after its grace period at EOF.
wait_log "access.log: finished" "the daemon to finish the renamed file"
# It is closed and forgotten; the new access.log is still followed, with its
# lag series, and the daemon is healthy.
one_file_or_dead() { ! alive "$DPID" || metric_is wtexport_files_followed 1; }
wait_for "1 file followed after the renamed one is finished" one_file_or_dead
sleep 1.5 # let the 1 s poll run over the remaining file once more
if check_alive "case B, after finishing the renamed file"; then
    healthz_ok || soft_fail "/healthz not 200 (case B): $(healthz_code)"
    metric_series wtexport_file_lag_bytes | grep -qF "{file=\"$T/logs/access.log\"," ||
    soft_fail "case B: no wtexport_file_lag_bytes series for the followed access.log: $(metric_series wtexport_file_lag_bytes)"
    log "ok: case B: renamed file closed, access.log followed"
    stop_daemon
fi
check_exactly_once "$DOUT" 1 "$N" host "case B (rotated name outside the glob)"
old_lines=$(wc -l <"$T/logs/access.log.1")
dlog | grep "access.log: finished ($old_lines lines)" >/dev/null ||
    fail "the renamed file was not finished with its $old_lines lines: $(dlog | grep finished)"
log "ok: renamed file finished with its $old_lines lines"

pass
