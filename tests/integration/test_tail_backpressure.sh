#!/usr/bin/env bash
# Backpressure: the sink is stdout ("-") into a FIFO nobody reads for a
# while; the disk spool is small (2 MiB) and so is the in-memory queue
# (queue.max_bytes 1MiB, >= 4 x batch.max_bytes 64KiB); the input is 300k
# lines (~38 MB) already on disk. While the reader is stalled the spool
# fills, then the queue, and the daemon must pause reading (wtexport_paused
# 1, wtexport_spool_full 1), not read the whole file, and keep its memory
# bounded (VmRSS < 64 MiB: the queue is 1 MiB, read buffer ~320 KiB, the
# sink's batches in flight ~1 MiB, the rest is the process itself).
# Once the reader starts, every line comes out exactly once, in order.
. "$(dirname "$0")/lib.sh"

N=300000
RSS_LIMIT_KIB=$((64 * 1024))
# Under AddressSanitizer the runtime's shadow memory and free-quarantine
# (up to 256 MiB by default) add to RSS whatever the daemon does; the bound
# on the daemon's own memory is asserted by the normal build.
if [ -n "${WT_SANITIZE:-}" ]; then
    RSS_LIMIT_KIB=$((RSS_LIMIT_KIB + 256 * 1024))
fi
CFG=$T/cfg.json
FIFO=$T/stdout.fifo

gen_lines 1 "$N" bp >"$T/logs/access.log"
mkfifo "$FIFO"
# Hold the FIFO open read-write without ever reading: the daemon's open
# does not block, and its writes stall once the pipe buffer (64 KiB) is full.
exec 7<>"$FIFO"

CFG_SINK_PATH=- CFG_BATCH='"linger": "200ms", "max_bytes": "64KiB"' \
    CFG_EXTRA='"queue": {"max_bytes": "1MiB"}, "spool": {"max_bytes": "2MiB", "segment_bytes": "256KiB"}' \
    make_config "$CFG"
start_daemon "$CFG" "$FIFO"
rss0=$(rss_kib "$DPID")
log "RSS at start: ${rss0} KiB"

wait_for "wtexport_paused 1 while the reader is stalled" metric_is wtexport_paused 1
wait_for "wtexport_spool_full 1 while the reader is stalled" metric_is wtexport_spool_full 1
# Watch for a while (3 s): paused stays 1, reading does not go on, RSS stays bounded.
maxrss=0
read0=$(metric wtexport_lines_read_total)
end=$((SECONDS + 3))
while [ "$SECONDS" -lt "$end" ]; do
    r=$(rss_kib "$DPID")
    [ -n "$r" ] || fail "daemon gone while stalled"
    [ "$r" -le "$maxrss" ] || maxrss=$r
    p=$(metric wtexport_paused)
    [ "$p" = 1 ] || fail "wtexport_paused went to '$p' while the reader was still stalled"
    sleep 0.2
done
read1=$(metric wtexport_lines_read_total)
qb=$(metric wtexport_queue_bytes)
log "stalled: max RSS ${maxrss} KiB, lines read ${read0} -> ${read1} of $N, queue bytes $qb"
assert_eq "$read0" "$read1" "lines read while paused (no progress)"
assert_lt "$read1" "$N" "lines read while the reader is stalled (of $N)"
assert_lt "$maxrss" "$RSS_LIMIT_KIB" "VmRSS (KiB) while stalled"
assert_lt "$qb" $((2 * 1024 * 1024)) "wtexport_queue_bytes while stalled (1 MiB cap + one batch)"
healthz_ok || fail "/healthz not 200 while paused: $(healthz_code)"

# The reader arrives.
cat "$FIFO" >"$DOUT" 7>&- &
CAT_PID=$!
bg_track "$CAT_PID"
wait_for "all $N events through the FIFO" out_has_at_least "$DOUT" "$N"
wait_for "wtexport_paused 0 after the reader drained the queue" metric_is wtexport_paused 0
r=$(rss_kib "$DPID")
log "RSS after the catch-up: $r KiB"
assert_lt "$r" "$RSS_LIMIT_KIB" "VmRSS (KiB) after the catch-up"
stop_daemon
exec 7>&- # the last writer: cat sees EOF
wait_exit "$CAT_PID"

check_exactly_once "$DOUT" 1 "$N" bp "through a stalled stdout"
check_order "$DOUT" bp
assert_eq "$N" "$(count_lines "$DOUT")" "events on stdout"

pass
