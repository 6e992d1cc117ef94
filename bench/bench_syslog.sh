#!/usr/bin/env bash
# Syslog input benchmark (issue 16): lines per second from a syslog sender
# on loopback into the file sink (NDJSON, no compression: the input is what
# is measured), over TCP with octet counting, TCP with LF framing and UDP;
# CPU time of the daemon per line; and the UDP loss at a few offered rates
# (datagrams sent vs. events at the sink, with the daemon's own counts of
# queue-full and kernel drops). Lines come from wt-loggen (realistic WSA
# squid lines, ~330 bytes each with the syslog header), timestamps now.
# The daemon and the sender share the machine's CPUs. Exit status reflects
# errors only, never speed.
#
#   bench/bench_syslog.sh [BUILD_DIR]           (default: build)
#   WT_BENCH_LINES=200000 WT_BENCH_UDP_RATES="20000 50000 100000 0"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
bin=$build/bin
lines=${WT_BENCH_LINES:-200000}
udp_lines=${WT_BENCH_UDP_LINES:-100000}
rates=${WT_BENCH_UDP_RATES:-"20000 50000 100000 0"}
work=$(mktemp -d /tmp/wt-bench-syslog.XXXXXX)
daemon=
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
for t in wtexport wt-loggen; do
    [ -x "$bin/$t" ] || { echo "missing $bin/$t: build first" >&2; exit 1; }
done
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P_OCT=$(port) P_LF=$(port) P_UDP=$(port) P_M=$(port)
"$bin/wt-loggen" --lines "$lines" --start "$(date +%s)" --output "$work/access.log" 2>/dev/null
head -n "$udp_lines" "$work/access.log" >"$work/udp.log"

metric() {
    # Reads all of curl's output (no early exit: pipefail would see a SIGPIPE).
    curl -s "http://127.0.0.1:$P_M/metrics" | awk -v n="$1" '$1 == n && !v { v = $2 } END { print v }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$daemon/stat"; }
start() {
    rm -rf "$work/state" "$work/out.ndjson"
    cat >"$work/cfg.json" <<EOF2
{"state_dir": "$work/state",
 "inputs": [
   {"type": "syslog", "listen": "tcp://127.0.0.1:$P_OCT"},
   {"type": "syslog", "listen": "tcp://127.0.0.1:$P_LF"},
   {"type": "syslog", "listen": "udp://127.0.0.1:$P_UDP", "rcvbuf": "${WT_BENCH_RCVBUF:-4MiB}"}],
 "sinks": [{"type": "file", "path": "$work/out.ndjson", "compress": "none", "fsync": false}],
 "batch": {"linger": "50ms"},
 "metrics": {"listen": "127.0.0.1:$P_M"}}
EOF2
    "$bin/wtexport" run -c "$work/cfg.json" 2>"$work/daemon.log" &
    daemon=$!
    for _ in $(seq 100); do
        [ -n "$(metric 'wtexport_sink_events_total{sink="file0",type="file"}' 2>/dev/null)" ] && return 0
        sleep 0.05
    done
    echo "daemon did not start" >&2
    cat "$work/daemon.log" >&2
    exit 1
}
stop() {
    kill "$daemon"
    wait "$daemon" || true
    daemon=
}
# wait_events N: until the file sink acked N events (or nothing moves for 3 s).
wait_events() {
    local last=-1 same=0 n
    while :; do
        n=$(metric 'wtexport_sink_events_total{sink="file0",type="file"}')
        [ "${n:-0}" -ge "$1" ] && return 0
        if [ "$n" = "$last" ]; then
            same=$((same + 1))
            [ "$same" -ge 60 ] && return 1
        else
            same=0
        fi
        last=$n
        sleep 0.05
    done
}
hz=$(getconf CLK_TCK)
printf '%-22s %10s %10s %12s\n' transport lines lines/s "CPU us/line"
for mode in octet lf; do
    start
    port=$P_OCT
    [ "$mode" = lf ] && port=$P_LF
    c0=$(cpu_ticks)
    t0=$(date +%s.%N)
    python3 "$root/bench/syslog_send.py" "$mode" 127.0.0.1 "$port" "$work/access.log" >/dev/null
    wait_events "$lines" || echo "warning: only $(metric 'wtexport_sink_events_total{sink="file0",type="file"}') of $lines events" >&2
    t1=$(date +%s.%N)
    c1=$(cpu_ticks)
    awk -v m="tcp ($mode)" -v n="$lines" -v t0="$t0" -v t1="$t1" -v c="$((c1 - c0))" -v hz="$hz" \
        'BEGIN { printf "%-22s %10d %10.0f %12.2f\n", m, n, n / (t1 - t0), c / hz * 1e6 / n }'
    stop
done
echo
printf '%-14s %8s %10s %10s %10s %10s %8s %12s\n' "UDP offered/s" sent sent/s received "q-full" kernel "loss %" "CPU us/line"
for rate in $rates; do
    start
    c0=$(cpu_ticks)
    out=$(python3 "$root/bench/syslog_send.py" udp 127.0.0.1 "$P_UDP" "$work/udp.log" "$rate")
    secs=${out##* }
    # Wait until every datagram is accounted for (received or dropped by the kernel).
    for _ in $(seq 100); do
        got=$(metric "wtexport_syslog_messages_total{input=\"udp://127.0.0.1:$P_UDP\"}")
        kern=$(metric "wtexport_syslog_dropped_total{input=\"udp://127.0.0.1:$P_UDP\",reason=\"kernel\"}")
        [ $((got + kern)) -ge "$udp_lines" ] && break
        sleep 0.1
    done
    full=$(metric "wtexport_syslog_dropped_total{input=\"udp://127.0.0.1:$P_UDP\",reason=\"queue_full\"}")
    wait_events $((got - full)) || true
    c1=$(cpu_ticks)
    awk -v r="${rate/#0/max}" -v n="$udp_lines" -v s="$secs" -v g="$got" -v f="$full" -v k="$kern" \
        -v c="$((c1 - c0))" -v hz="$hz" 'BEGIN {
            printf "%-14s %8d %10.0f %10d %10d %10d %8.2f %12.2f\n", r, n, n / s, g, f, k,
                100 * (n - g + f) / n, (g > 0 ? c / hz * 1e6 / g : 0) }'
    stop
done
