#!/usr/bin/env bash
# The disk spool across crashes:
#   1. The sink is stalled (stdout into a FIFO nobody reads), so batches pile
#      up in the spool; the checkpoint still advances (a batch in the spool
#      is durable). kill -9.
#   2. A torn record is left at the spool's tail, as a crash in the middle of
#      an append would leave it (a record header and half a payload, then
#      garbage).
#   3. Restart with a readable sink: the torn tail is cut, counted
#      (wtexport_spool_cut_records_total) and logged; every line comes out
#      (the records before the tail are intact; lines after the checkpoint
#      are read again from the log), and the spool ends empty of pending data.
. "$(dirname "$0")/lib.sh"

N=20000
CFG=$T/cfg.json
FIFO=$T/stdout.fifo

gen_lines 1 "$N" sp >"$T/logs/access.log"
mkfifo "$FIFO"
exec 7<>"$FIFO" # held open, never read: the sink stalls

CFG_SINK_PATH=- CFG_BATCH='"linger": "100ms", "max_events": 500' make_config "$CFG"
start_daemon "$CFG" "$FIFO"
ckpt_done() { grep -q "\"lineno\":\"$N\"" "$T/state/checkpoints.json" 2>/dev/null; }
wait_for "every line checkpointed (spooled) while the sink is stalled" ckpt_done
pending=$(curl -s "http://127.0.0.1:$PORT/metrics" | sed -n 's/^wtexport_spool_pending_bytes{[^}]*} //p')
log "spool pending bytes before the kill: $pending"
assert_ge "$pending" 1 "spool bytes pending for the stalled sink"
kill_daemon
exec 7>&-

seg=$(ls "$T/state/spool"/seg-*.wts | sort | tail -n 1)
size0=$(stat -c %s "$seg")
# A torn record: the record magic, a length promising more than is there,
# and a few payload bytes; then random garbage.
{ printf 'WTR1\x00\x10\x00\x00'; head -c 40 /dev/urandom; } >>"$seg"
log "appended a torn record to $(basename "$seg") ($size0 -> $(stat -c %s "$seg") bytes)"

make_config "$CFG" # the sink is now a plain file ($DOUT)
start_daemon "$CFG"
wait_for "all $N events out after the restart" out_has_at_least "$DOUT" "$N"
wait_log "torn or corrupt tail was cut"
assert_ge "$(metric wtexport_spool_cut_records_total)" 1 "wtexport_spool_cut_records_total"
wait_for "the sink caught up with the spool" \
    eval '[ "$(curl -s "http://127.0.0.1:$PORT/metrics" | sed -n "s/^wtexport_spool_pending_bytes{[^}]*} //p")" = 0 ]'
stop_daemon
assert_eq "$size0" "$(stat -c %s "$seg" 2>/dev/null || echo "$size0")" \
    "segment size after the cut (the torn bytes are gone)"

read -r missing dups extra total < <(seq_stats "$DOUT" 1 "$N" sp)
log "after the restart: $total events, $dups duplicates, $missing missing"
assert_eq 0 "$missing" "lines missing"
assert_eq 0 "$extra" "lines outside 1..$N"
pass
