#!/usr/bin/env bash
# A full disk needs no restart (issue 17, point 3). state_dir is a small
# tmpfs mounted in this test's own mount namespace; the file sink writes
# outside it. While a writer appends steadily, the tmpfs is filled up: the
# spool, the sink cursors and the checkpoints cannot be written, input
# pauses, /healthz says 503. Then the filler is removed: everything
# resumes by itself. Every line comes out exactly once, the daemon never
# restarted, each outage is one log line when it starts and one when it
# ends, and the stopped time is counted.
# Skips (77) where a mount namespace or a tmpfs mount is not allowed.
if [ -z "${WT_IN_MOUNT_NS:-}" ]; then
    if ! unshare -m --propagation private true 2>/dev/null; then
        echo "SKIP: $(basename "$0"): cannot create a mount namespace (unshare -m): needs root or CAP_SYS_ADMIN" >&2
        exit 77
    fi
    WT_IN_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

N=6000
CFG=$T/cfg.json
LOGF=$T/logs/access.log
S=$T/state
mkdir -m 0700 "$S"
if ! mount -t tmpfs -o size=3m,mode=0700 wt-full-disk "$S" 2>"$T/mount.err"; then
    echo "SKIP: $TEST_NAME: cannot mount a tmpfs: $(cat "$T/mount.err")" >&2
    exit 77
fi
: >"$LOGF"
export WRITER_CHUNK=20 WRITER_SLEEP=0.01
CFG_BATCH='"linger": "100ms", "max_events": 100' \
    CFG_EXTRA='"checkpoint_interval": "200ms"' make_config "$CFG"

start_daemon "$CFG"
start_writer "$LOGF" 1 "$N"
wait_for "the first 500 lines shipped" out_has_at_least "$DOUT" 500

log "filling the tmpfs"
dd if=/dev/zero of="$S/filler" bs=64k 2>/dev/null
spool_stopped() { metric_is 'wtexport_state_write_stopped{what="spool"}' 1; }
wait_for "spooling to stop on the full disk" spool_stopped
wait_log "writing failed" "the stop logged"
errs_past() { [ "$(metric 'wtexport_state_write_errors_total{what="spool"}')" -ge "$1" ]; }
wait_for "the spool write retried at least 3 times" errs_past 3
code=$(healthz_code)
assert_eq 503 "$code" "/healthz while the disk is full"
assert_alive

log "freeing the tmpfs"
rm -f "$S/filler"
wait_log "writing works again" "the spool resumed"
wait_writer
wait_for "the last line (seq $N)" grep -q "/seq/$N?" "$DOUT"
spool_ok() { metric_is 'wtexport_state_write_stopped{what="spool"}' 0; }
wait_for "the spool stopped-gauge back at 0" spool_ok
wait_for "/healthz 200 again" healthz_ok
secs=$(metric 'wtexport_state_write_stopped_seconds_total{what="spool"}')
assert_ge "${secs:-0}" 1 "seconds counted as stopped"
assert_eq 1 "$(dlog | grep -c 'writing failed')" "log lines for the spool stopping"
assert_eq 1 "$(dlog | grep -c 'writing works again')" "log lines for the spool resuming"
[ "$(dlog | grep -c 'checkpoints in')" -le 1 ] || fail "the checkpoint error was logged more than once"
[ "$(dlog | grep -c 'persisting sink cursors')" -le 1 ] || fail "the cursor error was logged more than once"
assert_eq 1 "$NSTART" "daemon starts (no restart)"
stop_daemon
check_exactly_once "$DOUT" 1 "$N"
umount "$S" 2>/dev/null
pass
