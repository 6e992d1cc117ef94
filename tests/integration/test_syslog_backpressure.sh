#!/usr/bin/env bash
# Syslog backpressure and UDP drop accounting (issue 16). The sink is
# stdout into a FIFO nobody reads for a while, the spool and the queue are
# small, so the pipeline fills up. Then:
#  - a TCP sender (logger -f, N lines, LF framing) must wait: the daemon
#    stops reading its sockets, so messages received stop growing while
#    logger is still sending; once the reader starts, all N arrive exactly
#    once and logger ends with status 0;
#  - UDP cannot wait: datagrams sent while the queue is full are received
#    and dropped (reason="queue_full"); datagrams sent while the daemon is
#    stopped (SIGSTOP) overflow a small receive buffer and are dropped by
#    the kernel (reason="kernel"). Exactly: sent = received + kernel drops,
#    and events at the sink = received - queue-full drops.
. "$(dirname "$0")/lib.sh"
command -v logger >/dev/null || { echo "SKIP: logger not installed"; exit 77; }
N=300000
M1=500
M2=3000
CFG=$T/cfg.json
FIFO=$T/stdout.fifo
P_TCP=$(free_port) && P_UDP=$(free_port) || fail "no free ports"
mkfifo "$FIFO"
exec 7<>"$FIFO" # held open, never read: the daemon's writes stall
cat >"$CFG" <<EOF2
{
  "state_dir": "$T/state",
  "inputs": [
    {"type": "syslog", "listen": "tcp://127.0.0.1:$P_TCP"},
    {"type": "syslog", "listen": "udp://127.0.0.1:$P_UDP", "rcvbuf": "64KiB"}
  ],
  "sinks": [{"type": "file", "path": "-", "compress": "none"}],
  "batch": {"linger": "200ms", "max_bytes": "64KiB"},
  "queue": {"max_bytes": "1MiB"},
  "spool": {"max_bytes": "2MiB", "segment_bytes": "256KiB"},
  "metrics": {"listen": "127.0.0.1:$PORT"}
}
EOF2
start_daemon "$CFG" "$FIFO"
TCP_IN="input=\"tcp://127.0.0.1:$P_TCP\""
UDP_IN="input=\"udp://127.0.0.1:$P_UDP\""

gen_lines 1 "$N" bp >"$T/tcp.log"
logger -T -n 127.0.0.1 -P "$P_TCP" --rfc3164 -t accesslogs -f "$T/tcp.log" &
LG_PID=$!
bg_track "$LG_PID"
wait_for "the pipeline to fill (wtexport_paused 1)" metric_is wtexport_paused 1
wait_for "the spool to fill (wtexport_spool_full 1)" metric_is wtexport_spool_full 1
# The sender waits: for 2 s, nothing more is read from TCP while logger runs.
r0=$(metric "wtexport_syslog_messages_total{$TCP_IN}")
end=$((SECONDS + 2))
while [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
r1=$(metric "wtexport_syslog_messages_total{$TCP_IN}")
alive "$LG_PID" || fail "logger ended while the daemon was full (it should wait)"
assert_eq "$r0" "$r1" "TCP messages received while the pipeline is full (no progress)"
assert_lt "$r1" "$N" "TCP messages received while stalled (of $N)"

# UDP while full: received and dropped by the daemon, counted.
gen_lines 1000001 "$M1" u1 >"$T/u1.log"
logger -d -n 127.0.0.1 -P "$P_UDP" --rfc3164 -t accesslogs -f "$T/u1.log" || fail "logger udp"
udp_seen() {
    local got kern
    got=$(metric "wtexport_syslog_messages_total{$UDP_IN}")
    kern=$(metric "wtexport_syslog_dropped_total{$UDP_IN,reason=\"kernel\"}")
    [ $((${got:-0} + ${kern:-0})) -ge "$1" ]
}
wait_for "$M1 UDP datagrams received or dropped by the kernel" udp_seen "$M1"
full=$(metric "wtexport_syslog_dropped_total{$UDP_IN,reason=\"queue_full\"}")
log "UDP while full: $(metric "wtexport_syslog_messages_total{$UDP_IN}") received, $full dropped (queue full)"
assert_ge "$full" 1 "UDP datagrams dropped while the queue was full"

# UDP while the daemon is stopped: the 64 KiB receive buffer overflows.
kill -STOP "$DPID"
gen_lines 2000001 "$M2" u2 >"$T/u2.log"
logger -d -n 127.0.0.1 -P "$P_UDP" --rfc3164 -t accesslogs -f "$T/u2.log" || fail "logger udp"
kill -CONT "$DPID"
wait_for "$((M1 + M2)) UDP datagrams received or dropped by the kernel" udp_seen $((M1 + M2))
kern=$(metric "wtexport_syslog_dropped_total{$UDP_IN,reason=\"kernel\"}")
assert_ge "$kern" 1 "UDP datagrams dropped by the kernel (full receive buffer)"

# The reader arrives: TCP catches up, logger finishes.
cat "$FIFO" >"$DOUT" 7>&- &
CAT_PID=$!
bg_track "$CAT_PID"
WT_WAIT_DEADLINE=120 wait_for "all $N TCP events" eval '[ "$(out_seqs "$DOUT" bp | wc -l)" -ge "$N" ]'
wait_exit "$LG_PID"
assert_eq 0 "$WAIT_RC" "logger's exit status"
wait_for "wtexport_paused 0 after the reader drained the queue" metric_is wtexport_paused 0
udp_msgs=$(metric "wtexport_syslog_messages_total{$UDP_IN}")
udp_full=$(metric "wtexport_syslog_dropped_total{$UDP_IN,reason=\"queue_full\"}")
udp_kern=$(metric "wtexport_syslog_dropped_total{$UDP_IN,reason=\"kernel\"}")
udp_sink() { cat <(out_seqs "$DOUT" u1) <(out_seqs "$DOUT" u2) | wc -l; }
wait_for "UDP events at the sink" eval '[ "$(udp_sink)" -ge $((udp_msgs - udp_full)) ]'
stop_daemon
exec 7>&-
wait_exit "$CAT_PID"
log "UDP: sent $((M1 + M2)), received $udp_msgs, dropped: queue full $udp_full, kernel $udp_kern; at the sink $(udp_sink)"
assert_eq $((M1 + M2)) $((udp_msgs + udp_kern)) "UDP sent = received + kernel drops"
assert_eq $((udp_msgs - udp_full)) "$(udp_sink)" "UDP at the sink = received - queue-full drops"
check_exactly_once "$DOUT" 1 "$N" bp "TCP through a full pipeline"
check_order "$DOUT" bp
pass
