#!/usr/bin/env bash
# Rotation out of the glob (issue 17, point 5). The input's glob matches
# only access.log; 300 rename rotations move it to access.log.<n>, which no
# glob matches, many of them faster than a scan (a file appears, is written
# and is renamed away before any scan sees it). Every line comes out:
#   run      with the daemon running throughout: exactly once;
#   kill -9  with a SIGKILL in the middle of the storm and rotations while
#            it is down: 0 lost (files renamed away while down are found by
#            identity from the checkpoint, the ones that came and went are
#            found next to them).
. "$(dirname "$0")/lib.sh"

ROT=300 PER=20
N=$((ROT * PER))
CFG=$T/cfg.json
LOGF=$T/logs/access.log

# rotator FIRST_SEQ: ROT times, PER lines into access.log, then rename it.
rotator() {
    local i s=$1
    for ((i = 1; i <= ROT; i++)); do
        gen_lines "$s" "$PER" >>"$LOGF"
        s=$((s + PER))
        # The first file is read before the storm: what was rotated away
        # before wtexport saw any file under the name is not its.
        [ "$i" != 1 ] || wait_for "the first file read" out_has_at_least "$DOUT" "$PER"
        mv "$LOGF" "$LOGF.$i"
        echo "$i" >"$T/rot.pos.tmp" && mv -f "$T/rot.pos.tmp" "$T/rot.pos"
    done
    : >"$T/rot.done"
}
rot_past() { [ "$(cat "$T/rot.pos" 2>/dev/null || echo 0)" -ge "$1" ]; }
start_rotator() {
    rm -f "$T/rot.pos" "$T/rot.done"
    rotator 1 &
    ROT_PID=$!
    bg_track "$ROT_PID"
}

reset() {
    rm -rf "$T/logs" "$T/state" "$DOUT"
    mkdir -p "$T/logs"
}

CHECK_SOFT=1
CFG_GLOB=$LOGF CFG_BATCH='"linger": "100ms", "max_events": 200' \
    CFG_EXTRA='"checkpoint_interval": "200ms", "rotate_wait": "2s"' make_config "$CFG"

# ---------------------------------------------------------------- running
log "case run: $ROT rotations out of the glob while running"
reset
start_daemon "$CFG"
start_rotator
wait_for "the rotator to finish" test -e "$T/rot.done"
WT_WAIT_DEADLINE=60 wait_for "all $N lines" out_has_at_least "$DOUT" "$N"
found=$(metric wtexport_files_found_by_identity_total)
stop_daemon
log "files found outside the glob while running: $found"
check_exactly_once "$DOUT" 1 "$N" "" "run"

# ---------------------------------------------------------------- kill -9
log "case kill: SIGKILL in the middle of the storm, rotations while down"
reset
start_daemon "$CFG"
start_rotator
wait_for "100 rotations" rot_past 100
kill_daemon
wait_for "150 rotations while down" rot_past 150
start_daemon "$CFG"
wait_for "the rotator to finish" test -e "$T/rot.done"
WT_WAIT_DEADLINE=60 wait_for "all $N lines at least once" eval \
    '[ "$(seq_stats "$DOUT" 1 "$N" | cut -d" " -f1)" = 0 ]'
stop_daemon
read -r missing dups extra total < <(seq_stats "$DOUT" 1 "$N")
log "after kill -9: $total events, $missing missing, $dups duplicates"
assert_eq 0 "$missing" "kill: lines lost"
assert_eq 0 "$extra" "kill: lines outside 1..$N"
pass
